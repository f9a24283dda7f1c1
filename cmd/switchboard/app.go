package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/examples"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/store/postgres"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
	"github.com/switchboard-dev/switchboard/webhook"
)

// store is what every command needs of a database, whichever runs.
type store interface {
	registry.Store
	vault.Store
	identity.Store
	rbac.Store
	audit.Store
	credentials.Store
	delegation.Store
	webhook.Store
	Ping(ctx context.Context) error
	MigrationsCurrent(ctx context.Context) (bool, error)
	Close() error
}

var (
	_ store = (*sqlite.DB)(nil)
	_ store = (*postgres.DB)(nil)
)

// app is one process's wiring: the store, the vault, the registry, and the
// executor that every surface shares.
type app struct {
	cfg      config
	log      *slog.Logger
	store    store
	vault    *vault.Vault
	audit    *audit.Log
	rbac     *rbac.Authorizer
	registry *registry.Registry
	auth     *identity.Authenticator
	backend  *backend.HTTP
	creds    *credentials.Manager
	dlg      *delegation.Service
	hooks    *webhook.Service
	exec     *executor.Executor
	// changed tells the MCP server that the installed set or the roles
	// changed, once every cache of this process has caught up.
	changed *broadcast
}

// settlePublicURL gives every process of an installation one public URL,
// which links, listener URLs and delegation tokens (as their issuer)
// carry: serve records the one it uses in the store, and the other
// commands, given none by flag or environment, use the recorded one, so
// that `switchboard mcp` or `switchboard delegate` agree with a server
// started on another address without being told.
func (a *app) settlePublicURL(ctx context.Context) error {
	stored, err := a.vault.Get(ctx, publicURLScope, publicURLName)
	found := err == nil
	if err != nil && switchboard.ErrorCode(err) != switchboard.CodeNotFound {
		return fmt.Errorf("read the recorded public URL: %w", err)
	}
	switch {
	case a.cfg.server && (!found || string(stored) != a.cfg.publicURL):
		if err := a.vault.Put(ctx, publicURLScope, publicURLName, []byte(a.cfg.publicURL)); err != nil {
			return fmt.Errorf("record the public URL: %w", err)
		}
	case !a.cfg.server && !a.cfg.publicURLGiven && found:
		a.cfg.publicURL = string(stored)
	}
	return nil
}

// Where serve records its public URL.
const (
	publicURLScope = "system"
	publicURLName  = "public-url"
)

// The vault value whose creation elects the process that bootstraps a
// fresh store.
const (
	bootstrapScope = "system"
	bootstrapName  = "bootstrap"
)

// pgChangePoll is how often a PostgreSQL replica reads the change feed
// unasked: LISTEN wakes it for every change, and after a reconnect.
const pgChangePoll = 5 * time.Second

const (
	dbFile        = "switchboard.db"
	masterKeyFile = "master.key"
	adminFile     = "admin.token"
)

// newLogger writes to w in the configured format.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.logLevel)) // checked by config.check
	opts := &slog.HandlerOptions{Level: level}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openApp opens the store, unseals the vault and loads the registry. With
