package registry

import (
	"context"
	"encoding/json"
	"time"
)

// Store is what the registry keeps in the database: manifests uploaded to the
// catalog, the installed set, plain config, and the change feed. Every method
// that changes something also records a change in the same transaction, so
// that [Store.LastChange] moves for every process on the store.
//
// Methods return a *switchboard.Error with CodeNotFound where they say so;
// any other error is a fault of the database.
type Store interface {
	// PutUploadedManifest inserts or replaces the uploaded manifest of
	// m.AppID.
	PutUploadedManifest(ctx context.Context, m StoredManifest) error
	// UploadedManifests returns every uploaded manifest, by app id.
	UploadedManifests(ctx context.Context) ([]StoredManifest, error)
	// DeleteUploadedManifest removes the uploaded manifest of appID; it is
	// not an error when there is none.
	DeleteUploadedManifest(ctx context.Context, appID string) error

	// Install records rec as installed. When appID is installed already its
	// version, manifest and UpdatedAt are replaced and its Seq and
	// DeployedAt kept; otherwise it gets the next Seq. Its ActionSince is
	// [StampActions](prev, rec.Manifest, stamp), where prev is the row
	// replaced (nil for none) and stamp is greater than every Seq and stamp
	// handed out before, drawn in the order installs commit. rec.Seq and
	// rec.ActionSince are ignored. It returns the row as stored.
	Install(ctx context.Context, rec Installed) (Installed, error)
	// Uninstall removes appID from the installed set, or returns CodeNotFound.
	Uninstall(ctx context.Context, appID string) error
	// InstalledSet returns every installed integration ordered by Seq.
	InstalledSet(ctx context.Context) ([]Installed, error)

	// Configs returns the plain config of every integration that has one,
	// as JSON objects by app id; integrations need not be installed.
	Configs(ctx context.Context) (map[string]json.RawMessage, error)
	// UpdateConfig replaces appID's plain config with what fn returns, given
	// the current one ("{}" when there is none), in one transaction that no
	// concurrent UpdateConfig (or UpdateConfigWithSecrets)
	// interleaves with. An error from fn aborts it unchanged.
	UpdateConfig(ctx context.Context, appID string,
		fn func(current json.RawMessage) (json.RawMessage, error)) error
	// UpdateConfigWithSecrets is [Store.UpdateConfig] that also writes
	// secrets (a nil Sealed deletes one; deleting an absent one is no
	// error), all in the same transaction: the secrets and the config
	// commit together or not at all. It records a "secret" change per
	// secret it changed and the "config" change. An error from fn, and a
	// write without a scope or a name, abort it unchanged.
	UpdateConfigWithSecrets(ctx context.Context, appID string,
		fn func(current json.RawMessage) (json.RawMessage, error),
		secrets []SecretWrite) error
	// DeleteConfig removes appID's plain config; it is not an error when
	// there is none.
	DeleteConfig(ctx context.Context, appID string) error

	// LastChange returns the id of the newest change, 0 on an empty store.
	// Ids only grow.
	LastChange(ctx context.Context) (int64, error)
}

// StoredManifest is a manifest uploaded to the catalog over REST.
type StoredManifest struct {
	AppID     string
	Version   string
	Manifest  []byte
	UpdatedAt time.Time
}

// Installed is one row of the installed set: the manifest as deployed.
type Installed struct {
	AppID    string
	Version  string
	Manifest []byte
	// Seq orders deployments: an integration deployed earlier has a lower
	// Seq, and keeps it across redeploys of newer versions.
	Seq        int64
	DeployedAt time.Time
	UpdatedAt  time.Time
	// ActionSince says, per action id, when the action was first deployed
	// in this installation: a stamp that only grows from one install to the
	// next. An action kept by a redeploy keeps its stamp; 0, or no entry,
	// marks an action deployed before stamps were kept, older than any
	// stamped one. Tool names are given in the order of these stamps.
	ActionSince map[string]int64
}

// Secrets is the registry's view of the vault: platform secrets by their
// platform-wide name. Values pass through on their way in and are never
// read back by the registry.
type Secrets interface {
	// DeletePlatformSecret removes name; it is not an error when absent.
	DeletePlatformSecret(ctx context.Context, name string) error
	// PlatformSecretNames returns the names that hold a value.
	PlatformSecretNames(ctx context.Context) ([]string, error)
	// PlatformSecretWrite returns the write that sets the platform secret
	// name to value, sealed, or that deletes it when value is nil. Nothing
	// is stored.
	PlatformSecretWrite(name string, value []byte) (SecretWrite, error)
	// ForgetPlatformSecrets drops any copy of the platform secrets names
	// that this process keeps, so that the next read of each goes to the
	// store. Call it once a write of them has committed, or may have.
	ForgetPlatformSecrets(names ...string)
}

// SecretWrite is one secret that a config change writes in the store's
// transaction: the value as the vault sealed it for Scope and Name, or nil
// Sealed to delete it. It never holds plaintext.
type SecretWrite struct {
	Scope  string
	Name   string
	Sealed []byte
}
