package registry

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

// hooked is a manifest with a secret property, a plain one and one
// webhook, whose webhookVerification is block.
func hooked(block string) string {
	return `{"appId":"x","name":"x","version":"1","actions":[],
	  "configSchema":{"properties":{"sig":{"type":"string","platformSecret":"X_SIG"},
	    "plain":{"type":"string"}}},
	  "webhooks":["a"],"webhookVerification":` + block + `}`
}

func TestParseWebhookVerification(t *testing.T) {
	t.Parallel()
	m, warnings, err := Parse([]byte(hooked(`{"scheme":"hmac-sha256","secret":"sig",
	  "header":"X-Signature","prefix":"sha256=","encoding":"base64","eventPath":"data.kind",
	  "idPath":"data.id","tolerance":"2m","maxBodyBytes":4096}`)))
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, &WebhookVerification{Scheme: SchemeHMACSHA256, Secret: "sig",
		Header: "X-Signature", Prefix: "sha256=", Encoding: "base64", EventPath: "data.kind",
		IDPath: "data.id", Tolerance: Duration(2 * 60e9), MaxBodyBytes: 4096},
		m.WebhookVerification)
}

func TestParseWebhookVerificationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		manifest string
		want     []string
	}{
		{"unknown scheme", hooked(`{"scheme":"md5","secret":"sig"}`),
			[]string{`webhookVerification.scheme: must be one of slack, stripe, github, ` +
				`twilio, standard-webhooks, hmac-sha256, not "md5"`}},
		{"no scheme", hooked(`{"secret":"sig"}`),
			[]string{"webhookVerification.scheme: required: one of slack, stripe, github, " +
				"twilio, standard-webhooks, hmac-sha256"}},
		{"no secret", hooked(`{"scheme":"github"}`),
			[]string{"webhookVerification.secret: required: the name of the platformSecret " +
				"config property that holds the signing secret"}},
		{"unknown secret", hooked(`{"scheme":"github","secret":"nope"}`),
			[]string{`webhookVerification.secret: names "nope", which is not a property of configSchema`}},
		{"plain secret", hooked(`{"scheme":"github","secret":"plain"}`),
			[]string{`webhookVerification.secret: names "plain", a plain config property: ` +
				`a signing secret belongs in the vault, in a property with platformSecret`}},
		{"typo", hooked(`{"scheme":"github","secret":"sig","evenPath":"x"}`),
			[]string{`webhookVerification: unknown field "evenPath"`}},
		{"header without hmac", hooked(`{"scheme":"github","secret":"sig","header":"X-Sig"}`),
			[]string{"webhookVerification.header: only the hmac-sha256 scheme takes it; " +
				"github fixes its own"}},
		{"hmac without header", hooked(`{"scheme":"hmac-sha256","secret":"sig"}`),
			[]string{`webhookVerification.header: required with hmac-sha256: the header ` +
				`that carries the signature, as in "X-Signature"`}},
		{"bad header", hooked(`{"scheme":"hmac-sha256","secret":"sig","header":"X Sig"}`),
			[]string{`webhookVerification.header: "X Sig" is not an HTTP header name`}},
		{"bad encoding", hooked(`{"scheme":"hmac-sha256","secret":"sig","header":"X-Sig",
		  "encoding":"base32"}`),
			[]string{`webhookVerification.encoding: must be hex or base64, not "base32"`}},
		{"bad path", hooked(`{"scheme":"slack","secret":"sig","eventPath":"event..type"}`),
			[]string{`webhookVerification.eventPath: "event..type" must be a dotted path ` +
				`such as "event.type"`}},
		{"long tolerance", hooked(`{"scheme":"stripe","secret":"sig","tolerance":"2h"}`),
			[]string{"webhookVerification.tolerance: must be between 0 and 1h"}},
		{"big body", hooked(`{"scheme":"stripe","secret":"sig","maxBodyBytes":999999999}`),
			[]string{"webhookVerification.maxBodyBytes: must be between 0 and 16777216"}},
		{"wrong type", hooked(`{"scheme":"stripe","secret":"sig","maxBodyBytes":"big"}`),
			[]string{"webhookVerification.maxBodyBytes: must be a number, not string"}},
		{"not an object", hooked(`"slack"`), []string{"webhookVerification: "}},
		{"no webhooks", `{"appId":"x","name":"x","version":"1","actions":[],
		  "configSchema":{"properties":{"sig":{"type":"string","platformSecret":"X_SIG"}}},
		  "webhookVerification":{"scheme":"github","secret":"sig"}}`,
			[]string{"webhookVerification: declares how webhooks are signed, but webhooks lists none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Parse([]byte(tt.manifest))
			require.Error(t, err)
			e, ok := errors.AsType[*switchboard.Error](err)
			require.True(t, ok, "%T", err)
			require.Len(t, e.Errors, len(tt.want), "%v", e.Errors)
			for i, want := range tt.want {
				got := e.Errors[i].Path + ": " + e.Errors[i].Message
				require.Contains(t, got, want)
			}
		})
	}
}
