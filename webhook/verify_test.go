package webhook_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/webhook"
)

// The published vectors below are the providers' own documented examples;
// each test also checks the scheme against a signature computed here from
// the scheme's definition, and that a body changed by one space fails.

func spec(scheme string) *registry.WebhookVerification {
	return &registry.WebhookVerification{Scheme: scheme, Secret: "sig"}
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func hmacHex(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func refusedWith(t *testing.T, err error, reason string) {
	t.Helper()
	require.Error(t, err)
	require.True(t, webhook.IsRefusal(err), "%v", err)
	require.Contains(t, err.Error(), reason)
}

func TestSlackPublishedVector(t *testing.T) {
	t.Parallel()
	// Slack's documentation of request signing: a slash command.
	const body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow" +
		"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner" +
		"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F" +
		"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
		"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	secret := []byte("8f742231b10e8888abcd99yyyzzz85a5")
	h := headers("X-Slack-Request-Timestamp", "1531420618",
		"X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	now := time.Unix(1531420618, 0).Add(time.Minute)
	req := webhook.Request{Header: h, Body: []byte(body)}
	require.NoError(t, webhook.Verify(spec("slack"), req, secret, now))

	req.Body = []byte(strings.Replace(body, "&text=", "&text= ", 1))
	refusedWith(t, webhook.Verify(spec("slack"), req, secret, now), "does not match")
}

func TestSlackComputed(t *testing.T) {
	t.Parallel()
	secret := []byte("slack-signing-secret")
	now := time.Unix(1_700_000_000, 0)
	body := `{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`
	sign := func(ts int64, body string) http.Header {
		s := strconv.FormatInt(ts, 10)
		return headers("X-Slack-Request-Timestamp", s,
			"X-Slack-Signature", "v0="+hmacHex(secret, "v0:"+s+":"+body))
	}
	tests := []struct {
		name   string
		header http.Header
		body   string
		reason string
	}{
		{"valid", sign(now.Unix(), body), body, ""},
		{"four minutes old", sign(now.Unix()-240, body), body, ""},
		{"extra space after a colon", sign(now.Unix(), body),
			strings.Replace(body, `"type":`, `"type": `, 1), "does not match"},
		{"stale", sign(now.Unix()-301, body), body, "outside the tolerance"},
		{"from the future", sign(now.Unix()+301, body), body, "outside the tolerance"},
		{"no signature", headers("X-Slack-Request-Timestamp", "1700000000"), body, "missing"},
		{"no timestamp", headers("X-Slack-Signature", "v0=00"), body, "missing"},
		{"timestamp not a number", headers("X-Slack-Request-Timestamp", "soon",
			"X-Slack-Signature", "v0=00"), body, "malformed"},
		{"wrong version", headers("X-Slack-Request-Timestamp", "1700000000",
			"X-Slack-Signature", "v1="+hmacHex(secret, "v0:1700000000:"+body)), body, "does not match"},
		{"other secret", headers("X-Slack-Request-Timestamp", "1700000000",
			"X-Slack-Signature", "v0="+hmacHex([]byte("x"), "v0:1700000000:"+body)), body, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(spec("slack"),
				webhook.Request{Header: tt.header, Body: []byte(tt.body)}, secret, now)
			if tt.reason == "" {
				require.NoError(t, err)
				return
			}
			refusedWith(t, err, tt.reason)
		})
	}
}

func TestStripeComputed(t *testing.T) {
	t.Parallel()
	secret := []byte("whsec_stripe_test_secret")
	now := time.Unix(1_700_000_000, 0)
	body := `{"id":"evt_1","type":"customer.created"}`
	v1 := func(ts int64, key []byte) string {
		return hmacHex(key, strconv.FormatInt(ts, 10)+"."+body)
	}
	ts := now.Unix()
	tests := []struct {
		name, header, body, reason string
	}{
		{"valid", "t=" + strconv.FormatInt(ts, 10) + ",v1=" + v1(ts, secret), body, ""},
		{"one of several v1", "t=" + strconv.FormatInt(ts, 10) + ",v1=" + v1(ts, []byte("old")) +
			",v1=" + v1(ts, secret) + ",v0=abc", body, ""},
		{"extra space after a colon", "t=" + strconv.FormatInt(ts, 10) + ",v1=" + v1(ts, secret),
			strings.Replace(body, `"id":`, `"id": `, 1), "does not match"},
		{"stale", "t=" + strconv.FormatInt(ts-301, 10) + ",v1=" + v1(ts-301, secret), body,
			"outside the tolerance"},
		{"ahead", "t=" + strconv.FormatInt(ts+301, 10) + ",v1=" + v1(ts+301, secret), body,
			"outside the tolerance"},
		{"only v0", "t=" + strconv.FormatInt(ts, 10) + ",v0=" + v1(ts, secret), body, "missing"},
		{"no t", "v1=" + v1(ts, secret), body, "missing"},
		{"absent", "", body, "missing"},
		{"timestamp swapped", "t=" + strconv.FormatInt(ts-1, 10) + ",v1=" + v1(ts, secret), body,
			"does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.header != "" {
				h.Set("Stripe-Signature", tt.header)
			}
			err := webhook.Verify(spec("stripe"),
				webhook.Request{Header: h, Body: []byte(tt.body)}, secret, now)
			if tt.reason == "" {
				require.NoError(t, err)
				return
			}
			refusedWith(t, err, tt.reason)
		})
	}
}

