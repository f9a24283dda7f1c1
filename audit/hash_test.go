package audit_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
)

// full is an entry with every field set.
func full() audit.Entry {
	return audit.Entry{
		ID: "0000000000000001-abc-0000000000000007", Time: t0, Actor: "user:alice",
		OnBehalfOf: "user:bob", Surface: audit.SurfaceMCP, Event: audit.EventCall,
		Integration: "slack", Action: "send_message", Outcome: audit.OutcomeError,
		ErrorCode: "timeout", Latency: time.Second, RequestID: "req-1", InputMAC: "ab",
		Detail: map[string]string{"tool": "slack_send_message", "a": "b"},
		Chain:  "abc", Seq: 7, PrevHash: "p",
	}
}

func TestHashCoversEveryField(t *testing.T) {
	t.Parallel()
	seed := bytes.Repeat([]byte{7}, 32)
	base := audit.HashEntry(seed, full())
	require.Len(t, base, 64)
	_, err := hex.DecodeString(base)
	require.NoError(t, err)

	tests := []struct {
		name string
		edit func(e *audit.Entry)
	}{
		{"id", func(e *audit.Entry) { e.ID += "0" }},
		{"time", func(e *audit.Entry) { e.Time = e.Time.Add(time.Microsecond) }},
		{"actor", func(e *audit.Entry) { e.Actor = "user:mallory" }},
		{"on behalf of", func(e *audit.Entry) { e.OnBehalfOf = "" }},
		{"surface", func(e *audit.Entry) { e.Surface = audit.SurfaceREST }},
		{"event", func(e *audit.Entry) { e.Event = audit.EventDeploy }},
		{"integration", func(e *audit.Entry) { e.Integration = "stripe" }},
		{"action", func(e *audit.Entry) { e.Action = "x" }},
		{"outcome", func(e *audit.Entry) { e.Outcome = audit.OutcomeDenied }},
		{"error code", func(e *audit.Entry) { e.ErrorCode = "internal" }},
		{"latency", func(e *audit.Entry) { e.Latency++ }},
		{"request id", func(e *audit.Entry) { e.RequestID = "req-2" }},
		{"input mac", func(e *audit.Entry) { e.InputMAC = "cd" }},
		{"detail value", func(e *audit.Entry) { e.Detail["tool"] = "x" }},
		{"detail key", func(e *audit.Entry) { delete(e.Detail, "a"); e.Detail["b"] = "b" }},
		{"detail gone", func(e *audit.Entry) { e.Detail = nil }},
		{"chain", func(e *audit.Entry) { e.Chain = "abd" }},
		{"seq", func(e *audit.Entry) { e.Seq = 8 }},
		{"prev hash", func(e *audit.Entry) { e.PrevHash = "q" }},
		// Length prefixes: moving bytes between fields changes the hash.
		{"bytes moved between fields", func(e *audit.Entry) {
			e.Actor, e.OnBehalfOf = "user:aliceuser:b", "ob"
		}},
		{"detail split otherwise", func(e *audit.Entry) {
			e.Detail = map[string]string{"tool": "slack_send_message", "ab": ""}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := full()
			tt.edit(&e)
			require.NotEqual(t, base, audit.HashEntry(seed, e))
		})
	}

	t.Run("hash field itself is not covered", func(t *testing.T) {
		e := full()
		e.Hash = "anything"
		require.Equal(t, base, audit.HashEntry(seed, e))
	})
	t.Run("another key", func(t *testing.T) {
		require.NotEqual(t, base, audit.HashEntry(bytes.Repeat([]byte{8}, 32), full()))
	})
}

func TestID(t *testing.T) {
	t.Parallel()
	at := time.UnixMicro(0x1234)
	id := audit.FormatID(at, "abc", 0x2a)
	require.Equal(t, "0000000000001234-abc-000000000000002a", id)
	chain, seq, ok := audit.ParseID(id)
	require.True(t, ok)
	require.Equal(t, "abc", chain)
	require.Equal(t, int64(42), seq)

	// Ids sort by time, then chain, then seq.
	ordered := []string{
		audit.FormatID(at, "b", 9),
		audit.FormatID(at.Add(time.Microsecond), "a", 1),
		audit.FormatID(at.Add(time.Microsecond), "a", 2),
		audit.FormatID(at.Add(time.Microsecond), "ab", 1),
		audit.FormatID(at.Add(time.Microsecond), "b", 1),
	}
	for i := 1; i < len(ordered); i++ {
		require.Less(t, ordered[i-1], ordered[i])
	}

	for _, bad := range []string{"", "x", "0000000000001234-a-b-000000000000002a",
		"0000000000001234-ABC-000000000000002a", "0000000000001234-abc-00000000002a",
		strings.Replace(id, "abc", "", 1)} {
		_, _, ok := audit.ParseID(bad)
		require.False(t, ok, bad)
	}
}
