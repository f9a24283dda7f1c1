package registry

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		refs    []string
		whole   bool
		wantErr string
	}{
		{name: "literal", in: "https://slack.com/api"},
		{name: "whole", in: "{{input.channel}}", refs: []string{"input.channel"}, whole: true},
		{name: "spaces", in: "{{ input.channel }}", refs: []string{"input.channel"}, whole: true},
		{name: "embedded", in: "Bearer {{secrets.token}}", refs: []string{"secrets.token"}},
		{name: "nested path", in: "{{input.user.name}}", refs: []string{"input.user.name"}, whole: true},
		{name: "two", in: "{{config.baseUrl}}/users/{{input.id}}", refs: []string{"config.baseUrl", "input.id"}},
		{name: "user id", in: "{{user.id}}", refs: []string{"user.id"}, whole: true},
		{name: "unclosed", in: "{{input.x", wantErr: "unclosed placeholder"},
		{name: "namespace only", in: "{{input}}", wantErr: "name a field"},
		{name: "unknown namespace", in: "{{env.HOME}}", wantErr: "unknown namespace"},
		{name: "user other field", in: "{{user.email}}", wantErr: "only user.id"},
		{name: "bad characters", in: "{{input.a b}}", wantErr: "want {{namespace.name}}"},
		{name: "empty", in: "{{}}", wantErr: "want {{namespace.name}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := ParseTemplate(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			var refs []string
			for _, r := range tmpl.Refs() {
				refs = append(refs, r.String())
			}
			require.Equal(t, tt.refs, refs)
			_, whole := tmpl.Whole()
			require.Equal(t, tt.whole, whole)
			require.Equal(t, len(tt.refs) == 0, tmpl.IsLiteral())
		})
	}
}
