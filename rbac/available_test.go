package rbac_test

import (
	"crypto/rand"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
)

const chatManifest = `{
  "appId": "chat", "name": "Chat", "version": "1.0.0", "type": "integration",
  "actions": [
    {"id": "send_message", "name": "Send Message"},
    {"id": "list.channels"}
  ]
}`

const billingManifest = `{
  "appId": "billing", "name": "Billing", "version": "1.0.0", "type": "integration",
  "actions": [{"id": "refund", "name": "Refund"}]
}`

// installed returns a registry with chat, then billing, deployed.
func installed(t *testing.T) *registry.Registry {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "sb.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	key := make([]byte, vault.KeySize)
	_, _ = rand.Read(key)
	v, err := vault.New(ctx, vault.Config{Store: db, MasterKey: key})
	require.NoError(t, err)
	reg, err := registry.New(ctx, registry.Config{Store: db, Secrets: v})
	require.NoError(t, err)
	for _, raw := range []string{chatManifest, billingManifest} {
		e, err := reg.Upload(ctx, []byte(raw))
		require.NoError(t, err)
		_, err = reg.Deploy(ctx, e.Manifest.AppID)
		require.NoError(t, err)
	}
	return reg
}

func TestAvailable(t *testing.T) {
	t.Parallel()
	admin := []rbac.Permission{
		{Key: "admin:integrations.deploy",
			Description: "Upload manifests, deploy and undeploy integrations"},
		{Key: "admin:integrations.configure", Description: "Configure any integration"},
		{Key: "admin:secrets.manage", Description: "Set and delete platform secrets"},
		{Key: "admin:audit.read", Description: "Read and verify the audit log"},
		{Key: "admin:rbac.manage", Description: "Create, change and delete roles, and assign them"},
		{Key: "admin:keys.manage", Description: "Create and revoke the API keys of any principal"},
	}
	require.Equal(t, admin, rbac.Available(nil))

	snap := installed(t).Snapshot()
	want := slices.Concat(admin, []rbac.Permission{
		{Key: "integration:chat:send_message", Description: "Call Chat's Send Message"},
		{Key: "integration:chat:list.channels", Description: "Call Chat's list.channels"},
		{Key: "integration:chat:manage",
			Description: "Manage Chat: configure it and others' connections"},
		{Key: "integration:billing:refund", Description: "Call Billing's Refund"},
		{Key: "integration:billing:manage",
			Description: "Manage Billing: configure it and others' connections"},
	})
	got := rbac.Available(snap)
	require.Equal(t, want, got)
	for _, p := range got {
		require.NoError(t, rbac.ValidKey(p.Key))
	}
	for _, in := range snap.Integrations() {
		for _, act := range in.Actions {
			require.Equal(t, act.Permission, rbac.ActionKey(in.ID(), act.Spec.ID),
				"the registry and rbac agree on action keys")
		}
	}
}
