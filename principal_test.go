package switchboard_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

func TestParsePrincipal(t *testing.T) {
	t.Parallel()
	const punctuation = `a!"$&'()*+,;<=>@[\]^_{}~` + "`"
	longest := strings.Repeat("x", switchboard.MaxPrincipalID)
	tests := []struct {
		name string
		kind switchboard.Kind
		id   string
	}{
		{"user", switchboard.KindUser, "ann"},
		{"agent", switchboard.KindAgent, "robot-1"},
		{"app", switchboard.KindApp, "billing"},
		{"email", switchboard.KindUser, "ann.lee+ops@example.com"},
		{"auth0 subject", switchboard.KindUser, "auth0|6543"},
		{"google subject", switchboard.KindUser, "google-oauth2|1"},
		{"uuid", switchboard.KindUser, "0b5e4f8c-3f7e-4a52-9d3c-1f0e2a7b6c5d"},
		{"colon in id", switchboard.KindUser, "urn:x:1"},
		{"punctuation", switchboard.KindUser, punctuation},
		{"leading punctuation", switchboard.KindApp, "-x"},
		{"one character", switchboard.KindApp, "x"},
		{"longest", switchboard.KindUser, longest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := string(tt.kind) + ":" + tt.id
			got, err := switchboard.ParsePrincipal(in)
			require.NoError(t, err)
			require.Equal(t, switchboard.Principal{Kind: tt.kind, ID: tt.id}, got)
			require.Equal(t, in, got.String())
			require.True(t, switchboard.ValidPrincipalID(got.ID))
		})
	}
}

func TestParsePrincipalRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "want kind:id"},
		{"no colon", "ann", "want kind:id"},
		{"unknown kind", "robot:ann", "kind must be"},
		{"operator", "operator:cli", "kind must be"},
		{"empty kind", ":ann", "kind must be"},
		{"empty id", "user:", "1-256 characters"},
		{"too long", "user:" + strings.Repeat("x", switchboard.MaxPrincipalID+1), "1-256"},
		{"space", "user:ann lee", "printable ASCII"},
		{"tab", "user:ann\tlee", "printable ASCII"},
		{"newline", "user:ann\n", "printable ASCII"},
		{"nul", "user:a\x00", "printable ASCII"},
		{"delete", "user:a\x7f", "printable ASCII"},
		{"slash", "user:a/b", "printable ASCII"},
		{"question mark", "user:a?b", "printable ASCII"},
		{"hash", "user:a#b", "printable ASCII"},
		{"percent", "user:a%2Fb", "printable ASCII"},
		{"non-ascii", "user:zoë", "printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := switchboard.ParsePrincipal(tt.in)
			require.ErrorContains(t, err, tt.want)
			require.True(t, p.IsZero())
		})
	}
}

func TestPrincipalString(t *testing.T) {
	t.Parallel()
	require.Empty(t, switchboard.Principal{}.String())
	require.True(t, switchboard.Principal{}.IsZero())
	require.Equal(t, "operator:cli", switchboard.Operator.String())
	require.False(t, switchboard.Operator.IsZero())
	require.False(t, switchboard.ValidPrincipalID(""))
}
