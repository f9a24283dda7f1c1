package backend

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/registry"
)

// BenchmarkRun measures one action call against a loopback service: render,
// send over a kept-alive connection, read and shape the answer.
func BenchmarkRun(b *testing.B) {
	srv := service(b, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`)
	})
	act := testAction(b, "Slack", registry.RequestSpec{
		Method: "POST",
		URL:    base + "/chat.postMessage",
		Auth:   &registry.AuthSpec{Bearer: "{{secrets.botToken}}"},
		JSON:   json.RawMessage(`{"channel":"{{input.channel}}","text":"{{input.text}}"}`),
	}, &registry.ResponseSpec{
		ErrorWhen: &registry.ErrorWhen{Path: "ok", Equals: json.RawMessage("false")},
		ErrorCode: "error",
	})
	h := newTestBackend(b, Config{})
	v := configFor(srv + "/api")
	v.Input = input(b, `{"channel":"C1","text":"hello"}`)
	v.Secrets = map[string][]byte{"botToken": []byte("xoxb-bench")}

	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Run(b.Context(), act, v); err != nil {
			require.NoError(b, err)
		}
	}
}

// BenchmarkRender measures rendering alone: templates, escaping, the origin
// check and the JSON body.
func BenchmarkRender(b *testing.B) {
	act := testAction(b, "Slack", registry.RequestSpec{
		Method: "POST",
		URL:    base + "/conversations/{{input.channel}}/messages",
		Query:  map[string]string{"limit": "{{input.limit}}"},
		Auth:   &registry.AuthSpec{Bearer: "{{secrets.botToken}}"},
		JSON: json.RawMessage(`{"channel":"{{input.channel}}","text":"{{input.text}}",` +
			`"blocks":"{{input.blocks}}","thread":"{{input.thread}}"}`),
	}, nil)
	h := newTestBackend(b, Config{})
	v := configFor("https://slack.com/api")
	v.Input = input(b, `{"channel":"C1","text":"hello <world>","limit":10,`+
		`"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}]}`)
	v.Secrets = map[string][]byte{"botToken": []byte("xoxb-bench")}

	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.newCall(act, v).request(b.Context()); err != nil {
			require.NoError(b, err)
		}
	}
}
