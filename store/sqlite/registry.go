package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/store/internal/codec"
)

// PutUploadedManifest inserts or replaces the uploaded manifest of m.AppID
// and records a "catalog" change.
func (db *DB) PutUploadedManifest(ctx context.Context, m registry.StoredManifest) error {
	const op = "put uploaded manifest"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qPutUploaded,
			m.AppID, m.Version, blob(m.Manifest), micros(m.UpdatedAt))
		if err != nil {
			return translate(err, op, "uploaded manifest "+m.AppID)
		}
		return db.record(ctx, tx, change{kindCatalog, m.AppID})
	})
}

// UploadedManifests returns every uploaded manifest, ordered by app id.
func (db *DB) UploadedManifests(ctx context.Context) ([]registry.StoredManifest, error) {
	const op = "list uploaded manifests"
	rows, err := db.read.QueryContext(ctx, qUploaded)
	if err != nil {
		return nil, translate(err, op, "uploaded manifest")
	}
	defer rows.Close()

	var ms []registry.StoredManifest
	for rows.Next() {
		var m registry.StoredManifest
		var at int64
		if err := rows.Scan(&m.AppID, &m.Version, &m.Manifest, &at); err != nil {
			return nil, translate(err, op, "uploaded manifest")
		}
		m.UpdatedAt = fromMicros(at)
		ms = append(ms, m)
	}
	return ms, translate(rows.Err(), op, "uploaded manifest")
}

// DeleteUploadedManifest removes the uploaded manifest of appID and records
// a "catalog" change; when there is none it does nothing and returns nil.
func (db *DB) DeleteUploadedManifest(ctx context.Context, appID string) error {
	const op = "delete uploaded manifest"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qDeleteUploaded, appID)
		if err != nil {
			return translate(err, op, "uploaded manifest "+appID)
		}
		if n == 0 {
			return nil // nothing changed, nothing to record
		}
		return db.record(ctx, tx, change{kindCatalog, appID})
	})
}

// Install records rec as installed and records an "installed" change. An
// app id installed already keeps its Seq and DeployedAt and takes rec's
// Version, Manifest and UpdatedAt; a new one takes the next Seq, greater
// than any Seq handed out before on this file. ActionSince is
// registry.StampActions of the row replaced, with the same next value as
// the stamp of new actions. rec.Seq and rec.ActionSince are ignored. It
// returns the row as stored.
func (db *DB) Install(ctx context.Context, rec registry.Installed) (registry.Installed, error) {
	const op = "install"
	what := "integration " + rec.AppID
	var out registry.Installed
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var next int64
		if err := tx.QueryRowContext(ctx, qNextSeq).Scan(&next); err != nil {
			return translate(err, op, what)
		}
		prev, err := installedRow(ctx, tx, rec.AppID)
		if err != nil {
			return translate(err, op, what)
		}
		since, err := codec.Since(registry.StampActions(prev, rec.Manifest, next))
		if err != nil {
			return fmt.Errorf("%s %s: %w", op, rec.AppID, err)
		}
		row := tx.QueryRowContext(ctx, qInstall, rec.AppID, rec.Version,
			blob(rec.Manifest), next, micros(rec.DeployedAt), micros(rec.UpdatedAt), since)
		if out, err = scanInstalled(row); err != nil {
			return translate(err, op, what)
		}
		return db.record(ctx, tx, change{kindInstalled, rec.AppID})
	})
	if err != nil {
		return registry.Installed{}, err
	}
	return out, nil
}

// installedRow reads appID's row inside tx, or nil when it is not
// installed.
func installedRow(ctx context.Context, tx *sql.Tx, appID string) (*registry.Installed, error) {
	rec, err := scanInstalled(tx.QueryRowContext(ctx, qInstalledRow, appID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// Uninstall removes appID from the installed set and records an "installed"
// change, or returns CodeNotFound when appID is not installed.
func (db *DB) Uninstall(ctx context.Context, appID string) error {
	const op = "uninstall"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qUninstall, appID)
		if err != nil {
			return translate(err, op, "integration "+appID)
		}
		if n == 0 {
			return notFound("installed integration " + appID)
		}
		return db.record(ctx, tx, change{kindInstalled, appID})
	})
}

// InstalledSet returns every installed integration ordered by Seq.
func (db *DB) InstalledSet(ctx context.Context) ([]registry.Installed, error) {
	const op = "list installed"
	rows, err := db.read.QueryContext(ctx, qInstalledSet)
	if err != nil {
		return nil, translate(err, op, "integration")
	}
	defer rows.Close()

	var set []registry.Installed
	for rows.Next() {
		rec, err := scanInstalled(rows)
		if err != nil {
			return nil, translate(err, op, "integration")
		}
		set = append(set, rec)
	}
	return set, translate(rows.Err(), op, "integration")
}