// create, on a fresh installation it creates the data directory, the master
// key file (embedded store only) and the administrator's key; without it, a
// data directory holding no store is an error, so that a mistyped --data
// does not quietly start a new, empty installation.
func openApp(ctx context.Context, cfg config, e *env, log *slog.Logger, create bool) (*app, error) {
	a := &app{cfg: cfg, log: log}
	if !create && cfg.databaseURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.dataDir, dbFile)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no Switchboard store in %s: run switchboard serve once to "+
				"create one, or point --data (SWITCHBOARD_DATA) at an existing one", cfg.dataDir)
		}
	}
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	master, freshDB, err := a.openStore(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := a.wire(ctx, master); err != nil {
		a.close()
		if errors.Is(err, vault.ErrWrongMasterKey) && freshDB {
			// Two processes raced to create the store with different keys.
			return nil, fmt.Errorf("%w (another process created this store at the same time)", err)
		}
		return nil, err
	}
	if err := a.bootstrap(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// openStore opens the database and reads the master key. The master key
// file is created only together with a new database: a database whose key
// file is gone must not silently get a new, wrong, key.
func (a *app) openStore(ctx context.Context, e *env) (master []byte, freshDB bool, err error) {
	cfg := a.cfg
	envKey := e.getenv("SWITCHBOARD_MASTER_KEY")
	if cfg.databaseURL != "" {
		if envKey == "" {
			return nil, false, errors.New("SWITCHBOARD_MASTER_KEY is required with --database-url: " +
				"every replica must share one master key (generate one with: " +
				"head -c 32 /dev/urandom | base64)")
		}
		if master, err = vault.ParseMasterKey(envKey); err != nil {
			return nil, false, fmt.Errorf("SWITCHBOARD_MASTER_KEY: %w", err)
		}
		db, err := postgres.Open(ctx, postgres.Config{URL: cfg.databaseURL,
			MaxConns: int32(cfg.dbMaxConns), Logger: a.log})
		if err != nil {
			return nil, false, err
		}
		a.store = db
		a.log.InfoContext(ctx, "store opened", slog.String(logkey.Store, "postgres"))
		return master, false, nil
	}
	path := filepath.Join(cfg.dataDir, dbFile)
	fi, statErr := os.Stat(path)
	freshDB = errors.Is(statErr, fs.ErrNotExist)
	if statErr == nil && fi.Size() == 0 && envKey == "" && fileExists(filepath.Join(cfg.dataDir, masterKeyFile)) {
		// An emptied database next to an existing key is a lost store, not
		// a new one: starting afresh would hide the loss.
		return nil, false, fmt.Errorf("%s is empty but %s exists: the database was lost or "+
			"truncated; restore it from your backup (or remove both files to start anew)",
			path, filepath.Join(cfg.dataDir, masterKeyFile))
	}
	if envKey != "" {
		if master, err = vault.ParseMasterKey(envKey); err != nil {
			return nil, false, fmt.Errorf("SWITCHBOARD_MASTER_KEY: %w", err)
		}
	} else if master, err = a.keyFile(freshDB); err != nil {
		return nil, false, err
	}
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Logger: a.log})
	if err != nil {
		return nil, false, err
	}
	a.store = db
	a.log.InfoContext(ctx, "store opened", slog.String(logkey.Store, "sqlite"),
		slog.String(logkey.File, path))
	return master, freshDB, nil
}

