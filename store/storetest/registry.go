package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

func testUploadedManifests(t *testing.T, s Store) {
	ctx := t.Context()
	ms, err := s.UploadedManifests(ctx)
	require.NoError(t, err)
	require.Empty(t, ms)

	for _, id := range []string{"stripe", "github", "slack"} {
		m := registry.StoredManifest{
			AppID: id, Version: "1.0.0", Manifest: []byte(`{"appId":"` + id + `"}`), UpdatedAt: t0,
		}
		require.NoError(t, s.PutUploadedManifest(ctx, m))
	}
	replaced := registry.StoredManifest{
		AppID: "slack", Version: "2.0.0", Manifest: []byte(`{"v":2}`), UpdatedAt: t0.AddDate(0, 0, 1),
	}
	require.NoError(t, s.PutUploadedManifest(ctx, replaced))

	ms, err = s.UploadedManifests(ctx)
	require.NoError(t, err)
	require.Equal(t, []registry.StoredManifest{
		{AppID: "github", Version: "1.0.0", Manifest: []byte(`{"appId":"github"}`),
			UpdatedAt: stored(t0)},
		{AppID: "slack", Version: "2.0.0", Manifest: []byte(`{"v":2}`),
			UpdatedAt: stored(t0.AddDate(0, 0, 1))},
		{AppID: "stripe", Version: "1.0.0", Manifest: []byte(`{"appId":"stripe"}`),
			UpdatedAt: stored(t0)},
	}, ms)
	requireUTC(t, ms[0].UpdatedAt)

	require.NoError(t, s.DeleteUploadedManifest(ctx, "slack"))
	require.NoError(t, s.DeleteUploadedManifest(ctx, "slack"), "deleting an absent one")
	ms, err = s.UploadedManifests(ctx)
	require.NoError(t, err)
	require.Len(t, ms, 2)
	require.Equal(t, "github", ms[0].AppID)
	require.Equal(t, "stripe", ms[1].AppID)
}

func installed(id, version string) registry.Installed {
	return registry.Installed{
		AppID: id, Version: version, Manifest: []byte(`{"appId":"` + id + `","version":"` +
			version + `"}`),
		DeployedAt: t0, UpdatedAt: t0,
	}
}

func testInstall(t *testing.T, s Store) {
	ctx := t.Context()
	first, err := s.Install(ctx, installed("slack", "1.0.0"))
	require.NoError(t, err)
	require.Positive(t, first.Seq)
	want := installed("slack", "1.0.0")
	want.Seq, want.DeployedAt, want.UpdatedAt = first.Seq, stored(t0), stored(t0)
	require.Equal(t, want, first)
	requireUTC(t, first.DeployedAt, first.UpdatedAt)

	second, err := s.Install(ctx, installed("github", "1.0.0"))
	require.NoError(t, err)
	require.Greater(t, second.Seq, first.Seq)

	// A redeploy replaces version, manifest and UpdatedAt, nothing else.
	up := installed("slack", "2.0.0")
	up.Seq, up.DeployedAt, up.UpdatedAt = 999, t0.AddDate(1, 0, 0), t0.Add(90*time.Minute)
	got, err := s.Install(ctx, up)
	require.NoError(t, err)
	want = installed("slack", "2.0.0")
	want.Seq, want.DeployedAt, want.UpdatedAt = first.Seq, stored(t0), stored(up.UpdatedAt)
	require.Equal(t, want, got)

	set, err := s.InstalledSet(ctx)
	require.NoError(t, err)
	require.Len(t, set, 2)
	require.Equal(t, want, set[0])
	require.Equal(t, second, set[1])
}

func testUninstallAbsent(t *testing.T, s Store) {
	ctx := t.Context()
	requireCode(t, s.Uninstall(ctx, "slack"), switchboard.CodeNotFound)

	_, err := s.Install(ctx, installed("slack", "1.0.0"))
	require.NoError(t, err)
	require.NoError(t, s.Uninstall(ctx, "slack"))
	requireCode(t, s.Uninstall(ctx, "slack"), switchboard.CodeNotFound)

	set, err := s.InstalledSet(ctx)
	require.NoError(t, err)
	require.Empty(t, set)
}

func testInstalledOrder(t *testing.T, s Store) {
	ctx := t.Context()
	ids := []string{"zendesk", "asana", "notion", "box"}
	for _, id := range ids {
		_, err := s.Install(ctx, installed(id, "1.0.0"))
		require.NoError(t, err)
	}
	// Redeploying the first moves nothing.
	_, err := s.Install(ctx, installed("zendesk", "2.0.0"))
	require.NoError(t, err)

	set, err := s.InstalledSet(ctx)
	require.NoError(t, err)
	got := make([]string, len(set))
	for i, rec := range set {
		got[i] = rec.AppID
		if i > 0 {
			require.Greater(t, rec.Seq, set[i-1].Seq)
		}
	}
	require.Equal(t, ids, got)
	require.Equal(t, "2.0.0", set[0].Version)
}

