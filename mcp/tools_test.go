package mcp

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestBuiltinToolsGolden keeps the built-in tools' definitions, which
// clients and models depend on, from changing unnoticed. After an intended
// change run: go test ./mcp -update
func TestBuiltinToolsGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tool mcpgo.Tool
	}{
		{toolListIntegrations, listIntegrationsTool()},
		{toolCallIntegration, callIntegrationTool()},
		{toolListEvents, listEventsTool()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := toolSnapshot(t, tt.tool)
			path := filepath.Join("testdata", tt.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "no golden file: run go test ./mcp -update")
			require.Equal(t, string(want), string(got),
				"%s drifted from %s; if the change is intended run go test ./mcp -update",
				tt.name, path)
		})
	}
}

// toolSnapshot returns what a client sees of tool, indented: its name,
// description, input schema and annotations.
func toolSnapshot(t *testing.T, tool mcpgo.Tool) []byte {
	t.Helper()
	b, err := json.Marshal(tool)
	require.NoError(t, err)
	var wire map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &wire))
	snap := struct {
		Name        json.RawMessage `json:"name"`
		Description json.RawMessage `json:"description"`
		InputSchema json.RawMessage `json:"inputSchema"`
		Annotations json.RawMessage `json:"annotations"`
	}{wire["name"], wire["description"], wire["inputSchema"], wire["annotations"]}
	out, err := json.MarshalIndent(snap, "", "  ")
	require.NoError(t, err)
	return append(out, '\n')
}

func TestWithCause(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain error", cause, "disk full"},
		{"wrapped cause", switchboard.Wrap(switchboard.CodeInternal, cause, "internal error"),
			"internal error: disk full"},
		{"no cause", switchboard.Errorf(switchboard.CodeInternal, "internal error"),
			"internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := withCause(tt.err)
			require.EqualError(t, got, tt.want)
			require.ErrorIs(t, got, tt.err)
		})
	}
}
