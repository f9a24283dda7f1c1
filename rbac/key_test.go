package rbac_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/rbac"
)

func TestValidKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		want string // a part of the error; "" when valid
	}{
		{"action", "integration:slack:send_message", ""},
		{"manage", "integration:slack:manage", ""},
		{"admin", "admin:integrations.deploy", ""},
		{"two segments", "a:b", ""},
		{"many segments", "a:b:c:d:e", ""},
		{"dash and digits", "app-1:x_2.y", ""},
		{"everything", "*", ""},
		{"trailing wildcard", "integration:slack:*", ""},
		{"wildcard after one", "admin:*", ""},
		{"empty", "", "permission key is empty"},
		{"one segment", "admin", "needs at least two segments"},
		{"empty segment", "a::b", `segment 2 is empty`},
		{"empty last", "a:b:", `segment 3 is empty`},
		{"empty first", ":a", `segment 1 is empty`},
		{"wildcard first", "*:a", `segment 1 is '*', which may only be the last segment`},
		{"wildcard inside", "a:*:b", `segment 2 is '*'`},
		{"partial wildcard", "a:b*", `segment 2 "b*" holds '*', which must be a whole segment`},
		{"double wildcard", "a:**", `holds '*'`},
		{"uppercase", "integration:Slack:x", `segment 2 "Slack" holds 'S'`},
		{"space", "a:b c", `holds ' '`},
		{"slash", "a:b/c", `holds '/'`},
		{"unicode", "a:é", `holds 'é'`},
		{"too long", "a:" + strings.Repeat("x", rbac.MaxKeyLen), "longer than 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := rbac.ValidKey(tt.key)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		key     string
		want    bool
	}{
		{"star matches an action", "*", "integration:slack:send_message", true},
		{"star matches admin", "*", "admin:rbac.manage", true},
		{"exact", "integration:slack:send_message", "integration:slack:send_message", true},
		{"exact differs", "integration:slack:send_message", "integration:slack:list", false},
		{"no prefix match without star", "integration:slack", "integration:slack:x", false},
		{"trailing star one more", "integration:slack:*", "integration:slack:send_message", true},
		{"trailing star manage", "integration:slack:*", "integration:slack:manage", true},
		{"trailing star two more", "integration:*", "integration:slack:send_message", true},
		{"trailing star needs a segment", "integration:slack:*", "integration:slack", false},
		{"trailing star needs a rest", "integration:slack:*", "integration:slack:", false},
		{"trailing star other app", "integration:slack:*", "integration:stripe:charge", false},
		{"segment boundary", "integration:slack:*", "integration:slackbot:x", false},
		{"admin wildcard", "admin:*", "admin:audit.read", true},
		{"admin wildcard not integration", "admin:*", "integration:slack:x", false},
		{"star inside is literal", "a:*:c", "a:b:c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, rbac.Match(tt.pattern, tt.key))
		})
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	require.Equal(t, "integration:slack:send_message", rbac.ActionKey("slack", "send_message"))
	require.Equal(t, "integration:slack:manage", rbac.ManageKey("slack"))
	require.Equal(t, []string{
		"admin:integrations.deploy", "admin:integrations.configure", "admin:secrets.manage",
		"admin:audit.read", "admin:rbac.manage", "admin:keys.manage",
	}, rbac.AdminKeys())
	for _, k := range rbac.AdminKeys() {
		require.NoError(t, rbac.ValidKey(k))
	}

	keys := rbac.AdminKeys()
	keys[0] = "changed"
	require.Equal(t, rbac.IntegrationsDeploy, rbac.AdminKeys()[0], "a fresh slice each time")
}
