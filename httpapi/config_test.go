package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

func TestGetConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		id      string
		status  int
		want    string
	}{
		{name: "configured", secrets: []string{"SLACK_BOT_TOKEN"}, id: "slack",
			status: http.StatusOK,
			want: `{"id":"slack","configured":true,"missing":[],"config":[
			  {"name":"botToken","secret":true,"set":true},
			  {"name":"baseUrl","secret":false,"set":true}]}`},
		{name: "secret missing", id: "slack", status: http.StatusOK,
			want: `{"id":"slack","configured":false,"missing":["botToken"],"config":[
			  {"name":"botToken","secret":true,"set":false},
			  {"name":"baseUrl","secret":false,"set":true}]}`},
		{name: "no config schema", id: "notes", status: http.StatusOK,
			want: `{"id":"notes","configured":true,"missing":[],"config":[]}`},
		{name: "not installed", id: "stripe", status: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.reg.snap = newSnapshot(t, tt.secrets, slackManifest, notesManifest)
			rec := e.do(http.MethodGet, "/api/v1/integrations/"+tt.id+"/config", adminToken, nil)
			require.Equal(t, tt.status, rec.Code)
			if tt.want == "" {
				require.Equal(t, "not_found", problemOf(t, rec)["code"])
				return
			}
			require.JSONEq(t, tt.want, rec.Body.String())
		})
	}
}

func TestPutConfig(t *testing.T) {
	t.Parallel()
	const (
		manage    = "user:member integration:slack:manage"
		configure = "user:member " + rbac.IntegrationsConfigure
		secrets   = "user:member " + rbac.SecretsManage
	)
	tests := []struct {
		name      string
		grants    []string
		id        string
		body      string
		err       error
		status    int
		code      string
		checks    []string
		configure bool
	}{
		{
			name: "base URL", grants: []string{rbac.IntegrationsConfigure, rbac.SecretsManage},
			id: "slack", body: `{"baseUrl":"https://slack.test"}`, status: http.StatusOK,
			checks: []string{manage, configure, secrets}, configure: true,
		},
		{
			name:   "base URL, managing slack",
			grants: []string{"integration:slack:manage", rbac.SecretsManage},
			id:     "slack", body: `{"baseUrl":"https://slack.test"}`, status: http.StatusOK,
			checks: []string{manage, secrets}, configure: true,
		},
		{
			// The base URL decides where the bot token is sent.
			name: "base URL without secrets.manage", grants: []string{"integration:slack:manage"},
			id: "slack", body: `{"baseUrl":"https://attacker.test"}`, status: http.StatusForbidden,
			code: "forbidden", checks: []string{manage, secrets},
		},
		{
			name: "secret value", grants: []string{rbac.IntegrationsConfigure, rbac.SecretsManage},
			id: "slack", body: `{"botToken":"xoxb-1"}`, status: http.StatusOK,
			checks: []string{manage, configure, secrets}, configure: true,
		},
		{
			name: "secret without secrets.manage", grants: []string{rbac.IntegrationsConfigure},
			id: "slack", body: `{"baseUrl":"", "botToken":""}`, status: http.StatusForbidden,
			code: "forbidden", checks: []string{manage, configure, secrets},
		},
		{
			name: "secret, managing slack only", grants: []string{"integration:slack:manage"},
			id: "slack", body: `{"botToken":"x"}`, status: http.StatusForbidden,
			code: "forbidden", checks: []string{manage, secrets},
		},
		{
			name: "without configure", grants: []string{rbac.SecretsManage}, id: "slack",
			body: `{"baseUrl":"x"}`, status: http.StatusForbidden, code: "forbidden",
			checks: []string{manage, configure},
		},
		{
			name: "managing another integration", grants: []string{"integration:notes:manage"},
			id: "slack", body: `{"baseUrl":"x"}`, status: http.StatusForbidden, code: "forbidden",
			checks: []string{manage, configure},
		},
		{
			name: "not installed", grants: []string{rbac.IntegrationsConfigure}, id: "stripe",
			body: `{}`, status: http.StatusNotFound, code: "not_found",
			checks: []string{"user:member integration:stripe:manage", configure},
		},
		{
			name: "not an object", grants: []string{rbac.IntegrationsConfigure}, id: "slack",
			body: `["baseUrl"]`, status: http.StatusBadRequest, code: "invalid_request",
			checks: []string{manage, configure},
		},
		{
			name: "malformed", grants: []string{rbac.IntegrationsConfigure}, id: "slack",
			body: `{"baseUrl": nope}`, status: http.StatusBadRequest, code: "invalid_request",
			checks: []string{manage, configure},
		},
		{
			name: "rejected by the registry", grants: []string{rbac.IntegrationsConfigure},
			id: "slack", body: `{"colour":"red"}`, status: http.StatusUnprocessableEntity,
			code: "invalid_input", checks: []string{manage, configure},
			err: &switchboard.Error{Code: switchboard.CodeInvalidInput, Message: "bad config",
				Errors: []switchboard.FieldError{{Path: "colour", Message: "not a property"}}},
			configure: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.authz.grants = tt.grants
			e.reg.configureErr = tt.err
			rec := e.do(http.MethodPut, "/api/v1/integrations/"+tt.id+"/config", memberToken,
				strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			require.Equal(t, tt.checks, e.authz.checked())
			if tt.configure {
				var want map[string]json.RawMessage
				require.NoError(t, json.Unmarshal([]byte(tt.body), &want))
				require.Equal(t, []map[string]json.RawMessage{want}, e.reg.configures)
			} else {
				require.Empty(t, e.reg.configures, "nothing changed")
			}
			if tt.code != "" {
				require.Equal(t, tt.code, problemOf(t, rec)["code"])
				return
			}
			got := jsonOf(t, rec)
			require.Equal(t, tt.id, got["id"])
			require.Contains(t, got, "config")
		})
	}
}

func TestPutConfigNeverShowsSecret(t *testing.T) {
	t.Parallel()
	const secret = "xoxb-7f3a9c-NEVER-SHOWN"
	bodies := []struct {
		name string
		body string
		err  error
	}{
		{name: "accepted", body: `{"botToken":"` + secret + `"}`},
		{name: "malformed", body: `{"botToken":` + secret + `}`},
		{name: "truncated", body: `{"botToken":"` + secret + `"`},
		{name: "registry refuses", body: `{"botToken":"` + secret + `"}`,
			err: switchboard.Errorf(switchboard.CodeInvalidInput, "botToken: too long")},
		{name: "registry fails", body: `{"botToken":"` + secret + `"}`,
			err: switchboard.Wrap(switchboard.CodeInternal, nil, "vault unavailable")},
	}
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.reg.configureErr = tt.err
			rec := e.do(http.MethodPut, "/api/v1/integrations/slack/config", adminToken,
				strings.NewReader(tt.body))
			require.NotContains(t, rec.Body.String(), "NEVER")
			for name, values := range rec.Header() {
				require.NotContains(t, strings.Join(values, " "), "NEVER", name)
			}
			require.NotEmpty(t, e.logs.String())
			require.NotContains(t, e.logs.String(), "NEVER")
			if tt.name == "accepted" {
				require.Equal(t, http.StatusOK, rec.Code)
				require.JSONEq(t, `"`+secret+`"`, string(e.reg.configures[0]["botToken"]),
					"the value reaches the registry")
			}
		})
	}
}