func TestGitHubPublishedVector(t *testing.T) {
	t.Parallel()
	// GitHub's documentation of validating webhook deliveries.
	secret := []byte("It's a Secret to Everybody")
	req := webhook.Request{Body: []byte("Hello, World!"), Header: headers("X-Hub-Signature-256",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")}
	require.NoError(t, webhook.Verify(spec("github"), req, secret, time.Now()))
	req.Body = []byte("Hello,  World!")
	refusedWith(t, webhook.Verify(spec("github"), req, secret, time.Now()), "does not match")
}

func TestGitHubComputed(t *testing.T) {
	t.Parallel()
	secret := []byte("gh-secret")
	body := `{"action":"opened","issue":{"number":1}}`
	good := "sha256=" + hmacHex(secret, body)
	tests := []struct {
		name, header, body, reason string
	}{
		{"valid", good, body, ""},
		{"extra space after a colon", good, strings.Replace(body, `"action":`, `"action": `, 1),
			"does not match"},
		{"sha1 header only", "", body, "missing"},
		{"no prefix", hmacHex(secret, body), body, "does not match"},
		{"not hex", "sha256=zz", body, "does not match"},
		{"truncated", good[:len(good)-2], body, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.header != "" {
				h.Set("X-Hub-Signature-256", tt.header)
			}
			h.Set("X-Hub-Signature", "sha1=ignored")
			err := webhook.Verify(spec("github"),
				webhook.Request{Header: h, Body: []byte(tt.body)}, secret, time.Now())
			if tt.reason == "" {
				require.NoError(t, err)
				return
			}
			refusedWith(t, err, tt.reason)
		})
	}
}

func TestTwilioPublishedVector(t *testing.T) {
	t.Parallel()
	// Twilio's documentation of its request signature.
	body := "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234" +
		"&From=%2B12349013030&To=%2B18005551212"
	req := webhook.Request{URL: "https://mycompany.com/myapp.php?foo=1&bar=2", Body: []byte(body),
		Header: headers("Content-Type", "application/x-www-form-urlencoded",
			"X-Twilio-Signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")}
	require.NoError(t, webhook.Verify(spec("twilio"), req, []byte("12345"), time.Now()))
	req.Body = []byte(strings.Replace(body, "Digits=1234", "Digits=1235", 1))
	refusedWith(t, webhook.Verify(spec("twilio"), req, []byte("12345"), time.Now()), "does not match")
}

func TestTwilioComputed(t *testing.T) {
	t.Parallel()
	secret := []byte("twilio-token")
	const url = "https://sb.example/api/v1/hooks/sbh_x"
	// Parameters sorted by name, a repeated one by value.
	data := url + "Body hi" + "ToA" + "ToB"
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(data))
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
	form := headers("Content-Type", "application/x-www-form-urlencoded; charset=utf-8",
		"X-Twilio-Signature", sig)
	req := webhook.Request{URL: url, Header: form, Body: []byte("To=B&Body=+hi&To=A")}
	require.Equal(t, data, webhook.TwilioData(req))
	require.NoError(t, webhook.Verify(spec("twilio"), req, secret, time.Now()))

	req.URL = "https://sb.example/api/v1/hooks/sbh_y"
	refusedWith(t, webhook.Verify(spec("twilio"), req, secret, time.Now()), "does not match")
	req.URL, req.Header = url, headers("Content-Type", "application/x-www-form-urlencoded")
	refusedWith(t, webhook.Verify(spec("twilio"), req, secret, time.Now()), "missing")

	// A body the signature does not cover is refused, however the URL is
	// signed: JSON, or a form that does not parse.
	m = hmac.New(sha1.New, secret)
	m.Write([]byte(url))
	urlOnly := base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, tc := range []struct{ ct, body string }{
		{"application/json", `{"type":"order.created","evil":true}`},
		{"text/plain", "anything"},
		{"application/x-www-form-urlencoded", "a=%zz"},
	} {
		req := webhook.Request{URL: url, Body: []byte(tc.body),
			Header: headers("Content-Type", tc.ct, "X-Twilio-Signature", urlOnly)}
		refusedWith(t, webhook.Verify(spec("twilio"), req, secret, time.Now()), "form bodies only")
	}
	empty := webhook.Request{URL: url, Header: headers("X-Twilio-Signature", urlOnly)}
	require.NoError(t, webhook.Verify(spec("twilio"), empty, secret, time.Now()))
}