// Configs returns the plain config of every integration that has one, by
// app id, each byte for byte as it was written.
func (db *DB) Configs(ctx context.Context) (map[string]json.RawMessage, error) {
	const op = "list configs"
	rows, err := db.read.QueryContext(ctx, qConfigs)
	if err != nil {
		return nil, translate(err, op, "config")
	}
	defer rows.Close()

	cfgs := map[string]json.RawMessage{}
	for rows.Next() {
		var id, cfg string
		if err := rows.Scan(&id, &cfg); err != nil {
			return nil, translate(err, op, "config")
		}
		cfgs[id] = json.RawMessage(cfg)
	}
	return cfgs, translate(rows.Err(), op, "config")
}

// UpdateConfig is [DB.UpdateConfigWithSecrets] without secrets.
func (db *DB) UpdateConfig(ctx context.Context, appID string,
	fn func(current json.RawMessage) (json.RawMessage, error),
) error {
	return db.UpdateConfigWithSecrets(ctx, appID, fn, nil)
}

// UpdateConfigWithSecrets replaces appID's plain config with what fn
// returns for the current one ("{}" when there is none) and writes secrets
// (a nil Sealed deletes one), in one transaction that holds the file's
// write lock, so no other write, from this process or another, interleaves.
// It records a "secret" change per secret it changed, then a "config"
// change. An error from fn is returned as is and changes nothing; so do a
// result that is not a JSON object and a write without a scope or a name.
// fn must be quick and must not write through the store, which would wait
// for the lock fn's caller holds.
func (db *DB) UpdateConfigWithSecrets(ctx context.Context, appID string,
	fn func(current json.RawMessage) (json.RawMessage, error),
	secrets []registry.SecretWrite,
) error {
	const op = "update config"
	if err := checkWrites(secrets); err != nil {
		return fmt.Errorf("%s %s: %w", op, appID, err)
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		cur := "{}"
		err := tx.QueryRowContext(ctx, qConfig, appID).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return translate(err, op, "config of "+appID)
		}

		next, err := fn(json.RawMessage(cur))
		if err != nil {
			return err
		}
		if !codec.IsObject(next) {
			return fmt.Errorf("%s %s: result is not a JSON object", op, appID)
		}
		changes, err := writeSecrets(ctx, tx, op, secrets)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, qPutConfig, appID, string(next)); err != nil {
			return translate(err, op, "config of "+appID)
		}
		return db.record(ctx, tx, append(changes, change{kindConfig, appID})...)
	})
}

// writeSecrets makes writes inside tx, in order of scope and name, and
// returns the changes to record: one per secret put or deleted.
func writeSecrets(ctx context.Context, tx *sql.Tx, op string,
	writes []registry.SecretWrite) ([]change, error) {
	var changes []change
	for _, w := range sortedWrites(writes) {
		changed, err := writeSecret(ctx, tx, w)
		if err != nil {
			return nil, translate(err, op, "secret "+w.Scope+"/"+w.Name)
		}
		if changed {
			changes = append(changes, change{kindSecret, w.Scope + "/" + w.Name})
		}
	}
	return changes, nil
}

// writeSecret puts or deletes one secret and reports whether a row changed.
func writeSecret(ctx context.Context, tx *sql.Tx, w registry.SecretWrite) (bool, error) {
	if w.Sealed == nil {
		n, err := exec(ctx, tx, qDeleteSecret, w.Scope, w.Name)
		return n > 0, err
	}
	_, err := tx.ExecContext(ctx, qPutSecret, w.Scope, w.Name, w.Sealed)
	return err == nil, err
}

// DeleteConfig removes appID's plain config and records a "config" change;
// when there is none it does nothing and returns nil.
func (db *DB) DeleteConfig(ctx context.Context, appID string) error {
	const op = "delete config"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qDeleteConfig, appID)
		if err != nil {
			return translate(err, op, "config of "+appID)
		}
		if n == 0 {
			return nil // nothing changed, nothing to record
		}
		return db.record(ctx, tx, change{kindConfig, appID})
	})
}

type scanner interface{ Scan(dest ...any) error }

func scanInstalled(s scanner) (registry.Installed, error) {
	var rec registry.Installed
	var deployed, updated int64
	var since sql.NullString
	err := s.Scan(&rec.AppID, &rec.Version, &rec.Manifest, &rec.Seq, &deployed, &updated,
		&since)
	if err != nil {
		return registry.Installed{}, err
	}
	rec.DeployedAt, rec.UpdatedAt = fromMicros(deployed), fromMicros(updated)
	if rec.ActionSince, err = codec.ParseSince([]byte(since.String)); err != nil {
		return registry.Installed{}, err
	}
	return rec, nil
}

// exec runs a statement in tx and returns how many rows it touched.
func exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// checkWrites refuses a secret write that names no scope or no name.
func checkWrites(writes []registry.SecretWrite) error {
	for i, w := range writes {
		if w.Scope == "" || w.Name == "" {
			return fmt.Errorf("secret write %d: scope and name are required", i)
		}
	}
	return nil
}

// sortedWrites returns writes ordered by scope, then name.
func sortedWrites(writes []registry.SecretWrite) []registry.SecretWrite {
	out := slices.Clone(writes)
	slices.SortFunc(out, func(a, b registry.SecretWrite) int {
		return cmp.Or(cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Name, b.Name))
	})
	return out
}
