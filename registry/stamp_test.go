package registry

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	payV1 = `{"appId":"pay","name":"Pay","version":"1.0.0","actions":[{"id":"list"}]}`
	payV2 = `{"appId":"pay","name":"Pay","version":"2.0.0",
 "actions":[{"id":"list"},{"id":"refund.all"}]}`
	payRefund = `{"appId":"pay_refund","name":"Pay Refund","version":"1.0.0","actions":[{"id":"all"}]}`
)

// deployRaw uploads raw to the catalog and deploys it.
func deployRaw(t *testing.T, r *Registry, raw string) {
	t.Helper()
	e, err := r.Upload(t.Context(), []byte(raw))
	require.NoError(t, err)
	_, err = r.Deploy(t.Context(), e.Manifest.AppID)
	require.NoError(t, err)
}

// toolsOf returns the tool name of every installed action, by
// "appId/actionId".
func toolsOf(r *Registry) map[string]string {
	tools := map[string]string{}
	for _, in := range r.Snapshot().Integrations() {
		for _, a := range in.Actions {
			tools[in.ID()+"/"+a.Spec.ID] = a.Tool
		}
	}
	return tools
}

// dropStamps makes every installed row look as it did before stamps were
// kept.
func dropStamps(t *testing.T, r *Registry, s *memStore) {
	t.Helper()
	s.mu.Lock()
	for id, rec := range s.inst {
		rec.ActionSince = nil
		s.inst[id] = rec
	}
	s.bump()
	s.mu.Unlock()
	require.NoError(t, r.Refresh(t.Context()))
}

func TestRedeployKeepsOtherIntegrationsToolNames(t *testing.T) {
	t.Parallel()
	s := newMemStore()
	r := newTestRegistry(t, s)
	deployRaw(t, r, payV1)
	deployRaw(t, r, payRefund)
	require.Equal(t, map[string]string{
		"pay/list": "pay_list", "pay_refund/all": "pay_refund_all",
	}, toolsOf(r))

	// pay's new action would have pay_refund's name: it takes the suffix,
	// since pay_refund's action was deployed first.
	deployRaw(t, r, payV2)
	want := map[string]string{
		"pay/list":       "pay_list",
		"pay/refund.all": "pay_refund_all_" + hash8("pay", "refund.all"),
		"pay_refund/all": "pay_refund_all",
	}
	require.Equal(t, want, toolsOf(r))
	require.Less(t, s.inst["pay"].ActionSince["list"], s.inst["pay_refund"].ActionSince["all"])
	require.Less(t, s.inst["pay_refund"].ActionSince["all"], s.inst["pay"].ActionSince["refund.all"])

	// The same names in another process, or after a restart.
	require.Equal(t, want, toolsOf(newTestRegistry(t, s)))
}

func TestRedeployAfterUndeployTakesTheSuffix(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	r := newTestRegistry(t, s)
	deployRaw(t, r, payV2)
	deployRaw(t, r, payRefund)
	require.Equal(t, map[string]string{
		"pay/list":       "pay_list",
		"pay/refund.all": "pay_refund_all",
		"pay_refund/all": "pay_refund_all_" + hash8("pay_refund", "all"),
	}, toolsOf(r))

	require.NoError(t, r.Undeploy(ctx, "pay", false))
	require.Equal(t, map[string]string{"pay_refund/all": "pay_refund_all"}, toolsOf(r))

	// Back later, pay is the newer deployment: the name is taken now.
	_, err := r.Deploy(ctx, "pay")
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"pay/list":       "pay_list",
		"pay/refund.all": "pay_refund_all_" + hash8("pay", "refund.all"),
		"pay_refund/all": "pay_refund_all",
	}, toolsOf(r))
}

func TestRowsWithoutStampsKeepTheirNames(t *testing.T) {
	t.Parallel()
	t.Run("ordered by seq among themselves", func(t *testing.T) {
		t.Parallel()
		s := newMemStore()
		r := newTestRegistry(t, s)
		deployRaw(t, r, payV2)
		deployRaw(t, r, payRefund)
		dropStamps(t, r, s)
		require.Equal(t, map[string]string{
			"pay/list":       "pay_list",
			"pay/refund.all": "pay_refund_all",
			"pay_refund/all": "pay_refund_all_" + hash8("pay_refund", "all"),
		}, toolsOf(r))
	})
	t.Run("older than a stamped action", func(t *testing.T) {
		t.Parallel()
		s := newMemStore()
		r := newTestRegistry(t, s)
		deployRaw(t, r, payV1)
		deployRaw(t, r, payRefund)
		dropStamps(t, r, s)

		deployRaw(t, r, payV2)
		require.Equal(t, map[string]string{
			"pay/list":       "pay_list",
			"pay/refund.all": "pay_refund_all_" + hash8("pay", "refund.all"),
			"pay_refund/all": "pay_refund_all",
		}, toolsOf(r))
		require.Zero(t, s.inst["pay"].ActionSince["list"], "kept without a stamp")
		require.Positive(t, s.inst["pay"].ActionSince["refund.all"])
	})
}

func TestStampActions(t *testing.T) {
	t.Parallel()
	legacy := &Installed{Manifest: []byte(payV1)}
	stamped := &Installed{Manifest: []byte(payV2),
		ActionSince: map[string]int64{"list": 3, "refund.all": 7}}
	tests := []struct {
		name     string
		prev     *Installed
		manifest string
		want     map[string]int64
	}{
		{"first install", nil, payV2, map[string]int64{"list": 9, "refund.all": 9}},
		{"kept and new", &Installed{Manifest: []byte(payV1),
			ActionSince: map[string]int64{"list": 3}}, payV2,
			map[string]int64{"list": 3, "refund.all": 9}},
		{"dropped action forgotten", stamped, payV1, map[string]int64{"list": 3}},
		{"dropped then back is new", &Installed{Manifest: []byte(payV1),
			ActionSince: map[string]int64{"list": 3}}, `{"actions":[{"id":"refund.all"}]}`,
			map[string]int64{"refund.all": 9}},
		{"row without stamps", legacy, payV2, map[string]int64{"list": 0, "refund.all": 9}},
		{"no actions", stamped, `{"appId":"pay","actions":[]}`, nil},
		{"not a manifest", stamped, `[1]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, StampActions(tt.prev, []byte(tt.manifest), 9))
		})
	}
}

func TestNamingOrder(t *testing.T) {
	t.Parallel()
	key := func(app, action string) ToolKey { return ToolKey{AppID: app, ActionID: action} }
	got := namingOrder([]toolOrder{
		{key("a", "new"), 9, 1, 1},
		{key("b", "x"), 5, 2, 0},
		{key("a", "old"), 0, 1, 0},
		{key("c", "y"), 0, 3, 1},
		{key("c", "x"), 0, 3, 0},
		{key("d", "x"), 5, 4, 0},
	})
	require.Equal(t, []ToolKey{
		key("a", "old"), key("c", "x"), key("c", "y"), key("b", "x"), key("d", "x"),
		key("a", "new"),
	}, got)
}
