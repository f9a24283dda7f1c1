package mcp

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWithConnectionArgument(t *testing.T) {
	t.Parallel()
	in := json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}},` +
		`"required":["q"],"additionalProperties":false}`)
	var got struct {
		Properties           map[string]map[string]any
		Required             []string
		AdditionalProperties bool
	}
	require.NoError(t, json.Unmarshal(withConnectionArgument(in), &got))
	require.Equal(t, "string", got.Properties["_connection"]["type"])
	require.Contains(t, got.Properties, "q")
	require.Equal(t, []string{"q"}, got.Required, "optional")
	require.False(t, got.AdditionalProperties)

	// No properties yet: they are made. Not an object: left alone.
	require.JSONEq(t, `{"type":"object","properties":{"_connection":{"type":"string",
		"description":"Which of the user's connected accounts to use (a connection id); the oldest active one when absent"}}}`,
		string(withConnectionArgument(json.RawMessage(`{"type":"object"}`))))
	require.Equal(t, `true`, string(withConnectionArgument(json.RawMessage(`true`))))
}
