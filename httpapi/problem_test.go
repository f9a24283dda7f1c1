package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

func TestProblemShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want map[string]any // besides type, title, status, code and requestId
	}{
		{
			name: "invalid_input lists errors",
			err: &switchboard.Error{Code: switchboard.CodeInvalidInput, Message: "input is invalid",
				Errors: []switchboard.FieldError{
					{Path: "/text", Message: "missing property"},
					{Path: "/limit", Message: "must be >= 1"},
				}},
			want: map[string]any{"detail": "input is invalid", "errors": []any{
				map[string]any{"path": "/text", "message": "missing property"},
				map[string]any{"path": "/limit", "message": "must be >= 1"},
			}},
		},
		{
			name: "invalid_input without a list",
			err:  switchboard.Errorf(switchboard.CodeInvalidInput, "input is not JSON"),
			want: map[string]any{"detail": "input is not JSON", "errors": []any{}},
		},
		{
			name: "not_configured lists missing",
			err: &switchboard.Error{Code: switchboard.CodeNotConfigured,
				Message: "Slack is not configured", Missing: []string{"botToken"}},
			want: map[string]any{"detail": "Slack is not configured",
				"missing": []any{"botToken"}},
		},
		{
			name: "forbidden names the permission",
			err: &switchboard.Error{Code: switchboard.CodeForbidden, Message: "no",
				Permission: "integration:slack:send_message"},
			want: map[string]any{"detail": "no",
				"permission": "integration:slack:send_message"},
		},
		{
			name: "upstream_error carries the service's answer",
			err: &switchboard.Error{Code: switchboard.CodeUpstream, Message: "Slack said no",
				UpstreamStatus: 200, UpstreamCode: "channel_not_found",
				Cause: errors.New("ok=false")},
			want: map[string]any{"detail": "Slack said no", "upstreamStatus": float64(200),
				"upstreamCode": "channel_not_found"},
		},
		{
			name: "fields of other codes stay out",
			err: &switchboard.Error{Code: switchboard.CodeNotFound, Message: "no such action",
				Missing: []string{"x"}, Permission: "p", UpstreamStatus: 500,
				Errors: []switchboard.FieldError{{Path: "/", Message: "m"}}},
			want: map[string]any{"detail": "no such action"},
		},
		{
			name: "a wrapped error keeps its code",
			err: fmt.Errorf("run action: %w",
				switchboard.Errorf(switchboard.CodeTimeout, "Slack did not answer in 15s")),
			want: map[string]any{"detail": "Slack did not answer in 15s"},
		},
		{
			name: "any other error is internal",
			err:  errors.New("pq: connection refused to 10.1.2.3 password=hunter2"),
			want: map[string]any{"detail": "internal error"},
		},
		{
			name: "an internal error shows its message only",
			err: switchboard.Wrap(switchboard.CodeInternal,
				errors.New("password=hunter2"), "the audit log is unavailable"),
			want: map[string]any{"detail": "the audit log is unavailable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.exec.err = tt.err
			req := newRequest(http.MethodPost, "/api/v1/integrations/slack/actions/send_message",
				memberToken, "{}")
			req.Header.Set(RequestIDHeader, "problem-test_1")
			rec := e.serve(req)

			code := switchboard.ErrorCode(tt.err)
			require.Equal(t, code.Status(), rec.Code)
			p := problemOf(t, rec)
			require.Equal(t, "urn:switchboard:error:"+string(code), p["type"])
			require.Equal(t, titles[code], p["title"])
			require.EqualValues(t, code.Status(), p["status"])
			require.Equal(t, string(code), p["code"])
			require.Equal(t, "problem-test_1", p["requestId"])
			require.Equal(t, "problem-test_1", rec.Header().Get(RequestIDHeader))
			for _, k := range []string{"type", "title", "status", "code", "requestId"} {
				delete(p, k)
			}
			require.Equal(t, tt.want, p)
			require.NotContains(t, rec.Body.String(), "hunter2")
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}

func TestInternalErrorIsLoggedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec.err = fmt.Errorf("open secret: %w", errors.New("vault sealed"))
	rec := e.do(http.MethodPost, "/api/v1/integrations/slack/actions/send_message",
		memberToken, strings.NewReader("{}"))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.NotContains(t, rec.Body.String(), "vault sealed")

	var failures []map[string]any
	for _, l := range e.logs.lines(t) {
		if l["msg"] == "request failed" {
			failures = append(failures, l)
		}
	}
	require.Len(t, failures, 1)
	got := failures[0]
	require.Equal(t, "ERROR", got["level"])
	require.Equal(t, "open secret: vault sealed", got["err"])
	require.Equal(t, rec.Header().Get(RequestIDHeader), got["request_id"])
	require.Equal(t, "/api/v1/integrations/{id}/actions/{action}", got["route"])
	require.Equal(t, "internal", got["code"])
}

func TestUpstreamCauseIsLoggedAsWarning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec.err = switchboard.Wrap(switchboard.CodeUpstream, errors.New("read: connection reset"),
		"Slack did not answer")
	rec := e.do(http.MethodPost, "/api/v1/integrations/slack/actions/send_message",
		memberToken, nil)
	require.Equal(t, http.StatusBadGateway, rec.Code)
	got := e.logs.record(t, "request failed")
	require.Equal(t, "WARN", got["level"])
	require.Equal(t, "Slack did not answer: read: connection reset", got["err"])
}

func TestProblemTitleFollowsStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		code   switchboard.Code
		status int
		want   string
	}{
		{name: "own status", code: switchboard.CodeNotFound, status: 404, want: "Not found"},
		{name: "other status", code: switchboard.CodeInternal, status: 503,
			want: "Service Unavailable"},
		{name: "unknown code", code: "brand_new", status: 500, want: "Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, title(tt.code, tt.status))
		})
	}
}

func newRequest(method, target, token, body string) *http.Request {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}
