package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/registry"
)

// DefaultTolerance is how far a signed timestamp may be from now, either
// way, when the manifest gives no tolerance.
const DefaultTolerance = 5 * time.Minute

// Request is a delivery as verification sees it: its headers, its raw body
// and the public URL it was sent to.
type Request struct {
	Header http.Header
	Body   []byte
	// URL is the listener's public URL, which Twilio signs.
	URL string
}

// Refusal is why a delivery was refused. Its reason goes to the audit and
// the log, never to the sender.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return "webhook refused: " + r.Reason }

// The reasons of a [Refusal].
var (
	errUnsigned   = &Refusal{"signature missing"}
	errSignature  = &Refusal{"signature does not match"}
	errStale      = &Refusal{"timestamp outside the tolerance"}
	errTimestamp  = &Refusal{"timestamp malformed"}
	errSecretForm = &Refusal{"signing secret is not in the scheme's format"}
)

// IsRefusal reports whether err is a [Refusal].
func IsRefusal(err error) bool {
	_, ok := errors.AsType[*Refusal](err)
	return ok
}

// Verify checks req against spec's scheme with secret at now, comparing
// signatures in constant time. It returns nil or a *[Refusal]; neither the
// secret nor a signature appears in it.
func Verify(spec *registry.WebhookVerification, req Request, secret []byte, now time.Time) error {
	tol := time.Duration(spec.Tolerance)
	if tol == 0 {
		tol = DefaultTolerance
	}
	switch spec.Scheme {
	case registry.SchemeSlack:
		return verifySlack(req, secret, now, tol)
	case registry.SchemeStripe:
		return verifyStripe(req, secret, now, tol)
	case registry.SchemeGitHub:
		return verifyHexHeader(req.Header.Get("X-Hub-Signature-256"), "sha256=",
			mac(sha256.New, secret, req.Body))
	case registry.SchemeTwilio:
		return verifyTwilio(req, secret)
	case registry.SchemeStandard:
		return verifyStandard(req, secret, now, tol)
	case registry.SchemeHMACSHA256:
		return verifyGeneric(spec, req, secret)
	}
	return &Refusal{"unknown scheme " + strconv.Quote(spec.Scheme)}
}

func verifySlack(req Request, secret []byte, now time.Time, tol time.Duration) error {
	ts, sig := req.Header.Get("X-Slack-Request-Timestamp"), req.Header.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return errUnsigned
	}
	if err := fresh(ts, now, tol); err != nil {
		return err
	}
	want := mac(sha256.New, secret, []byte("v0:"+ts+":"), req.Body)
	return verifyHexHeader(sig, "v0=", want)
}

func verifyStripe(req Request, secret []byte, now time.Time, tol time.Duration) error {
	header := req.Header.Get("Stripe-Signature")
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return errUnsigned
	}
	if err := fresh(ts, now, tol); err != nil {
		return err
	}
	want := mac(sha256.New, secret, []byte(ts+"."), req.Body)
	if slices.ContainsFunc(sigs, func(s string) bool { return hexEqual(s, want) }) {
		return nil
	}
	return errSignature
}

func verifyTwilio(req Request, secret []byte) error {
	sig := req.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return errUnsigned
	}
	// The signature covers the URL and a form's parameters, not raw
	// bytes: any other body would go unchecked, so none is taken.
	if len(req.Body) > 0 {
		if _, err := url.ParseQuery(string(req.Body)); !isForm(req.Header) || err != nil {
			return &Refusal{"twilio signs form bodies only; this body is not one"}
		}
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return errSignature
	}
	if !hmac.Equal(got, mac(sha1.New, secret, []byte(TwilioData(req)))) {
		return errSignature
	}
	return nil
}

// TwilioData is what Twilio signs: the URL, then, for a form body, each
// parameter's name and value, sorted by name and then value.
func TwilioData(req Request) string {
	var b strings.Builder
	b.WriteString(req.URL)
	if !isForm(req.Header) {
		return b.String()
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return b.String()
	}
	for _, name := range slices.Sorted(maps.Keys(form)) {
		values := slices.Clone(form[name])
		slices.Sort(values)
		for _, v := range values {
			b.WriteString(name)
			b.WriteString(v)
		}
	}
	return b.String()
}

func verifyStandard(req Request, secret []byte, now time.Time, tol time.Duration) error {
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	header := req.Header.Get("webhook-signature")
	if id == "" || ts == "" || header == "" {
		return errUnsigned
	}
	key, err := StandardKey(secret)
	if err != nil {
		return errSecretForm
	}
	if err := fresh(ts, now, tol); err != nil {
		return err
	}
	want := mac(sha256.New, key, []byte(id+"."+ts+"."), req.Body)
	for sig := range strings.FieldsSeq(header) {
		version, value, _ := strings.Cut(sig, ",")
		if version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errSignature
}

// StandardKey returns the signing key of a Standard Webhooks secret: the
// base64 after "whsec_".
func StandardKey(secret []byte) ([]byte, error) {
	s := strings.TrimPrefix(string(secret), "whsec_")
	return base64.StdEncoding.DecodeString(s)
}

func verifyGeneric(spec *registry.WebhookVerification, req Request, secret []byte) error {
	header := req.Header.Get(spec.Header)
	if header == "" {
		return errUnsigned
	}
	want := mac(sha256.New, secret, req.Body)
	if spec.Encoding != "base64" {
		return verifyHexHeader(header, spec.Prefix, want)
	}
	value, ok := strings.CutPrefix(header, spec.Prefix)
	if !ok {
		return errSignature
	}
	got, err := base64.StdEncoding.DecodeString(value)
	if err != nil || !hmac.Equal(got, want) {
		return errSignature
	}
	return nil
}

// verifyHexHeader checks a header holding prefix and the hex of want.
func verifyHexHeader(header, prefix string, want []byte) error {
	if header == "" {
		return errUnsigned
	}
	value, ok := strings.CutPrefix(header, prefix)
	if !ok || !hexEqual(value, want) {
		return errSignature
	}
	return nil
}

// hexEqual compares the hex s with want in constant time.
func hexEqual(s string, want []byte) bool {
	got, err := hex.DecodeString(s)
	return err == nil && hmac.Equal(got, want)
}

// fresh checks that the Unix time ts is within tol of now, either way.
func fresh(ts string, now time.Time, tol time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errTimestamp
	}
	d := now.Sub(time.Unix(sec, 0))
	if d > tol || d < -tol {
		return errStale
	}
	return nil
}

// mac returns the HMAC under key of the parts, in order.
func mac(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func isForm(h http.Header) bool {
	ct, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}
