package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

func TestListCatalog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.reg.snap = newSnapshot(t, nil, notesManifest)
	rec := e.do(http.MethodGet, "/api/v1/integrations/catalog", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"integrations":[
	  {"id":"notes","name":"Notes","version":"2.0.0","source":"folder",
	   "actions":[{"id":"list"},{"id":"add"}],"webhooks":[],
	   "installed":true,"installedVersion":"2.0.0"},
	  {"id":"slack","name":"Slack","version":"1.2.0","description":"Team chat.",
	   "source":"builtin","instructions":"Find a channel id first.",
	   "actions":[{"id":"send_message","name":"Send Message","description":"Posts a message."}],
	   "configSchema":{"type":"object","properties":{
	     "botToken":{"type":"string","platformSecret":"SLACK_BOT_TOKEN"},
	     "baseUrl":{"type":"string","default":"https://slack.example"}},
	     "required":["botToken"]},
	   "webhooks":[{"name":"message"}],"installed":false}
	]}`, rec.Body.String())
}

func TestListCatalogFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.reg.catalogErr = errors.New("read catalog: disk on fire")
	rec := e.do(http.MethodGet, "/api/v1/integrations/catalog", adminToken, nil)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Equal(t, "internal error", problemOf(t, rec)["detail"])
	require.NotContains(t, rec.Body.String(), "disk on fire")
}

const uploadManifest = `{"appId":"todo","name":"Todo","version":"0.1.0","icon":"x.png",
 "actions":[{"id":"list"}]}`

func TestUploadManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		body   string
		status int
		code   string
	}{
		{name: "uploaded", token: adminToken, body: uploadManifest, status: http.StatusCreated},
		{name: "forbidden", token: memberToken, body: uploadManifest,
			status: http.StatusForbidden, code: "forbidden"},
		{name: "empty body", token: adminToken, body: " ",
			status: http.StatusBadRequest, code: "invalid_request"},
		{name: "invalid manifest", token: adminToken, body: `{"appId":"Bad"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := e.do(http.MethodPost, "/api/v1/integrations/catalog", tt.token,
				strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.code != "" {
				require.Equal(t, tt.code, problemOf(t, rec)["code"])
				if tt.code == "forbidden" || tt.code == "invalid_request" {
					require.Empty(t, e.reg.uploads, "nothing reaches the registry")
				}
				return
			}
			got := jsonOf(t, rec)
			require.Equal(t, "todo", got["id"])
			require.Equal(t, "0.1.0", got["version"])
			require.Equal(t, "uploaded", got["source"])
			require.Len(t, got["warnings"], 1)
			require.Contains(t, got["warnings"].([]any)[0], "icon")
			require.Equal(t, [][]byte{[]byte(uploadManifest)}, e.reg.uploads, "raw bytes")
		})
	}
}

func TestDeploy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		id     string
		body   string
		err    error
		status int
		code   string
	}{
		{name: "deployed", token: adminToken, id: "slack", status: http.StatusOK},
		{name: "empty object body", token: adminToken, id: "slack", body: "{}",
			status: http.StatusOK},
		{name: "forbidden", token: memberToken, id: "slack",
			status: http.StatusForbidden, code: "forbidden"},
		{name: "unknown field", token: adminToken, id: "slack", body: `{"version":"2"}`,
			status: http.StatusBadRequest, code: "invalid_request"},
		{name: "not in catalog", token: adminToken, id: "nope",
			status: http.StatusNotFound, code: "not_found"},
		{name: "conflict", token: adminToken, id: "slack",
			err:    switchboard.Errorf(switchboard.CodeConflict, "tool name taken"),
			status: http.StatusConflict, code: "conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.reg.deployErr = tt.err
			rec := e.do(http.MethodPost, "/api/v1/integrations/catalog/"+tt.id+"/deploy",
				tt.token, strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.code != "" {
				p := problemOf(t, rec)
				require.Equal(t, tt.code, p["code"])
				if tt.code == "invalid_request" {
					require.Contains(t, p["detail"], `unknown field "version"`)
				}
				return
			}
			require.JSONEq(t, `{"id":"slack","version":"1.2.0","tools":["slack_send_message"]}`,
				rec.Body.String())
			require.Equal(t, []string{"slack"}, e.reg.deploys)
		})
	}
}

func TestUndeploy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		query  string
		err    error
		status int
		code   string
		purge  bool
	}{
		{name: "keep data", token: adminToken, status: http.StatusOK},
		{name: "purge", token: adminToken, query: "?purge=true", status: http.StatusOK,
			purge: true},
		{name: "purge false", token: adminToken, query: "?purge=false", status: http.StatusOK},
		{name: "purge not boolean", token: adminToken, query: "?purge=yes",
			status: http.StatusBadRequest, code: "invalid_request"},
		{name: "purge twice", token: adminToken, query: "?purge=true&purge=false",
			status: http.StatusBadRequest, code: "invalid_request"},
		{name: "forbidden", token: memberToken, status: http.StatusForbidden, code: "forbidden"},
		{name: "not deployed", token: adminToken,
			err:    switchboard.Errorf(switchboard.CodeNotFound, "not deployed"),
			status: http.StatusNotFound, code: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.reg.undeployErr = tt.err
			rec := e.do(http.MethodDelete, "/api/v1/integrations/catalog/slack"+tt.query,
				tt.token, nil)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.code != "" {
				p := problemOf(t, rec)
				require.Equal(t, tt.code, p["code"])
				if tt.code == "invalid_request" {
					require.Contains(t, p["detail"], "purge")
					require.Empty(t, e.reg.undeploys)
				}
				return
			}
			want := `{"id":"slack","undeployed":true,"purged":false}`
			if tt.purge {
				want = `{"id":"slack","undeployed":true,"purged":true}`
			}
			require.JSONEq(t, want, rec.Body.String())
			require.Equal(t, []undeployCall{{ID: "slack", Purge: tt.purge}}, e.reg.undeploys)
		})
	}
}

func TestAdminRoutesCheckPermissionFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(http.MethodPost, "/api/v1/integrations/catalog/slack/deploy", memberToken, nil)
	e.do(http.MethodDelete, "/api/v1/integrations/catalog/slack?purge=true", memberToken, nil)
	e.do(http.MethodPost, "/api/v1/integrations/catalog", memberToken,
		strings.NewReader(uploadManifest))
	require.Equal(t, []string{
		"user:member admin:integrations.deploy",
		"user:member admin:integrations.deploy",
		"user:member admin:integrations.deploy",
	}, e.authz.checked())
	require.Empty(t, e.reg.deploys)
	require.Empty(t, e.reg.undeploys)
	require.Empty(t, e.reg.uploads)
}