func TestStandardWebhooksPublishedVector(t *testing.T) {
	t.Parallel()
	// The Standard Webhooks specification's example.
	secret := []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	body := `{"test": 2432232314}`
	h := headers("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp", "1614265330",
		"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	now := time.Unix(1614265330, 0)
	req := webhook.Request{Header: h, Body: []byte(body)}
	require.NoError(t, webhook.Verify(spec("standard-webhooks"), req, secret, now))

	key, err := webhook.StandardKey(secret)
	require.NoError(t, err)
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		webhook.SignStandard(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", now, []byte(body)))

	req.Body = []byte(`{"test":  2432232314}`)
	refusedWith(t, webhook.Verify(spec("standard-webhooks"), req, secret, now), "does not match")
}

func TestStandardWebhooksComputed(t *testing.T) {
	t.Parallel()
	raw := []byte("0123456789abcdef0123456789abcdef")
	secret := []byte("whsec_" + base64.StdEncoding.EncodeToString(raw))
	now := time.Unix(1_700_000_000, 0)
	body := `{"type":"invoice.paid","data":{"id":"in_1"}}`
	sig := func(id string, at time.Time) string { return webhook.SignStandard(raw, id, at, []byte(body)) }
	tests := []struct {
		name      string
		id, ts    string
		signature string
		body      string
		reason    string
	}{
		{"valid", "msg_1", "1700000000", sig("msg_1", now), body, ""},
		{"several signatures", "msg_1", "1700000000", "v1,AAAA " + sig("msg_1", now) + " v2,x", body, ""},
		{"extra space after a colon", "msg_1", "1700000000", sig("msg_1", now),
			strings.Replace(body, `"type":`, `"type": `, 1), "does not match"},
		{"id changed", "msg_2", "1700000000", sig("msg_1", now), body, "does not match"},
		{"stale", "msg_1", "1699999600", sig("msg_1", now.Add(-400*time.Second)), body, "tolerance"},
		{"ahead", "msg_1", "1700000400", sig("msg_1", now.Add(400*time.Second)), body, "tolerance"},
		{"no id", "", "1700000000", sig("msg_1", now), body, "missing"},
		{"no signature", "msg_1", "1700000000", "", body, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range map[string]string{"webhook-id": tt.id, "webhook-timestamp": tt.ts,
				"webhook-signature": tt.signature} {
				if v != "" {
					h.Set(k, v)
				}
			}
			err := webhook.Verify(spec("standard-webhooks"),
				webhook.Request{Header: h, Body: []byte(tt.body)}, secret, now)
			if tt.reason == "" {
				require.NoError(t, err)
				return
			}
			refusedWith(t, err, tt.reason)
		})
	}
	h := headers("webhook-id", "m", "webhook-timestamp", "1700000000", "webhook-signature", "v1,x")
	refusedWith(t, webhook.Verify(spec("standard-webhooks"),
		webhook.Request{Header: h, Body: []byte(body)}, []byte("whsec_not base64!"), now),
		"secret is not in the scheme's format")
}

func TestHMACSHA256Computed(t *testing.T) {
	t.Parallel()
	secret := []byte("generic-secret")
	body := `{"kind":"ping"}`
	sum := hmac.New(sha256.New, secret)
	sum.Write([]byte(body))
	mac := sum.Sum(nil)
	hexSpec := &registry.WebhookVerification{Scheme: "hmac-sha256", Secret: "sig",
		Header: "X-Signature", Prefix: "sha256="}
	b64Spec := &registry.WebhookVerification{Scheme: "hmac-sha256", Secret: "sig",
		Header: "X-Sig", Encoding: "base64"}
	tests := []struct {
		name   string
		spec   *registry.WebhookVerification
		header http.Header
		body   string
		reason string
	}{
		{"hex with prefix", hexSpec, headers("X-Signature", "sha256="+hex.EncodeToString(mac)), body, ""},
		{"base64", b64Spec, headers("X-Sig", base64.StdEncoding.EncodeToString(mac)), body, ""},
		{"prefix missing", hexSpec, headers("X-Signature", hex.EncodeToString(mac)), body, "does not match"},
		{"extra space after a colon", hexSpec, headers("X-Signature", "sha256="+hex.EncodeToString(mac)),
			`{"kind": "ping"}`, "does not match"},
		{"other header", hexSpec, headers("X-Other", "sha256="+hex.EncodeToString(mac)), body, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(tt.spec,
				webhook.Request{Header: tt.header, Body: []byte(tt.body)}, secret, time.Now())
			if tt.reason == "" {
				require.NoError(t, err)
				return
			}
			refusedWith(t, err, tt.reason)
		})
	}
}