func testReinstall(t *testing.T, s Store) {
	ctx := t.Context()
	first, err := s.Install(ctx, installed("slack", "1.0.0"))
	require.NoError(t, err)
	other, err := s.Install(ctx, installed("github", "1.0.0"))
	require.NoError(t, err)
	require.NoError(t, s.Uninstall(ctx, "slack"))
	require.NoError(t, s.Uninstall(ctx, "github"))

	again := installed("slack", "1.0.0")
	again.DeployedAt = t0.AddDate(0, 1, 0)
	got, err := s.Install(ctx, again)
	require.NoError(t, err)
	require.Greater(t, got.Seq, other.Seq)
	require.Greater(t, got.Seq, first.Seq)
	require.Equal(t, stored(again.DeployedAt), got.DeployedAt, "a new deployment")
}

// setConfig returns an UpdateConfig function that records what it was given
// and returns next.
func setConfig(seen *string, next string) func(json.RawMessage) (json.RawMessage, error) {
	return func(cur json.RawMessage) (json.RawMessage, error) {
		*seen = string(cur)
		return json.RawMessage(next), nil
	}
}

func testConfigs(t *testing.T, s Store) {
	ctx := t.Context()
	cfgs, err := s.Configs(ctx)
	require.NoError(t, err)
	require.Empty(t, cfgs)

	var seen string
	// Spacing and key order survive: the store keeps the bytes.
	require.NoError(t, s.UpdateConfig(ctx, "slack", setConfig(&seen, `{"z": 1,  "a": "é"}`)))
	require.Equal(t, "{}", seen, "the config of an app without one")
	require.NoError(t, s.UpdateConfig(ctx, "github", setConfig(&seen, `{"org":"acme"}`)))
	require.NoError(t, s.UpdateConfig(ctx, "slack", setConfig(&seen, `{"z":2}`)))
	require.Equal(t, `{"z": 1,  "a": "é"}`, seen)

	cfgs, err = s.Configs(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]json.RawMessage{
		"slack":  json.RawMessage(`{"z":2}`),
		"github": json.RawMessage(`{"org":"acme"}`),
	}, cfgs)

	require.NoError(t, s.DeleteConfig(ctx, "slack"))
	require.NoError(t, s.DeleteConfig(ctx, "slack"), "deleting an absent one")
	cfgs, err = s.Configs(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]json.RawMessage{"github": json.RawMessage(`{"org":"acme"}`)}, cfgs)

	require.NoError(t, s.UpdateConfig(ctx, "slack", setConfig(&seen, `{}`)))
	require.Equal(t, "{}", seen, "a deleted config starts again empty")
}

func testUpdateConfigRefused(t *testing.T, s Store) {
	ctx := t.Context()
	var seen string
	require.NoError(t, s.UpdateConfig(ctx, "slack", setConfig(&seen, `{"n":1}`)))
	before := lastChange(t, s)

	boom := errors.New("boom")
	tests := []struct {
		name string
		fn   func(json.RawMessage) (json.RawMessage, error)
		is   error
	}{
		{"fn error", func(json.RawMessage) (json.RawMessage, error) { return nil, boom }, boom},
		{"not json", setConfig(&seen, `{"n":`), nil},
		{"not an object", setConfig(&seen, `[1]`), nil},
		{"empty", setConfig(&seen, ``), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.UpdateConfig(ctx, "slack", tt.fn)
			require.Error(t, err)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			cfgs, err := s.Configs(ctx)
			require.NoError(t, err)
			require.JSONEq(t, `{"n":1}`, string(cfgs["slack"]))
		})
	}

	// A refused first config leaves no row behind either.
	require.ErrorIs(t, s.UpdateConfig(ctx, "github",
		func(json.RawMessage) (json.RawMessage, error) { return nil, boom }), boom)
	cfgs, err := s.Configs(ctx)
	require.NoError(t, err)
	require.NotContains(t, cfgs, "github")
	require.Equal(t, before, lastChange(t, s), "a refused update records no change")
}

// increment is an UpdateConfig function adding one to the counter "n".
func increment(cur json.RawMessage) (json.RawMessage, error) {
	var c struct{ N int }
	if err := json.Unmarshal(cur, &c); err != nil {
		return nil, err
	}
	return json.RawMessage(fmt.Sprintf(`{"n":%d}`, c.N+1)), nil
}

// requireCounter fails t unless every handle reads the counter of app as n.
func requireCounter(t *testing.T, app string, n int, handles ...Store) {
	t.Helper()
	for _, s := range handles {
		cfgs, err := s.Configs(t.Context())
		require.NoError(t, err)
		require.JSONEq(t, fmt.Sprintf(`{"n":%d}`, n), string(cfgs[app]))
	}
}

