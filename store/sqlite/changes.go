package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The kinds of [Change].
const (
	kindCatalog   = "catalog"
	kindInstalled = "installed"
	kindConfig    = "config"
	kindSecret    = "secret"
	kindVaultKey  = "vault_key"
	kindAPIKey    = "api_key"
)

// Change is one entry of the change feed: which kind of thing changed and
// which one. Kind is "catalog" (an uploaded manifest), "installed", "config"
// (plain config), "secret", "vault_key" or "api_key"; Subject is then an app
// id, a secret's "scope/name", a key version in decimal or an API key's id.
// A change never carries a value.
type Change struct {
	ID      int64
	Kind    string
	Subject string
	At      time.Time
}

// change is a change about to be recorded.
type change struct{ kind, subject string }

// record adds changes to the feed inside tx.
func (db *DB) record(ctx context.Context, tx *sql.Tx, changes ...change) error {
	at := micros(db.now())
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, qInsertChange, c.kind, c.subject, at); err != nil {
			return fmt.Errorf("record change: %w", err)
		}
	}
	return nil
}

// LastChange returns the id of the newest change, 0 on an empty store. Ids
// only grow, and a change is visible to every handle on the file once the
// method that made it has returned.
func (db *DB) LastChange(ctx context.Context) (int64, error) {
	var id int64
	if err := db.hot.lastChange.QueryRowContext(ctx).Scan(&id); err != nil {
		return 0, translate(err, "last change", "change")
	}
	return id, nil
}

// Changes returns up to limit changes with an id greater than after, oldest
// first. limit must be positive. Since changes commit in the order of their
// ids, a reader that pages on with the last id it saw misses none.
func (db *DB) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	if limit <= 0 {
		return nil, errors.New("list changes: limit must be positive")
	}
	rows, err := db.read.QueryContext(ctx, qChanges, after, limit)
	if err != nil {
		return nil, translate(err, "list changes", "change")
	}
	defer rows.Close()

	var cs []Change
	for rows.Next() {
		var c Change
		var at int64
		if err := rows.Scan(&c.ID, &c.Kind, &c.Subject, &at); err != nil {
			return nil, translate(err, "list changes", "change")
		}
		c.At = fromMicros(at)
		cs = append(cs, c)
	}
	return cs, translate(rows.Err(), "list changes", "change")
}
