package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

func TestListAudit(t *testing.T) {
	t.Parallel()
	entry := audit.Entry{ID: "e2", Time: createdAt, Actor: "user:alice",
		Surface: audit.SurfaceREST, Event: audit.EventCall, Integration: "notes",
		Action: "list", Outcome: audit.OutcomeOK, Latency: 1500 * time.Microsecond,
		RequestID: "req1", Chain: "c1", Seq: 2, Hash: "ab"}
	tests := []struct {
		name  string
		query string
		page  audit.Page
		asked audit.Query
		want  string
	}{
		{name: "every entry", page: audit.Page{},
			want: `{"entries":[]}`},
		{name: "filtered, with a next page",
			query: "?actor=user:alice&integration=notes&action=list&outcome=ok" +
				"&since=2025-04-01T00:00:00Z&until=2025-04-03T00:00:00Z&before=e9&limit=1",
			page: audit.Page{Entries: []audit.Entry{entry}, Next: "e2"},
			asked: audit.Query{Actor: "user:alice", Integration: "notes", Action: "list",
				Outcome: audit.OutcomeOK, Since: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
				Until: time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), Before: "e9", Limit: 1},
			want: `{"entries":[{"id":"e2","time":"2025-04-02T09:30:00Z","actor":"user:alice",
			  "surface":"rest","event":"action.call","integration":"notes","action":"list",
			  "outcome":"ok","latency":"1.5ms","requestId":"req1","chain":"c1","seq":2,
			  "hash":"ab"}],"next":"e2"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.audit.page = tt.page
			rec := e.do(http.MethodGet, "/api/v1/audit"+tt.query, adminToken, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Equal(t, []audit.Query{tt.asked}, e.audit.asked())
			var got, want map[string]any
			got, want = jsonOf(t, rec), map[string]any{}
			require.NoError(t, json.Unmarshal([]byte(tt.want), &want))
			// Entry encodes empty fields its own way; compare what the
			// answer names.
			require.Equal(t, want["next"], got["next"])
			require.Len(t, got["entries"], len(want["entries"].([]any)))
			for i, w := range want["entries"].([]any) {
				for k, v := range w.(map[string]any) {
					require.Equal(t, v, got["entries"].([]any)[i].(map[string]any)[k], k)
				}
			}
		})
	}
}

func TestListAuditErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		query  string
		err    error
		status int
		param  string
	}{
		{name: "limit not a number", query: "?limit=ten", status: http.StatusBadRequest,
			param: "limit"},
		{name: "since not a time", query: "?since=yesterday", status: http.StatusBadRequest,
			param: "since"},
		{name: "unknown parameter", query: "?actr=user:a", status: http.StatusBadRequest,
			param: "actr"},
		{name: "repeated parameter", query: "?actor=a&actor=b", status: http.StatusBadRequest,
			param: "actor"},
		{name: "refused by the log", query: "?outcome=maybe",
			err:    switchboard.Errorf(switchboard.CodeInvalidRequest, "audit query: outcome bad"),
			status: http.StatusBadRequest, param: "outcome"},
		{name: "log fails", err: errors.New("database gone"),
			status: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.audit.err = tt.err
			rec := e.do(http.MethodGet, "/api/v1/audit"+tt.query, adminToken, nil)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			p := problemOf(t, rec)
			require.NotContains(t, p["detail"], "database gone")
			if tt.param != "" {
				require.Equal(t, "invalid_request", p["code"])
				require.Contains(t, p["detail"], tt.param)
			}
			if tt.err == nil {
				require.Empty(t, e.audit.asked(), "refused before the log")
			}
		})
	}
}
