package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/executor"
)

func TestCallAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		out   string
		input string
	}{
		{name: "object input", body: `{"text":"hi"}`, out: `{"ok":true,"ts":"1.2"}`,
			input: `{"text":"hi"}`},
		{name: "empty body is {}", body: "", out: `[1, 2,3]`, input: `{}`},
		{name: "output kept byte for byte", body: " \n", out: `{"b":1,  "a":2}`, input: `{}`},
		{name: "no output", body: `{}`, out: ``, input: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.exec.out = json.RawMessage(tt.out)
			rec := e.do(http.MethodPost, "/api/v1/integrations/slack/actions/send_message",
				memberToken, strings.NewReader(tt.body))
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			want := tt.out
			if want == "" {
				want = "null"
			}
			require.Equal(t, want, rec.Body.String())
			require.Equal(t, []executor.Call{{
				Caller: member, Integration: "slack", Action: "send_message",
				Input: json.RawMessage(tt.input), Surface: executor.SurfaceREST,
			}}, e.exec.recorded())
			require.Empty(t, e.authz.checked(), "the executor authorizes, not the API")
		})
	}
}

func TestCallActionErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec.err = switchboard.Errorf(switchboard.CodeForbidden, "user:member lacks it")
	rec := e.do(http.MethodPost, "/api/v1/integrations/slack/actions/send_message",
		memberToken, strings.NewReader(`{}`))
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, "forbidden", problemOf(t, rec)["code"])
}
