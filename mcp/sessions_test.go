package mcp

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

func TestSessionsBelongToTheirPrincipal(t *testing.T) {
	t.Parallel()
	s := newSessions()
	alice := switchboard.Principal{Kind: switchboard.KindUser, ID: "alice"}
	mallory := switchboard.Principal{Kind: switchboard.KindUser, ID: "mallory"}
	id := s.id(alice)
	require.True(t, s.owns(alice, id))
	require.False(t, s.owns(mallory, id))
	forged := "0"
	if id[len(id)-1] == '0' {
		forged = "1"
	}
	require.False(t, s.owns(alice, id[:len(id)-1]+forged), "a forged MAC")
	require.False(t, s.owns(alice, "mcp-session-"+id[len(sessionPrefix):]))
	require.False(t, newSessions().owns(alice, id), "another process's key")

	// Streamable HTTP: the id manager of mallory's request refuses alice's.
	req := httptest.NewRequestWithContext(identity.NewContext(t.Context(), mallory), "POST", "/mcp", nil)
	_, err := s.ResolveSessionIdManager(req).Validate(id)
	require.ErrorIs(t, err, errForeignSession)
	req = httptest.NewRequestWithContext(identity.NewContext(t.Context(), alice), "POST", "/mcp", nil)
	_, err = s.ResolveSessionIdManager(req).Validate(id)
	require.NoError(t, err)
	_, err = s.ResolveSessionIdManager(req).Terminate(s.id(mallory))
	require.ErrorIs(t, err, errForeignSession)

	// SSE: mallory's message to alice's session is refused before mcp-go.
	reached := false
	h := s.guardSSE(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(identity.NewContext(t.Context(), mallory),
		"POST", "/message?sessionId="+id, nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.False(t, reached)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(
		identity.NewContext(t.Context(), alice), "POST", "/message?sessionId="+id, nil))
	require.True(t, reached)
}
