package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func hash8(app, action string) string {
	sum := sha256.Sum256([]byte(app + "\x00" + action))
	return hex.EncodeToString(sum[:])[:8]
}

func TestToolNames(t *testing.T) {
	t.Parallel()
	long1 := "create_an_event_on_the_primary_calendar_with_attendees_and_reminders"
	long2 := "create_an_event_on_the_primary_calendar_with_attendees_and_location"
	require.Equal(t, long1[:50], long2[:50])
	tests := []struct {
		name string
		keys []ToolKey
		want []string
	}{
		{
			name: "plain",
			keys: []ToolKey{{"slack", "send_message"}, {"slack", "list_channels"}},
			want: []string{"slack_send_message", "slack_list_channels"},
		},
		{
			name: "dot replaced",
			keys: []ToolKey{{"github", "issues.create"}},
			want: []string{"github_issues_create"},
		},
		{
			name: "dot collides with underscore in the same integration",
			keys: []ToolKey{{"github", "issues_create"}, {"github", "issues.create"}},
			want: []string{"github_issues_create", "github_issues_create_" + hash8("github", "issues.create")},
		},
		{
			name: "appId and actionId split differently",
			keys: []ToolKey{{"google", "calendar_x"}, {"google_calendar", "x"}},
			want: []string{"google_calendar_x", "google_calendar_x_" + hash8("google_calendar", "x")},
		},
		{
			name: "earliest deployed keeps the plain name",
			keys: []ToolKey{{"google_calendar", "x"}, {"google", "calendar_x"}},
			want: []string{"google_calendar_x", "google_calendar_x_" + hash8("google", "calendar_x")},
		},
		{
			name: "long ids differing after the 50th character",
			keys: []ToolKey{{"google_calendar", long1}, {"google_calendar", long2}},
			want: []string{
				("google_calendar_" + long1)[:55] + "_" + hash8("google_calendar", long1),
				("google_calendar_" + long2)[:55] + "_" + hash8("google_calendar", long2),
			},
		},
		{
			name: "built-in tool name",
			keys: []ToolKey{{"list", "integrations"}, {"call", "integration"}},
			want: []string{
				"list_integrations_" + hash8("list", "integrations"),
				"call_integration_" + hash8("call", "integration"),
			},
		},
		{
			name: "exactly 64 characters stays plain",
			keys: []ToolKey{{"a", strings.Repeat("b", 62)}},
			want: []string{"a_" + strings.Repeat("b", 62)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			names := ToolNames(tt.keys)
			seen := map[string]bool{}
			for i, k := range tt.keys {
				got := names[k]
				require.Equal(t, tt.want[i], got, "key %v", k)
				require.LessOrEqual(t, len(got), MaxToolName)
				require.Regexp(t, `^[A-Za-z0-9_-]+$`, got)
				require.False(t, seen[got], "duplicate %s", got)
				seen[got] = true
			}
			require.Equal(t, names, ToolNames(tt.keys), "deterministic")
		})
	}
}
