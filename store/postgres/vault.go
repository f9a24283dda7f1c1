package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/switchboard-dev/switchboard"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/vault"
)

// VaultKeys returns the key ring, oldest version first.
func (db *DB) VaultKeys(ctx context.Context) ([]vault.KeyRecord, error) {
	const op = "list vault keys"
	rows, err := db.pool.Query(ctx, qVaultKeys)
	if err != nil {
		return nil, translate(err, op, "vault key")
	}
	ks, err := pgx.AppendRows([]vault.KeyRecord(nil), rows,
		func(row pgx.CollectableRow) (vault.KeyRecord, error) {
			var k vault.KeyRecord
			var v int64
			err := row.Scan(&v, &k.Wrapped, &k.CreatedAt)
			k.Version, k.CreatedAt = uint32(v), k.CreatedAt.UTC()
			return k, err
		})
	if err != nil {
		return nil, translate(err, op, "vault key")
	}
	return ks, nil
}

// AddVaultKey inserts key version k and records a "vault_key" change. It
// returns CodeConflict when the version exists.
func (db *DB) AddVaultKey(ctx context.Context, k vault.KeyRecord) error {
	const op = "add vault key"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if err := addKey(ctx, tx, op, k); err != nil {
			return err
		}
		return db.record(ctx, tx, keyChange(k))
	})
}

func addKey(ctx context.Context, tx pgx.Tx, op string, k vault.KeyRecord) error {
	_, err := tx.Exec(ctx, qAddVaultKey, int64(k.Version), blob(k.Wrapped), utc(k.CreatedAt))
	if err != nil {
		return translate(err, op, "vault key version "+version(k))
	}
	return nil
}

// keyChange is the change of adding k.
func keyChange(k vault.KeyRecord) change { return change{kindVaultKey, version(k)} }

// version is k's version in decimal, the subject of its change.
func version(k vault.KeyRecord) string { return strconv.FormatUint(uint64(k.Version), 10) }

// Secret returns the sealed value of scope and name, or CodeNotFound.
func (db *DB) Secret(ctx context.Context, scope, name string) ([]byte, error) {
	var sealed []byte
	if err := db.pool.QueryRow(ctx, qSecret, scope, name).Scan(&sealed); err != nil {
		return nil, translate(err, "get secret", "secret "+scope+"/"+name)
	}
	return sealed, nil
}

// PutSecret inserts or replaces the sealed value of scope and name and
// records a "secret" change.
func (db *DB) PutSecret(ctx context.Context, scope, name string, sealed []byte) error {
	const op = "put secret"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qPutSecret, scope, name, blob(sealed)); err != nil {
			return translate(err, op, "secret "+scope+"/"+name)
		}
		return db.record(ctx, tx, change{kindSecret, scope + "/" + name})
	})
}

// CreateSecret inserts the sealed value of scope and name and records a
// "secret" change, or returns CodeConflict when a value is there.
func (db *DB) CreateSecret(ctx context.Context, scope, name string, sealed []byte) error {
	const op = "create secret"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qCreateSecret, scope, name, blob(sealed))
		if err != nil {
			return translate(err, op, "secret "+scope+"/"+name)
		}
		if tag.RowsAffected() == 0 {
			return switchboard.Errorf(switchboard.CodeConflict, "secret %s/%s exists", scope, name)
		}
		return db.record(ctx, tx, change{kindSecret, scope + "/" + name})
	})
}

// DeleteSecret removes scope and name and records a "secret" change; when
// there is no such secret it does nothing and returns nil.
func (db *DB) DeleteSecret(ctx context.Context, scope, name string) error {
	const op = "delete secret"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qDeleteSecret, scope, name)
		if err != nil {
			return translate(err, op, "secret "+scope+"/"+name)
		}
		if tag.RowsAffected() == 0 {
			return nil // nothing changed, nothing to record
		}
		return db.record(ctx, tx, change{kindSecret, scope + "/" + name})
	})
}

// SecretNames returns the names that hold a value in scope, sorted
// bytewise.
func (db *DB) SecretNames(ctx context.Context, scope string) ([]string, error) {
	const op = "list secret names"
	rows, err := db.pool.Query(ctx, qSecretNames, scope)
	if err != nil {
		return nil, translate(err, op, "secret")
	}
	names, err := pgx.AppendRows([]string(nil), rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, op, "secret")
	}
	return names, nil
}

// sealedSecret is one row of the secrets table.
type sealedSecret struct {
	scope, name string
	sealed      []byte
}

// RotateVault inserts k and replaces every sealed value with what rewrap
// returns for it, in one transaction, recording a "vault_key" change and a
// "secret" change per value. On any error, a duplicate version
// (CodeConflict) or an error of rewrap (returned wrapped), nothing changes.
// Every secret stays locked until commit, so a concurrent PutSecret or
// DeleteSecret of one of them waits and then applies on top; rewrap must be
// quick and must not write secrets through the store.
func (db *DB) RotateVault(ctx context.Context, k vault.KeyRecord,
	rewrap func(scope, name string, sealed []byte) ([]byte, error),
) error {
	const op = "rotate vault"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if err := addKey(ctx, tx, op, k); err != nil {
			return err
		}
		all, err := lockSecrets(ctx, tx)
		if err != nil {
			return translate(err, op, "secret")
		}

		changes := []change{keyChange(k)}
		for _, s := range all {
			sealed, err := rewrap(s.scope, s.name, s.sealed)
			if err != nil {
				return fmt.Errorf("%s: rewrap secret %s/%s: %w", op, s.scope, s.name, err)
			}
			if _, err := tx.Exec(ctx, qRewrapSecret, s.scope, s.name, blob(sealed)); err != nil {
				return translate(err, op, "secret "+s.scope+"/"+s.name)
			}
			changes = append(changes, change{kindSecret, s.scope + "/" + s.name})
		}
		return db.record(ctx, tx, changes...)
	})
}

// lockSecrets reads and locks every secret inside tx.
func lockSecrets(ctx context.Context, tx pgx.Tx) ([]sealedSecret, error) {
	rows, err := tx.Query(ctx, qAllSecrets)
	if err != nil {
		return nil, err
	}
	return pgx.AppendRows([]sealedSecret(nil), rows,
		func(row pgx.CollectableRow) (sealedSecret, error) {
			var s sealedSecret
			err := row.Scan(&s.scope, &s.name, &s.sealed)
			return s, err
		})
}
