package registry

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

func TestNotConfigured(t *testing.T) {
	t.Parallel()
	named := &Integration{Manifest: &Manifest{AppID: "demo", Name: "Demo"}}
	tests := []struct {
		in      *Integration
		missing []string
		want    string
	}{
		{named, nil, "Demo is not configured: an administrator must set its config"},
		{named, []string{"token"}, "Demo is not configured: an administrator must set token"},
		{named, []string{"a", "b", "c"},
			"Demo is not configured: an administrator must set a, b and c"},
		{&Integration{Manifest: &Manifest{AppID: "demo"}}, []string{"a", "b"},
			"demo is not configured: an administrator must set a and b"},
	}
	for _, tt := range tests {
		err := tt.in.NotConfigured(tt.missing)
		require.Equal(t, switchboard.CodeNotConfigured, err.Code)
		require.Equal(t, tt.want, err.Message)
		require.Equal(t, tt.missing, err.Missing)
	}
}
