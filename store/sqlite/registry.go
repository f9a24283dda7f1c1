package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboard-dev/switchboard/registry"
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
// than any Seq handed out before on this file. rec.Seq is ignored. It
// returns the row as stored.
func (db *DB) Install(ctx context.Context, rec registry.Installed) (registry.Installed, error) {
	const op = "install"
	var out registry.Installed
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qNextSeq); err != nil {
			return translate(err, op, "integration "+rec.AppID)
		}
		row := tx.QueryRowContext(ctx, qInstall, rec.AppID, rec.Version,
			blob(rec.Manifest), micros(rec.DeployedAt), micros(rec.UpdatedAt))
		var err error
		if out, err = scanInstalled(row); err != nil {
			return translate(err, op, "integration "+rec.AppID)
		}
		return db.record(ctx, tx, change{kindInstalled, rec.AppID})
	})
	if err != nil {
		return registry.Installed{}, err
	}
	return out, nil
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

// UpdateConfig replaces appID's plain config with what fn returns for the
// current one ("{}" when there is none) and records a "config" change, in
// one transaction that holds the file's write lock, so no other
// UpdateConfig, from this process or another, interleaves. An error from fn
// is returned as is and changes nothing; so is a result that is not a JSON
// object. fn must be quick and must not write through the store, which
// would wait for the lock fn's caller holds.
func (db *DB) UpdateConfig(ctx context.Context, appID string,
	fn func(current json.RawMessage) (json.RawMessage, error),
) error {
	const op = "update config"
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
		if !isObject(next) {
			return fmt.Errorf("%s %s: result is not a JSON object", op, appID)
		}
		if _, err := tx.ExecContext(ctx, qPutConfig, appID, string(next)); err != nil {
			return translate(err, op, "config of "+appID)
		}
		return db.record(ctx, tx, change{kindConfig, appID})
	})
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
	err := s.Scan(&rec.AppID, &rec.Version, &rec.Manifest, &rec.Seq, &deployed, &updated)
	if err != nil {
		return registry.Installed{}, err
	}
	rec.DeployedAt, rec.UpdatedAt = fromMicros(deployed), fromMicros(updated)
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

// isObject reports whether b is one valid JSON object.
func isObject(b []byte) bool {
	return json.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
}
