package registry

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// DefaultPollInterval is how often [Registry.Run] looks at the change feed.
const DefaultPollInterval = 250 * time.Millisecond

// Config configures a [Registry]. Store and Secrets are required.
type Config struct {
	Store   Store
	Secrets Secrets
	// Builtin and Folders are the catalog entries loaded by [LoadBuiltin]
	// and [LoadFolders]; a folder entry replaces a built-in one.
	Builtin []Entry
	Folders []Entry
	Logger  *slog.Logger
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// PollInterval is how often Run reads the change feed.
	PollInterval time.Duration
	// Auditor records uploads, deploys, undeploys and config changes; nil
	// records nothing.
	Auditor Auditor
	// Purge, when set, deletes what other packages keep of an integration
	// (its users' connections) when it is undeployed with purge.
	Purge func(ctx context.Context, appID string) error
}

// Registry is the catalog and the installed set of one process. It keeps
// the current [Snapshot] in memory and follows the store's change feed, so a
// change made by any process on the store reaches it.
type Registry struct {
	store   Store
	secrets Secrets
	log     *slog.Logger
	now     func() time.Time
	poll    time.Duration
	static  map[string]Entry
	audit   Auditor
	onPurge func(ctx context.Context, appID string) error

	snap      atomic.Pointer[Snapshot]
	refreshMu sync.Mutex
	compiled  map[[32]byte]*compiledManifest // guarded by refreshMu

	subsMu sync.Mutex
	subs   map[chan struct{}]struct{}

	// nudged wakes Run before its next tick; see [Registry.Nudge].
	nudged chan struct{}

	// parsed caches uploaded manifests by the hash of their bytes, so that
	// listing the catalog does not parse each of them every time.
	parsedMu sync.Mutex
	parsed   map[[32]byte]Entry
}

