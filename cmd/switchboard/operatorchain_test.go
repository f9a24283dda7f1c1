package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOneShotCommandsShareAChain runs administrative commands, each in a
// process of its own: their entries all go on the audit chain "operator",
// one chain that verifies, rather than a chain per command that could be
// deleted whole without a trace.
func TestOneShotCommandsShareAChain(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			in := kind.new(t)
			in.mustCLI("", "migrate")
			for _, p := range []string{"user:alice", "user:bob", "user:carol"} {
				in.mustCLI("", "keys", "create", "--principal", p)
			}

			rows, err := rawStore(t, in).Query(`SELECT chain, count(*) FROM audit_entries
				GROUP BY chain`)
			require.NoError(t, err)
			defer rows.Close()
			chains := map[string]int{}
			for rows.Next() {
				var chain string
				var n int
				require.NoError(t, rows.Scan(&chain, &n))
				chains[chain] = n
			}
			require.NoError(t, rows.Err())
			require.Len(t, chains, 1, "chains: %v", chains)
			// One per command, and those of the first start.
			require.GreaterOrEqual(t, chains[operatorChain], 3, "chains: %v", chains)

			out := in.mustCLI("", "audit", "verify")
			require.Contains(t, out, "chain operator:")
			require.Contains(t, out, "no problem")
		})
	}
}