func TestToleranceFromManifest(t *testing.T) {
	t.Parallel()
	secret := []byte("s")
	now := time.Unix(1_700_000_000, 0)
	ts := strconv.FormatInt(now.Unix()-90, 10)
	body := "{}"
	h := headers("X-Slack-Request-Timestamp", ts, "X-Slack-Signature", "v0="+hmacHex(secret, "v0:"+ts+":"+body))
	s := spec("slack")
	s.Tolerance = registry.Duration(time.Minute)
	refusedWith(t, webhook.Verify(s, webhook.Request{Header: h, Body: []byte(body)}, secret, now),
		"tolerance")
	s.Tolerance = registry.Duration(2 * time.Minute)
	require.NoError(t, webhook.Verify(s, webhook.Request{Header: h, Body: []byte(body)}, secret, now))
}

func FuzzVerify(f *testing.F) {
	f.Add("slack", "v0=00", "1700000000", []byte("{}"))
	f.Add("stripe", "t=1,v1=00,v1=zz", "", []byte(`{"id":1}`))
	f.Add("standard-webhooks", "v1,AAAA v1,", "1700000000", []byte(""))
	f.Add("twilio", "====", "", []byte("a=%zz&b"))
	f.Fuzz(func(t *testing.T, scheme, sig, ts string, body []byte) {
		h := http.Header{}
		for _, name := range []string{"X-Slack-Signature", "Stripe-Signature", "X-Hub-Signature-256",
			"X-Twilio-Signature", "webhook-signature", "X-Sig"} {
			h.Set(name, sig)
		}
		h.Set("X-Slack-Request-Timestamp", ts)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-id", "m")
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		s := &registry.WebhookVerification{Scheme: scheme, Secret: "sig", Header: "X-Sig"}
		err := webhook.Verify(s, webhook.Request{Header: h, Body: body, URL: "https://x"},
			[]byte("whsec_AAAA"), time.Unix(1_700_000_000, 0))
		// No guess passes, and every failure is a refusal.
		require.Error(t, err)
		require.True(t, webhook.IsRefusal(err))
	})
}