func (a *app) keyFile(freshDB bool) ([]byte, error) {
	path := filepath.Join(a.cfg.dataDir, masterKeyFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !freshDB {
		return nil, fmt.Errorf("%s is missing but the database %s exists: restore the key from "+
			"your backup, or set SWITCHBOARD_MASTER_KEY; without it no secret can be read",
			path, filepath.Join(a.cfg.dataDir, dbFile))
	}
	key, created, err := vault.LoadOrCreateKeyFile(path, nil)
	if err != nil {
		return nil, err
	}
	if created {
		a.log.Warn("master key created: back it up; losing it loses every secret",
			slog.String(logkey.File, path))
	}
	return key, nil
}

func (a *app) wire(ctx context.Context, master []byte) error {
	v, err := vault.New(ctx, vault.Config{Store: a.store, MasterKey: master, Logger: a.log})
	if err != nil {
		return err
	}
	a.vault = v
	if err := a.settlePublicURL(ctx); err != nil {
		return err
	}
	a.audit, err = audit.New(ctx, audit.Config{Store: a.store, Vault: v, Logger: a.log,
		Chain: a.cfg.auditChain})
	if err != nil {
		return err
	}
	builtin, err := registry.LoadBuiltin(examples.Catalog)
	if err != nil {
		return err
	}
	folders, err := registry.LoadFolders(a.cfg.catalogs)
	if err != nil {
		return err
	}
	poll := a.cfg.changePoll
	if poll == 0 && a.cfg.databaseURL != "" {
		// LISTEN announces every change; polling is the safety net.
		poll = pgChangePoll
	}
	a.registry, err = registry.New(ctx, registry.Config{Store: a.store, Secrets: v,
		PollInterval: poll,
		Builtin:      builtin, Folders: folders, Logger: a.log, Auditor: a.audit,
		// Purging an integration also deletes its users' connections and
		// its listener, events and subscriptions.
		Purge: func(ctx context.Context, appID string) error {
			if _, err := a.creds.Purge(ctx, appID); err != nil {
				return err
			}
			return a.hooks.Purge(ctx, appID)
		}})
	if err != nil {
		return err
	}
	// The roles are read after the registry read the change feed's
	// position: a change made between the two is then either in the roles
	// or past that position, where the feed's next read finds it. Read the
	// other way round, a role assigned by another process meanwhile would
	// stay unseen until some later change.
	a.rbac, err = rbac.New(ctx, rbac.Config{Store: a.store, Logger: a.log, Auditor: a.audit})
	if err != nil {
		return err
	}
	a.backend, err = backend.New(backend.Config{
		AllowPrivateNetwork: a.cfg.allowPrivateNetwork, Logger: a.log})
	if err != nil {
		return err
	}
	jwt, err := a.cfg.jwtConfig()
	if err != nil {
		return err
	}
	a.dlg, err = delegation.New(delegation.Config{Store: a.store, Vault: v, Authority: a.rbac,
		Issuer: a.cfg.publicURL, MaxTTL: a.cfg.delegationMaxTTL, Auditor: a.audit, Logger: a.log})
	if err != nil {
		return err
	}
	a.auth, err = identity.New(identity.Config{Store: a.store, Logger: a.log,
		JWT: jwt, Auditor: a.audit, Delegations: a.dlg})
	if err != nil {
		return err
	}
	a.creds, err = credentials.New(credentials.Config{Store: a.store, Vault: v, Secrets: v,
		HTTPClient: a.backend.Client(), PublicURL: a.cfg.publicURL, ReturnTo: a.cfg.returnTo,
		Logger: a.log, Auditor: a.audit})
	if err != nil {
		return err
	}
	// Outbound deliveries share the backend's client, and so its address
	// policy.
	a.hooks, err = webhook.New(webhook.Config{Store: a.store, Vault: v, Secrets: v,
		Installed: a.registry, PublicURL: a.cfg.publicURL, Client: a.backend.Client(),
		Auditor: a.audit, Logger: a.log, Authorizer: a.rbac})
	if err != nil {
		return err
	}
	a.exec, err = executor.New(executor.Config{Installed: a.registry,
		Authorizer: a.rbac, Secrets: v, Runner: a.backend, Auditor: a.audit,
		Connections: a.creds, Logger: a.log})
	a.changed = newBroadcast()
	return err
}

// bootstrap sets up a new installation: an administrator's key, holding
// the admin role, written mode 0600 to the data directory (the log names the
// file, never the key). A store that has ever held a key, a role or an
// audit entry is not new: offboarding the administrator must not bring it
// back on the next start.
func (a *app) bootstrap(ctx context.Context) error {
	ctx = audit.WithOrigin(ctx, audit.Origin{Actor: switchboard.Operator.String(),
		Surface: audit.SurfaceSystem})
	if fresh, err := a.fresh(ctx); err != nil || !fresh {
		return err
	}
	// Of replicas that start together on a fresh store, the one that
	// creates this marker makes the administrator's key; the others make
	// none, so that no second admin key sits on another machine's disk.
	err := a.vault.Create(ctx, bootstrapScope, bootstrapName, []byte("1"))
	if switchboard.ErrorCode(err) == switchboard.CodeConflict {
		a.log.InfoContext(ctx, "another process is setting up this store; if no admin key "+
			"appears, make one with: switchboard keys create --principal user:admin && "+
			"switchboard roles assign user:admin admin")
		return nil
	}
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	token, err := a.auth.Bootstrap(ctx)
	if err != nil || token == "" {
		return err
	}
	if err := a.rbac.Assign(ctx, identity.Admin.String(), rbac.AdminRole); err != nil {
		return err
	}
	path := filepath.Join(a.cfg.dataDir, adminFile)
	if err := writeSecretFile(path, []byte(token+"\n")); err != nil {
		return fmt.Errorf("write admin key: %w", err)
	}
	a.log.WarnContext(ctx, "admin key created: it opens every API; keep it secret",
		slog.String(logkey.File, path))
	return nil
}

// fresh reports whether the store has never held a key, a role assignment
// or an audit entry.
func (a *app) fresh(ctx context.Context) (bool, error) {
	n, err := a.store.CountAPIKeys(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	as, err := a.rbac.Assignments(ctx, "")
	if err != nil || len(as) > 0 {
		return false, err
	}
	heads, err := a.store.AuditHeads(ctx)
	return len(heads) == 0, err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeSecretFile replaces path with data, readable by its owner only.
func writeSecretFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (a *app) close() {
	if a.audit != nil {
		// Entries of calls that drained are written before the store closes.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := a.audit.Close(ctx); err != nil {
			a.log.Error("audit log not closed cleanly", slog.Any(logkey.Err, err))
		}
		cancel()
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Warn("store close", slog.Any(logkey.Err, err))
		}
	}
}

// follow keeps this process in step with the store until ctx ends: the
// registry follows the change feed, and every change empties the caches of
// keys and sealed secrets, since another process may have revoked or
// replaced one.
func (a *app) follow(ctx context.Context) {
	changes, cancel := a.registry.Subscribe()
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { _ = a.registry.Run(ctx) })
	if l, ok := a.store.(interface {
		Listen(ctx context.Context, wake func())
	}); ok {
		wg.Go(func() { l.Listen(ctx, a.registry.Nudge) })
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
			a.vault.Flush()
			a.auth.Flush()
			if err := a.rbac.Refresh(ctx); err != nil && ctx.Err() == nil {
				a.log.WarnContext(ctx, "roles not refreshed", slog.Any(logkey.Err, err))
			}
			a.changed.notify()
		}
	}
}

// ready reports whether the store answers and its schema is current.
func (a *app) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return err
	}
	ok, err := a.store.MigrationsCurrent(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("migrations are not current")
	}
	return nil
}
