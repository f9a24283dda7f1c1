package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/registry"
)

// PutUploadedManifest inserts or replaces the uploaded manifest of m.AppID
// and records a "catalog" change.
func (db *DB) PutUploadedManifest(ctx context.Context, m registry.StoredManifest) error {
	const op = "put uploaded manifest"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, qPutUploaded, m.AppID, m.Version, blob(m.Manifest), utc(m.UpdatedAt))
		if err != nil {
			return translate(err, op, "uploaded manifest "+m.AppID)
		}
		return db.record(ctx, tx, change{kindCatalog, m.AppID})
	})
}

// UploadedManifests returns every uploaded manifest, ordered by app id.
func (db *DB) UploadedManifests(ctx context.Context) ([]registry.StoredManifest, error) {
	const op = "list uploaded manifests"
	rows, err := db.pool.Query(ctx, qUploaded)
	if err != nil {
		return nil, translate(err, op, "uploaded manifest")
	}
	ms, err := pgx.AppendRows([]registry.StoredManifest(nil), rows,
		func(row pgx.CollectableRow) (registry.StoredManifest, error) {
			var m registry.StoredManifest
			err := row.Scan(&m.AppID, &m.Version, &m.Manifest, &m.UpdatedAt)
			m.UpdatedAt = m.UpdatedAt.UTC()
			return m, err
		})
	if err != nil {
		return nil, translate(err, op, "uploaded manifest")
	}
	return ms, nil
}

// DeleteUploadedManifest removes the uploaded manifest of appID and records
// a "catalog" change; when there is none it does nothing and returns nil.
func (db *DB) DeleteUploadedManifest(ctx context.Context, appID string) error {
	const op = "delete uploaded manifest"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qDeleteUploaded, appID)
		if err != nil {
			return translate(err, op, "uploaded manifest "+appID)
		}
		if tag.RowsAffected() == 0 {
			return nil // nothing changed, nothing to record
		}
		return db.record(ctx, tx, change{kindCatalog, appID})
	})
}

// Install records rec as installed and records an "installed" change. An
// app id installed already keeps its Seq and DeployedAt and takes rec's
// Version, Manifest and UpdatedAt; a new one takes the next value of a
// sequence, greater than any Seq handed out before on this schema and never
// shared by concurrent installs. rec.Seq is ignored. It returns the row as
// stored.
func (db *DB) Install(ctx context.Context, rec registry.Installed) (registry.Installed, error) {
	const op = "install"
	var out registry.Installed
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, qInstall, rec.AppID, rec.Version, blob(rec.Manifest),
			utc(rec.DeployedAt), utc(rec.UpdatedAt))
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
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qUninstall, appID)
		if err != nil {
			return translate(err, op, "integration "+appID)
		}
		if tag.RowsAffected() == 0 {
			return notFound("installed integration " + appID)
		}
		return db.record(ctx, tx, change{kindInstalled, appID})
	})
}

// InstalledSet returns every installed integration ordered by Seq.
func (db *DB) InstalledSet(ctx context.Context) ([]registry.Installed, error) {
	const op = "list installed"
	rows, err := db.pool.Query(ctx, qInstalledSet)
	if err != nil {
		return nil, translate(err, op, "integration")
	}
	set, err := pgx.AppendRows([]registry.Installed(nil), rows,
		func(row pgx.CollectableRow) (registry.Installed, error) { return scanInstalled(row) })
	if err != nil {
		return nil, translate(err, op, "integration")
	}
	return set, nil
}

// Configs returns the plain config of every integration that has one, by
// app id, each byte for byte as it was written.
func (db *DB) Configs(ctx context.Context) (map[string]json.RawMessage, error) {
	const op = "list configs"
	rows, err := db.pool.Query(ctx, qConfigs)
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
	if err := rows.Err(); err != nil {
		return nil, translate(err, op, "config")
	}
	return cfgs, nil
}

// UpdateConfig replaces appID's plain config with what fn returns for the
// current one ("{}" when there is none) and records a "config" change, in
// one transaction that holds appID's config row locked, so no concurrent
// UpdateConfig of appID, on any replica, interleaves. An error from fn is
// returned as is and changes nothing; so is a result that is not a JSON
// object. fn must be quick and must not update appID's config through the
// store, which would wait for the lock fn's caller holds.
func (db *DB) UpdateConfig(ctx context.Context, appID string,
	fn func(current json.RawMessage) (json.RawMessage, error),
) error {
	const op = "update config"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		// The row exists from here on, so that FOR UPDATE has a row to lock
		// even for the first config of appID.
		if _, err := tx.Exec(ctx, qEnsureConfig, appID); err != nil {
			return translate(err, op, "config of "+appID)
		}
		var cur string
		if err := tx.QueryRow(ctx, qConfigForUpdate, appID).Scan(&cur); err != nil {
			return translate(err, op, "config of "+appID)
		}

		next, err := fn(json.RawMessage(cur))
		if err != nil {
			return err
		}
		if !isObject(next) {
			return fmt.Errorf("%s %s: result is not a JSON object", op, appID)
		}
		if _, err := tx.Exec(ctx, qUpdateConfig, appID, string(next)); err != nil {
			return translate(err, op, "config of "+appID)
		}
		return db.record(ctx, tx, change{kindConfig, appID})
	})
}

// DeleteConfig removes appID's plain config and records a "config" change;
// when there is none it does nothing and returns nil.
func (db *DB) DeleteConfig(ctx context.Context, appID string) error {
	const op = "delete config"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qDeleteConfig, appID)
		if err != nil {
			return translate(err, op, "config of "+appID)
		}
		if tag.RowsAffected() == 0 {
			return nil // nothing changed, nothing to record
		}
		return db.record(ctx, tx, change{kindConfig, appID})
	})
}

func scanInstalled(row pgx.Row) (registry.Installed, error) {
	var rec registry.Installed
	err := row.Scan(&rec.AppID, &rec.Version, &rec.Manifest, &rec.Seq,
		&rec.DeployedAt, &rec.UpdatedAt)
	if err != nil {
		return registry.Installed{}, err
	}
	rec.DeployedAt, rec.UpdatedAt = rec.DeployedAt.UTC(), rec.UpdatedAt.UTC()
	return rec, nil
}

// isObject reports whether b is one valid JSON object.
func isObject(b []byte) bool {
	return json.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
}