// New returns a registry with the installed set loaded from the store.
func New(ctx context.Context, cfg Config) (*Registry, error) {
	if cfg.Store == nil || cfg.Secrets == nil {
		return nil, errors.New("registry: Store and Secrets are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	r := &Registry{
		store:    cfg.Store,
		secrets:  cfg.Secrets,
		log:      cfg.Logger,
		now:      cfg.Now,
		poll:     cfg.PollInterval,
		audit:    cfg.Auditor,
		onPurge:  cfg.Purge,
		static:   map[string]Entry{},
		compiled: map[[32]byte]*compiledManifest{},
		subs:     map[chan struct{}]struct{}{},
		parsed:   map[[32]byte]Entry{},
		nudged:   make(chan struct{}, 1),
	}
	for _, e := range cfg.Builtin {
		r.static[e.Manifest.AppID] = e
	}
	for _, e := range cfg.Folders {
		if b, ok := r.static[e.Manifest.AppID]; ok {
			r.log.InfoContext(ctx, "catalog folder replaces built-in integration",
				slog.String(logkey.Integration, e.Manifest.AppID),
				slog.String(logkey.File, e.Location),
				slog.String(logkey.Version, b.Manifest.Version))
		}
		r.static[e.Manifest.AppID] = e
	}
	if err := r.Refresh(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Snapshot returns the current installed set.
func (r *Registry) Snapshot() *Snapshot { return r.snap.Load() }

// Catalog returns every deployable integration by app id: uploaded manifests
// first in precedence, then folders, then built-ins.
func (r *Registry) Catalog(ctx context.Context) ([]Entry, error) {
	byID := make(map[string]Entry, len(r.static))
	for id, e := range r.static {
		byID[id] = e
	}
	uploaded, err := r.store.UploadedManifests(ctx)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	for _, u := range uploaded {
		e, err := r.uploadedEntry(u.Manifest)
		if err != nil {
			r.log.WarnContext(ctx, "uploaded manifest no longer parses",
				slog.String(logkey.Integration, u.AppID), slog.Any(logkey.Err, err))
			continue
		}
		byID[u.AppID] = e
	}
	out := make([]Entry, 0, len(byID))
	for _, e := range byID {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmpString(a.Manifest.AppID, b.Manifest.AppID) })
	return out, nil
}

// uploadedEntry parses an uploaded manifest, once per distinct content.
func (r *Registry) uploadedEntry(raw []byte) (Entry, error) {
	key := manifestKey(raw)
	r.parsedMu.Lock()
	e, ok := r.parsed[key]
	r.parsedMu.Unlock()
	if ok {
		return e, nil
	}
	e, err := newEntry(raw, SourceUploaded, "")
	if err != nil {
		return Entry{}, err
	}
	r.parsedMu.Lock()
	if len(r.parsed) >= 1024 {
		clear(r.parsed)
	}
	r.parsed[key] = e
	r.parsedMu.Unlock()
	return e, nil
}

// CatalogEntry returns the catalog's entry for appID, or CodeNotFound.
func (r *Registry) CatalogEntry(ctx context.Context, appID string) (Entry, error) {
	all, err := r.Catalog(ctx)
	if err != nil {
		return Entry{}, err
	}
	for _, e := range all {
		if e.Manifest.AppID == appID {
			return e, nil
		}
	}
	return Entry{}, switchboard.Errorf(switchboard.CodeNotFound,
		"integration %q is not in the catalog", appID)
}

// Upload validates raw and stores it in the catalog, replacing an uploaded
// manifest of the same app id. It does not deploy it.
func (r *Registry) Upload(ctx context.Context, raw []byte) (Entry, error) {
	e, err := newEntry(raw, SourceUploaded, "")
	if err != nil {
		return Entry{}, err
	}
	m := e.Manifest
	if m.ConfigSchema != nil {
		users, err := r.secretUsers(ctx, m.AppID)
		if err != nil {
			return Entry{}, err
		}
		for _, p := range m.ConfigSchema.Properties {
			if others := users[p.PlatformSecret]; p.PlatformSecret != "" && len(others) > 0 {
				e.Warnings = append(e.Warnings, fmt.Sprintf(
					"configSchema.properties.%s: the platform secret %s is shared with %s, "+
						"which name it too; setting it sets it for them",
					p.Name, p.PlatformSecret, strings.Join(others, ", ")))
			}
		}
	}
	err = r.store.PutUploadedManifest(ctx, StoredManifest{
		AppID: m.AppID, Version: m.Version, Manifest: raw, UpdatedAt: r.now().UTC(),
	})
	if err != nil {
		return Entry{}, fmt.Errorf("store manifest %s: %w", m.AppID, err)
	}
	r.log.InfoContext(ctx, "manifest uploaded",
		slog.String(logkey.Integration, m.AppID), slog.String(logkey.Version, m.Version))
	if err := r.note(ctx, audit.EventUpload, m.AppID, map[string]string{"version": m.Version}); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// Deploy installs the catalog's manifest of appID, or replaces the
// installed version with it. Calls already running finish on the version
// they started with. It returns the integration as now installed.
func (r *Registry) Deploy(ctx context.Context, appID string) (*Integration, error) {
	e, err := r.CatalogEntry(ctx, appID)
	if err != nil {
		return nil, err
	}
	prev := r.Snapshot().Integration(appID)
	now := r.now().UTC()
	_, err = r.store.Install(ctx, Installed{
		AppID: appID, Version: e.Manifest.Version, Manifest: e.Raw,
		DeployedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", appID, err)
	}
	if err := r.Refresh(ctx); err != nil {
		return nil, err
	}
	in := r.Snapshot().Integration(appID)
	if in == nil {
		return nil, fmt.Errorf("deploy %s: not in the installed set after install", appID)
	}
	attrs := []any{slog.String(logkey.Integration, appID), slog.String(logkey.Version, in.Manifest.Version)}
	if prev != nil {
		attrs = append(attrs, slog.String("previous_version", prev.Manifest.Version))
	}
	r.log.InfoContext(ctx, "integration deployed", attrs...)
	detail := map[string]string{"version": in.Manifest.Version, "source": e.Source}
	if prev != nil {
		detail["previous_version"] = prev.Manifest.Version
	}
	if err := r.note(ctx, audit.EventDeploy, appID, detail); err != nil {
		return nil, err
	}
	return in, nil
}

// Undeploy removes appID from the installed set, keeping its config,
// secrets, connections and uploaded manifest so that a redeploy restores
// it. With purge it also deletes its config, its uploaded manifest, what
// [Config.Purge] deletes (its users' connections), and every platform
// secret it names that no other integration still needs; purge works on an
// integration that is not installed too.
func (r *Registry) Undeploy(ctx context.Context, appID string, purge bool) error {
	in := r.Snapshot().Integration(appID)
	err := r.store.Uninstall(ctx, appID)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound && purge {
		// Purging an integration that is not installed is fine when there
		// is something of it to purge.
		known, kerr := r.known(ctx, appID)
		if kerr != nil {
			return kerr
		}
		if known {
			err = nil
		}
	}
	if err != nil {
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			return switchboard.Errorf(switchboard.CodeNotFound, "integration %q is not deployed", appID)
		}
		return fmt.Errorf("uninstall %s: %w", appID, err)
	}
	if purge {
		if err := r.purge(ctx, appID, in); err != nil {
			return err
		}
	}
	if err := r.Refresh(ctx); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "integration undeployed",
		slog.String(logkey.Integration, appID), slog.Bool("purge", purge))
	return r.note(ctx, audit.EventUndeploy, appID, map[string]string{"purge": fmt.Sprint(purge)})
}

func (r *Registry) purge(ctx context.Context, appID string, in *Integration) error {
	var m *Manifest
	if in != nil {
		m = in.Manifest
	} else if e, err := r.CatalogEntry(ctx, appID); err == nil {
		m = e.Manifest
	}
	if m != nil && m.ConfigSchema != nil {
		shared, err := r.secretUsers(ctx, appID)
		if err != nil {
			return err
		}
		for _, p := range m.ConfigSchema.Properties {
			if p.PlatformSecret == "" || len(shared[p.PlatformSecret]) > 0 {
				continue
			}
			if err := r.secrets.DeletePlatformSecret(ctx, p.PlatformSecret); err != nil {
				return fmt.Errorf("purge secret of %s: %w", appID, err)
			}
		}
	}
	if r.onPurge != nil {
		if err := r.onPurge(ctx, appID); err != nil {
			return fmt.Errorf("purge %s: %w", appID, err)
		}
	}
	if err := r.store.DeleteConfig(ctx, appID); err != nil {
		return fmt.Errorf("purge config of %s: %w", appID, err)
	}
	if err := r.store.DeleteUploadedManifest(ctx, appID); err != nil {
		return fmt.Errorf("purge manifest of %s: %w", appID, err)
	}
	return nil
}

// known reports whether appID is in the catalog or has stored config.
func (r *Registry) known(ctx context.Context, appID string) (bool, error) {
	if _, err := r.CatalogEntry(ctx, appID); err == nil {
		return true, nil
	} else if switchboard.ErrorCode(err) != switchboard.CodeNotFound {
		return false, err
	}
	configs, err := r.store.Configs(ctx)
	if err != nil {
		return false, fmt.Errorf("read config: %w", err)
	}
	_, ok := configs[appID]
	return ok, nil
}

// secretUsers maps each platform secret name to the integrations other
// than appID that name it: the installed ones, and those undeployed with
// their config kept, since a redeploy expects their secrets back.
func (r *Registry) secretUsers(ctx context.Context, appID string) (map[string][]string, error) {
	users := map[string][]string{}
	add := func(m *Manifest) {
		if m.AppID == appID || m.ConfigSchema == nil {
			return
		}
		for _, p := range m.ConfigSchema.Properties {
			if p.PlatformSecret != "" && !slices.Contains(users[p.PlatformSecret], m.AppID) {
				users[p.PlatformSecret] = append(users[p.PlatformSecret], m.AppID)
			}
		}
	}
	for _, in := range r.Snapshot().Integrations() {
		add(in.Manifest)
	}
	configs, err := r.store.Configs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	catalog, err := r.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range catalog {
		if _, kept := configs[e.Manifest.AppID]; kept {
			add(e.Manifest)
		}
	}
	return users, nil
}

// Subscribe returns a channel that receives a value after each refresh
// that changed the snapshot, and a function that ends the subscription.
// Signals coalesce: a slow reader sees one pending signal, never a queue.
func (r *Registry) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.subsMu.Lock()
	r.subs[ch] = struct{}{}
	r.subsMu.Unlock()
	return ch, func() {
		r.subsMu.Lock()
		delete(r.subs, ch)
		r.subsMu.Unlock()
	}
}

func (r *Registry) notify() {
	r.subsMu.Lock()
	defer r.subsMu.Unlock()
	for ch := range r.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Run follows the change feed until ctx ends, refreshing the snapshot when
// another process (or this one) changed the store. Errors reading the feed
// are logged once per outage and retried.
func (r *Registry) Run(ctx context.Context) error {
	t := time.NewTicker(r.poll)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.nudged:
		}
		err := r.refreshIfChanged(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			failing = true
			r.log.WarnContext(ctx, "change feed unavailable", slog.Any(logkey.Err, err))
		case err == nil && failing:
			failing = false
			r.log.InfoContext(ctx, "change feed restored")
		}
	}
}

// Nudge makes Run read the change feed now rather than at its next tick:
// a store that announces changes (PostgreSQL's LISTEN) calls it. It never
// blocks; nudges that come while one is pending are one.
func (r *Registry) Nudge() {
	select {
	case r.nudged <- struct{}{}:
	default:
	}
}

func (r *Registry) refreshIfChanged(ctx context.Context) error {
	last, err := r.store.LastChange(ctx)
	if err != nil {
		return err
	}
	if last == r.Snapshot().Change {
		return nil
	}
	return r.Refresh(ctx)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func manifestKey(raw []byte) [32]byte { return sha256.Sum256(raw) }
