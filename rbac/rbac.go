package rbac

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// Config configures an [Authorizer]. Store is required; the zero value of
// every other field works.
type Config struct {
	Store Store
	// Logger receives lifecycle events; nil discards them.
	Logger *slog.Logger
	// Now stamps roles and assignments; nil is time.Now.
	Now func() time.Time
	// Auditor records every change to roles and assignments; nil records
	// nothing.
	Auditor Auditor
}

// Authorizer decides what principals may do, and manages the roles and
// assignments that decide it. It keeps an immutable model of every role
// and assignment in memory, so that a check never reads the store. It is
// safe for concurrent use.
type Authorizer struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
	audit Auditor

	// generation counts the models loaded, so that a reader can tell the
	// roles or assignments may have changed.
	generation atomic.Uint64

	model     atomic.Pointer[model]
	refreshMu sync.Mutex // one load at a time, so an older never replaces a newer
	writeMu   sync.Mutex // one validate-write-reload of this process at a time
}

// New returns an Authorizer with roles and assignments loaded from
// cfg.Store.
func New(ctx context.Context, cfg Config) (*Authorizer, error) {
	if cfg.Store == nil {
		return nil, errors.New("rbac: Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Authorizer{store: cfg.Store, log: cfg.Logger, now: cfg.Now, audit: cfg.Auditor}
	if err := a.Refresh(ctx); err != nil {
		return nil, err
	}
	m := a.model.Load()
	a.log.InfoContext(ctx, "roles loaded",
		slog.Int(logkey.Count, len(m.names)))
	return a, nil
}

// Refresh reloads roles and assignments from the store. Call it when the
// change feed moved: another process may have changed them. Checks made
// while it runs use the model before it; a failed Refresh keeps that model.
func (a *Authorizer) Refresh(ctx context.Context) error {
	a.refreshMu.Lock()
	defer a.refreshMu.Unlock()

	roles, err := a.store.Roles(ctx)
	if err != nil {
		return fmt.Errorf("load roles: %w", err)
	}
	assigned, err := a.store.Assignments(ctx, "")
	if err != nil {
		return fmt.Errorf("load role assignments: %w", err)
	}
	sum := digest(roles, assigned)
	if prev := a.model.Load(); prev != nil && prev.digest == sum {
		return nil
	}
	m := build(roles, assigned, a.log)
	m.digest = sum
	a.model.Store(m)
	a.generation.Add(1)
	return nil
}

// digest fingerprints what the store holds, so that a refresh that finds
// nothing new keeps the model and its generation.
func digest(roles []Role, assigned []Assignment) [sha256.Size]byte {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, r := range roles {
		_ = enc.Encode([]any{r.Name, r.Description, r.Permissions, r.Inherits})
	}
	for _, as := range assigned {
		_ = enc.Encode([]string{as.Principal, as.Role})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Generation grows each time roles or assignments are found changed, so that a
// reader (the MCP server, deciding whether to tell clients their tool lists
// changed) can tell they may differ from what it last saw.
func (a *Authorizer) Generation() uint64 { return a.generation.Load() }

// claimsKey is the context key of roles claimed by an external token.
type claimsKey struct{}

// WithClaimedRoles returns a context carrying roles that an external token
// (a JWT of the deployment's login) claims for its principal. Checks made
// with it grant the permissions of those roles in addition to the
// principal's assigned ones; names of roles that do not exist are ignored.
// Only the code that verified the token may call it.
func WithClaimedRoles(ctx context.Context, roles []string) context.Context {
	return context.WithValue(ctx, claimsKey{}, slices.Clone(roles))
}

// ClaimedRoles returns the roles [WithClaimedRoles] put in ctx; the slice
// is shared: do not modify it.
func ClaimedRoles(ctx context.Context) []string {
	roles, _ := ctx.Value(claimsKey{}).([]string)
	return roles
}

// Authorize returns nil when p holds permission, through its assigned
// roles or the roles ctx claims for it (see [WithClaimedRoles]), and
// otherwise a *switchboard.Error with CodeForbidden whose Permission is
// permission. The operator holds every permission; the zero principal
// none. It reads no store and allocates nothing when p is allowed.
func (a *Authorizer) Authorize(
	ctx context.Context, p switchboard.Principal, permission string,
) error {
	if a.Allowed(ctx, p, permission) {
		return nil
	}
	e := switchboard.Errorf(switchboard.CodeForbidden,
		"%s lacks the permission %s: an administrator can grant it", describe(p), permission)
	if d, ok := switchboard.DelegationFrom(ctx); ok {
		e.Message = a.delegatedDenial(ctx, p, d, permission)
	}
	e.Permission = permission
	return e
}

// delegatedDenial says which of the three authorities of a delegated
// request lacks permission.
func (a *Authorizer) delegatedDenial(ctx context.Context, p switchboard.Principal,
	d switchboard.Delegation, permission string) string {
	var why []string
	if !inScope(d.Scope, permission) {
		why = append(why, "the delegation's scope does not include it")
	}
	if !a.holds(d.User, d.UserRoles, permission) {
		why = append(why, d.User.String()+" does not hold it")
	}
	if !a.holds(p, ClaimedRoles(ctx), permission) {
		why = append(why, p.String()+" does not hold it")
	}
	return fmt.Sprintf("%s acting for %s lacks the permission %s: %s",
		p, d.User, permission, strings.Join(why, ", and "))
}

func describe(p switchboard.Principal) string {
	if p.IsZero() {
		return "an unidentified caller"
	}
	return p.String()
}

// Allowed reports whether p holds the permission key, as [Authorizer.Authorize]
// decides. For a delegated request (ctx carries a
// [switchboard.Delegation]) the key must also be in the delegation's scope
// and held by the user it acts for: authority only narrows.
func (a *Authorizer) Allowed(ctx context.Context, p switchboard.Principal, key string) bool {
	d, delegated := switchboard.DelegationFrom(ctx)
	if !delegated {
		return a.holds(p, ClaimedRoles(ctx), key)
	}
	return inScope(d.Scope, key) && a.holds(p, ClaimedRoles(ctx), key) &&
		a.holds(d.User, d.UserRoles, key)
}

// holds reports whether p holds key through its assigned roles or the
// roles claimed for it.
func (a *Authorizer) holds(p switchboard.Principal, claimed []string, key string) bool {
	if p == switchboard.Operator {
		return true
	}
	if p.IsZero() {
		return false
	}
	m := a.model.Load()
	if anyAllows(m.principalReach(p), key) {
		return true
	}
	for _, name := range claimed {
		if n := m.nodes[name]; n != nil && anyAllows(n.reach, key) {
			return true
		}
	}
	return false
}

// inScope reports whether a pattern of scope matches key.
func inScope(scope []string, key string) bool {
	for _, pattern := range scope {
		if Match(pattern, key) {
			return true
		}
	}
	return false
}

// Holds reports whether user, with the roles their login claims, holds
// each of keys (patterns are matched literally: holding "integration:*"
// covers "integration:slack:*", holding "integration:slack:send" does not),
// and returns the keys they do not hold. Delegations check their scope
// with it when issued.
func (a *Authorizer) Holds(user switchboard.Principal, claimed []string, keys []string) (missing []string) {
	for _, k := range keys {
		if !a.holds(user, claimed, k) {
			missing = append(missing, k)
		}
	}
	return missing
}

// Permissions returns the patterns p holds, through its assigned roles,
// the roles they inherit and the roles ctx claims for it, sorted and
// without duplicates. The operator holds "*"; the zero principal nothing.
// For a delegated request it returns the patterns that the user, p and the
// delegation's scope all grant: their exact intersection.
func (a *Authorizer) Permissions(ctx context.Context, p switchboard.Principal) []string {
	own := a.patterns(p, ClaimedRoles(ctx))
	d, delegated := switchboard.DelegationFrom(ctx)
	if !delegated {
		return own
	}
	user := a.patterns(d.User, d.UserRoles)
	return intersect(intersect(own, user), d.Scope)
}

func (a *Authorizer) patterns(p switchboard.Principal, claimed []string) []string {
	if p == switchboard.Operator {
		return []string{Wildcard}
	}
	if p.IsZero() {
		return nil
	}
	m := a.model.Load()
	out := appendPatterns(nil, m.principalReach(p))
	for _, name := range claimed {
		if n := m.nodes[name]; n != nil {
			out = appendPatterns(out, n.reach)
		}
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}

// intersect returns the patterns that grant exactly the keys both x and y
// grant, sorted and minimal. Two patterns either grant disjoint keys or one
// grants all the other does, so the intersection is made of the patterns
// of either side that the other side covers.
func intersect(x, y []string) []string {
	var out []string
	for _, p := range x {
		if inScope(y, p) {
			out = append(out, p)
		}
	}
	for _, p := range y {
		if inScope(x, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	// Drop what another kept pattern covers.
	kept := out[:0]
	for _, p := range out {
		covered := false
		for _, q := range out {
			if q != p && Match(q, p) {
				covered = true
				break
			}
		}
		if !covered {
			kept = append(kept, p)
		}
	}
	return slices.Clip(kept)
}
