package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Unstamp makes every installed row of a store look as a row installed
// before action stamps were kept: its stamps NULL, as the migration that
// added them leaves older rows.
type Unstamp func(t *testing.T)

// RunUnstamped runs the cases of rows installed before action stamps were
// kept, on a store that open returns empty, with a function that unstamps
// its rows. open must close the store with t.Cleanup.
func RunUnstamped(t *testing.T, open func(t *testing.T) (Store, Unstamp)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s Store, unstamp Unstamp)
	}{
		{"redeploy keeps actions unstamped", testRedeployUnstamped},
		{"unstamped rows keep their tool names", testUnstampedToolNames},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, unstamp := open(t)
			tt.run(t, s, unstamp)
		})
	}
}

func testRedeployUnstamped(t *testing.T, s Store, unstamp Unstamp) {
	install(t, s, withActions("pay", "1", "list"))
	refund := install(t, s, withActions("pay_refund", "1", "all"))
	unstamp(t)
	set, err := s.InstalledSet(t.Context())
	require.NoError(t, err)
	require.Len(t, set, 2)
	for _, rec := range set {
		require.Nil(t, rec.ActionSince, rec.AppID)
	}

	// A kept action stays older than any stamp; a new one is stamped.
	pay := install(t, s, withActions("pay", "2", "list", "refund.all"))
	require.Equal(t, map[string]int64{"list": 0, "refund.all": pay.ActionSince["refund.all"]},
		pay.ActionSince)
	require.Greater(t, pay.ActionSince["refund.all"], refund.Seq)
}

func testUnstampedToolNames(t *testing.T, s Store, unstamp Unstamp) {
	_, r := newRegistry(t, s, nil)
	deployRaw(t, r, payV1)
	deployRaw(t, r, payRefund)
	unstamp(t)

	_, r = newRegistry(t, s, nil)
	require.Equal(t, map[string]string{
		"pay/list": "pay_list", "pay_refund/all": "pay_refund_all",
	}, toolsOf(r))
	deployRaw(t, r, payV2)
	require.Equal(t, map[string]string{
		"pay/list":       "pay_list",
		"pay/refund.all": hashedTool("pay", "refund.all"),
		"pay_refund/all": "pay_refund_all",
	}, toolsOf(r))
}