func testConcurrentConfig(t *testing.T, s Store) {
	const n = 20
	errs := concurrently(n, func(int) error {
		return s.UpdateConfig(t.Context(), "counter", increment)
	})
	require.NoError(t, errors.Join(errs...))
	requireCounter(t, "counter", n, s)
}

// withActions is an installed row of id whose manifest has actions.
func withActions(id, version string, actions ...string) registry.Installed {
	rec := installed(id, version)
	list := make([]map[string]string, len(actions))
	for i, a := range actions {
		list[i] = map[string]string{"id": a}
	}
	b, err := json.Marshal(map[string]any{"appId": id, "version": version, "actions": list})
	if err != nil {
		panic(err)
	}
	rec.Manifest = b
	return rec
}

// install installs rec on s and returns the row as stored.
func install(t *testing.T, s Store, rec registry.Installed) registry.Installed {
	t.Helper()
	got, err := s.Install(t.Context(), rec)
	require.NoError(t, err)
	return got
}

func testActionSince(t *testing.T, s Store) {
	pay := install(t, s, withActions("pay", "1", "list"))
	list := pay.ActionSince["list"]
	require.Positive(t, list)
	require.Equal(t, map[string]int64{"list": list}, pay.ActionSince)

	refund := install(t, s, withActions("pay_refund", "1", "all"))
	all := refund.ActionSince["all"]
	require.Greater(t, all, list)

	// A redeploy keeps the stamps of the actions it keeps; a new action's
	// is greater than every stamp of the installed set.
	rec := withActions("pay", "2", "list", "refund.all")
	rec.ActionSince = map[string]int64{"list": 999, "refund.all": 1} // ignored
	pay = install(t, s, rec)
	refundAll := pay.ActionSince["refund.all"]
	require.Greater(t, refundAll, all)
	require.Equal(t, map[string]int64{"list": list, "refund.all": refundAll}, pay.ActionSince)

	set, err := s.InstalledSet(t.Context())
	require.NoError(t, err)
	require.Equal(t, []registry.Installed{pay, refund}, set)

	// An action dropped and brought back is new again.
	pay = install(t, s, withActions("pay", "3", "refund.all"))
	require.Equal(t, map[string]int64{"refund.all": refundAll}, pay.ActionSince)
	pay = install(t, s, withActions("pay", "4", "list", "refund.all"))
	require.Greater(t, pay.ActionSince["list"], refundAll)
	require.Equal(t, refundAll, pay.ActionSince["refund.all"])

	// So is every action of an integration installed again.
	require.NoError(t, s.Uninstall(t.Context(), "pay"))
	again := install(t, s, withActions("pay", "4", "list", "refund.all"))
	require.Greater(t, again.ActionSince["list"], pay.ActionSince["list"])
	require.Equal(t, again.ActionSince["list"], again.ActionSince["refund.all"])
}

const (
	payV1 = `{"appId":"pay","name":"Pay","version":"1.0.0","actions":[{"id":"list"}]}`
	payV2 = `{"appId":"pay","name":"Pay","version":"2.0.0",
 "actions":[{"id":"list"},{"id":"refund.all"}]}`
	payRefund = `{"appId":"pay_refund","name":"Pay Refund","version":"1.0.0",
 "actions":[{"id":"all"}]}`
)

// deployRaw uploads raw to r's catalog and deploys it.
func deployRaw(t *testing.T, r *registry.Registry, raw string) {
	t.Helper()
	e, err := r.Upload(t.Context(), []byte(raw))
	require.NoError(t, err)
	_, err = r.Deploy(t.Context(), e.Manifest.AppID)
	require.NoError(t, err)
}

// toolsOf returns the tool name of every installed action of r, by
// "appId/actionId".
func toolsOf(r *registry.Registry) map[string]string {
	tools := map[string]string{}
	for _, in := range r.Snapshot().Integrations() {
		for _, a := range in.Actions {
			tools[in.ID()+"/"+a.Spec.ID] = a.Tool
		}
	}
	return tools
}

// hashedTool is the name the registry gives app's action when its plain
// name is taken: the plain name, "_" and 8 hex digits of SHA-256.
func hashedTool(app, action string) string {
	sum := sha256.Sum256([]byte(app + "\x00" + action))
	plain := app + "_" + strings.ReplaceAll(action, ".", "_")
	return plain + "_" + hex.EncodeToString(sum[:])[:8]
}

func testRedeployKeepsToolNames(t *testing.T, s Store) {
	_, r := newRegistry(t, s, nil)
	deployRaw(t, r, payV1)
	deployRaw(t, r, payRefund)
	deployRaw(t, r, payV2)
	want := map[string]string{
		"pay/list":       "pay_list",
		"pay/refund.all": hashedTool("pay", "refund.all"),
		"pay_refund/all": "pay_refund_all",
	}
	require.Equal(t, want, toolsOf(r))

	// Another process on the store, or a restart, names them alike.
	_, again := newRegistry(t, s, nil)
	require.Equal(t, want, toolsOf(again))
}
