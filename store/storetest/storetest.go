// Package storetest is the conformance suite that every Switchboard store
// passes, so that nothing above the store needs to know which database runs.
//
// A store's own tests call [Run] with a function that opens an empty store,
// [RunShared] with one that opens two independent handles on one database,
// and [RunFeed] with one that also adapts the store's change feed. The
// stores of the other domains have their own runners alike: [RunAudit],
// [RunCredentials], [RunDelegation], [RunIdentity], [RunRBAC],
// [RunWebhooks] and their Shared or Feed variants, and [RunUnstamped] for
// rows installed before action stamps were kept. Every case opens its own
// store and runs in parallel with the others.
//
// The suite holds the stores to the contracts of registry.Store, vault.Store
// and identity.Store, read strictly, and to these choices of Switchboard's
// stores:
//
//   - Times come back in UTC, truncated to the microsecond.
//   - Listings sort bytewise (uploaded manifests by app id, secret names).
//   - Every successful call that changes a row records exactly one change,
//     RotateVault one for the key and one per rewrapped secret,
//     UpdateConfigWithSecrets one per secret it put or deleted and one for
//     the config. A delete that finds nothing, and a call that fails,
//     record none.
//   - Install stamps actions from the same counter as Seq, in the order
//     installs commit, so that a new action's stamp is greater than every
//     stamp and Seq of the installed set.
//   - A plain config that is not a JSON object is refused.
package storetest

import (
	"testing"

	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/vault"
)

// Store is everything a Switchboard store implements: the storage
// interfaces of the registry (with the change feed's LastChange, and
// config written together with secrets), the vault and identity.
type Store interface {
	registry.Store
	vault.Store
	identity.Store
}

// Run runs the conformance cases, each on a store that open returns empty.
// open must arrange, with t.Cleanup, to close the store and remove its data.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"uploaded manifests", testUploadedManifests},
		{"install keeps seq and deployed at", testInstall},
		{"uninstall absent is not found", testUninstallAbsent},
		{"installed set ordered by seq", testInstalledOrder},
		{"reinstall takes a greater seq", testReinstall},
		{"install stamps actions", testActionSince},
		{"redeploy keeps tool names", testRedeployKeepsToolNames},
		{"configs", testConfigs},
		{"update config refused leaves it unchanged", testUpdateConfigRefused},
		{"concurrent config updates", testConcurrentConfig},
		{"update config with secrets", testUpdateConfigWithSecrets},
		{"configure writes secret and config at once", testConfigureAtomic},
		{"vault keys", testVaultKeys},
		{"secrets", testSecrets},
		{"create secret", testCreateSecret},
		{"secret scopes are isolated", testSecretScopes},
		{"rotate vault", testRotateVault},
		{"rotate vault error changes nothing", testRotateVaultError},
		{"api keys", testAPIKeys},
		{"last change on empty store", testLastChangeEmpty},
		{"last change grows with every mutation", testLastChangeGrows},
		{"no change without a mutation", testNoChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

// RunShared runs the cases that need two independent handles on one
// database: two *DB on one file, or two pools on one schema. open returns
// both, on an empty database, and must close both with t.Cleanup.
func RunShared(t *testing.T, open func(t *testing.T) (Store, Store)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, a, b Store)
	}{
		{"change visible across handles", testSharedVisible},
		{"concurrent config updates across handles", testSharedConfig},
		{"concurrent installs across handles", testSharedInstall},
		{"configure writes secret and config at once across handles", testSharedConfigureAtomic},
		{"concurrent creations of one secret across handles", testSharedCreateSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			tt.run(t, a, b)
		})
	}
}
