package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// MaxKeyName is the greatest length of an API key's name, in characters.
const MaxKeyName = 128

// CreateKey makes a new API key for p, stores its hash, and returns the key
// itself: the only time it is ever available. p must be a user, an agent or
// an app, and name 1 to [MaxKeyName] printable characters; otherwise the
// error has CodeInvalidInput with a field error at "principal" or "name".
func (a *Authenticator) CreateKey(
	ctx context.Context, p switchboard.Principal, name string,
) (string, APIKey, error) {
	if err := checkNewKey(p, name); err != nil {
		return "", APIKey{}, err
	}
	secret := make([]byte, 32)
	if _, err := io.ReadFull(a.rand, secret); err != nil {
		return "", APIKey{}, fmt.Errorf("generate api key: %w", err)
	}
	token := KeyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(token))
	k := APIKey{
		ID:        "key_" + hex.EncodeToString(sum[:6]),
		Principal: p.String(),
		Name:      name,
		Hash:      sum[:],
		CreatedAt: a.now().UTC(),
	}
	if err := a.store.CreateAPIKey(ctx, k); err != nil {
		return "", APIKey{}, fmt.Errorf("store api key: %w", err)
	}
	a.log.InfoContext(ctx, "api key created",
		slog.String(logkey.Principal, k.Principal), slog.String(logkey.KeyID, k.ID))
	err := a.note(ctx, audit.EventKeyCreate, map[string]string{
		"key": k.ID, "principal": k.Principal, "name": k.Name})
	if err != nil {
		return "", APIKey{}, err
	}
	return token, k, nil
}

// checkNewKey reports every problem of a new key's principal and name.
func checkNewKey(p switchboard.Principal, name string) error {
	var errs []switchboard.FieldError
	if _, err := switchboard.ParsePrincipal(p.String()); err != nil {
		errs = append(errs, switchboard.FieldError{Path: "principal",
			Message: "must be user:ID, agent:ID or app:ID, the ID 1-256 printable ASCII " +
				"characters without spaces, /, ?, # or %"})
	}
	if msg := checkKeyName(name); msg != "" {
		errs = append(errs, switchboard.FieldError{Path: "name", Message: msg})
	}
	if len(errs) == 0 {
		return nil
	}
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "the api key is invalid: %s: %s",
		errs[0].Path, errs[0].Message)
	e.Errors = errs
	return e
}

func checkKeyName(name string) string {
	if !utf8.ValidString(name) {
		return "must be UTF-8"
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxKeyName {
		return fmt.Sprintf("must be 1-%d characters", MaxKeyName)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "must be printable characters, without control characters"
		}
	}
	return ""
}

// ListKeys returns the keys of p, or every key when p is the zero
// Principal, oldest first, each with its last use (see the package doc for
// its precision). Hash is cleared: a key's hash never leaves the store
// through here, and the key itself is never kept at all.
func (a *Authenticator) ListKeys(ctx context.Context, p switchboard.Principal) ([]APIKey, error) {
	keys, err := a.store.ListAPIKeys(ctx, p.String())
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	for i := range keys {
		keys[i].Hash = nil
	}
	return keys, nil
}

// RevokeKey deletes the key with id. It refuses this process's next request
// with the key, however warm its cache, and other processes' once their
// change feed moves. An unknown id is CodeNotFound.
func (a *Authenticator) RevokeKey(ctx context.Context, id string) error {
	if err := a.store.DeleteAPIKey(ctx, id); err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	a.Flush()
	a.log.InfoContext(ctx, "api key revoked", slog.String(logkey.KeyID, id))
	return a.note(ctx, audit.EventKeyRevoke, map[string]string{"key": id})
}

// RevokeKeysOf deletes every key of p, taking effect as [Authenticator.RevokeKey]
// does, and returns how many there were. p must be a user, an agent or an
// app (CodeInvalidInput otherwise); none is not an error. It is the key
// half of offboarding a principal.
func (a *Authenticator) RevokeKeysOf(ctx context.Context, p switchboard.Principal) (int, error) {
	if _, err := switchboard.ParsePrincipal(p.String()); err != nil {
		return 0, switchboard.Errorf(switchboard.CodeInvalidInput,
			"keys belong to a user, an agent or an app, not %q", p.String())
	}
	n, err := a.store.DeleteAPIKeysOf(ctx, p.String())
	if err != nil {
		return 0, fmt.Errorf("revoke api keys of %s: %w", p, err)
	}
	if n > 0 {
		a.Flush()
	}
	a.log.InfoContext(ctx, "api keys revoked",
		slog.String(logkey.Principal, p.String()), slog.Int(logkey.Count, n))
	if n == 0 {
		return 0, nil
	}
	return n, a.note(ctx, audit.EventKeyRevoke,
		map[string]string{"principal": p.String(), "count": fmt.Sprint(n)})
}

// Bootstrap creates the administrator's key when the store has no key at
// all, and returns it; on any later start it returns "". The caller writes
// the key where the operator can read it and nowhere else.
func (a *Authenticator) Bootstrap(ctx context.Context) (string, error) {
	n, err := a.store.CountAPIKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("count api keys: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	token, _, err := a.CreateKey(ctx, Admin, "admin (first start)")
	return token, err
}

// lastUseInterval is the least time between two records of one key's use
// by one process.
const lastUseInterval = time.Minute

// touchTimeout bounds one record of a key's use, so that a store busy with
// other writes delays the request that records it by no more.
const touchTimeout = 2 * time.Second

// lastUses remembers when this process last recorded each key's use.
type lastUses struct {
	mu sync.Mutex
	at map[string]time.Time // by key id
}

// due reports whether a use of key id at now is to be recorded, and if so
// notes it as recorded.
func (u *lastUses) due(id string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if last, ok := u.at[id]; ok && now.Sub(last) < lastUseInterval {
		return false
	}
	if u.at == nil || len(u.at) >= maxCachedKeys {
		u.at = map[string]time.Time{}
	}
	u.at[id] = now
	return true
}

// noteUse records that key id was used now, unless this process recorded
// a use of it less than [lastUseInterval] ago. The record is written while
// the request waits, so that it is done before a process that answers the
// request shuts down, for at most [touchTimeout]; a failure is logged, never
// returned: the request goes on.
func (a *Authenticator) noteUse(ctx context.Context, id string) {
	now := a.now()
	if !a.uses.due(id, now) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), touchTimeout)
	defer cancel()
	if err := a.store.TouchAPIKey(ctx, id, now.UTC()); err != nil {
		a.log.WarnContext(ctx, "api key use not recorded",
			slog.String(logkey.KeyID, id), slog.Any(logkey.Err, err))
	}
}
