package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/switchboard-dev/switchboard"

	"github.com/switchboard-dev/switchboard/vault"
)

// VaultKeys returns the key ring, oldest version first.
func (db *DB) VaultKeys(ctx context.Context) ([]vault.KeyRecord, error) {
	const op = "list vault keys"
	rows, err := db.read.QueryContext(ctx, qVaultKeys)
	if err != nil {
		return nil, translate(err, op, "vault key")
	}
	defer rows.Close()

	var ks []vault.KeyRecord
	for rows.Next() {
		var k vault.KeyRecord
		var at int64
		if err := rows.Scan(&k.Version, &k.Wrapped, &at); err != nil {
			return nil, translate(err, op, "vault key")
		}
		k.CreatedAt = fromMicros(at)
		ks = append(ks, k)
	}
	return ks, translate(rows.Err(), op, "vault key")
}

// AddVaultKey inserts key version k and records a "vault_key" change. It
// returns CodeConflict when the version exists.
func (db *DB) AddVaultKey(ctx context.Context, k vault.KeyRecord) error {
	const op = "add vault key"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		return db.addKey(ctx, tx, op, k)
	})
}

func (db *DB) addKey(ctx context.Context, tx *sql.Tx, op string, k vault.KeyRecord) error {
	v := strconv.FormatUint(uint64(k.Version), 10)
	_, err := tx.ExecContext(ctx, qAddVaultKey, int64(k.Version), blob(k.Wrapped),
		micros(k.CreatedAt))
	if err != nil {
		return translate(err, op, "vault key version "+v)
	}
	return db.record(ctx, tx, change{kindVaultKey, v})
}

// Secret returns the sealed value of scope and name, or CodeNotFound.
func (db *DB) Secret(ctx context.Context, scope, name string) ([]byte, error) {
	var sealed []byte
	err := db.hot.secret.QueryRowContext(ctx, scope, name).Scan(&sealed)
	if err != nil {
		return nil, translate(err, "get secret", "secret "+scope+"/"+name)
	}
	return sealed, nil
}

// PutSecret inserts or replaces the sealed value of scope and name and
// records a "secret" change.
func (db *DB) PutSecret(ctx context.Context, scope, name string, sealed []byte) error {
	const op = "put secret"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qPutSecret, scope, name, blob(sealed)); err != nil {
			return translate(err, op, "secret "+scope+"/"+name)
		}
		return db.record(ctx, tx, change{kindSecret, scope + "/" + name})
	})
}

// CreateSecret inserts the sealed value of scope and name and records a
// "secret" change, or returns CodeConflict when a value is there.
func (db *DB) CreateSecret(ctx context.Context, scope, name string, sealed []byte) error {
	const op = "create secret"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qCreateSecret, scope, name, blob(sealed))
		if err != nil {
			return translate(err, op, "secret "+scope+"/"+name)
		}
		if n == 0 {
			return switchboard.Errorf(switchboard.CodeConflict, "secret %s/%s exists", scope, name)
		}
		return db.record(ctx, tx, change{kindSecret, scope + "/" + name})
	})
}

// DeleteSecret removes scope and name and records a "secret" change; when
// there is no such secret it does nothing and returns nil.
func (db *DB) DeleteSecret(ctx context.Context, scope, name string) error {
	const op = "delete secret"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qDeleteSecret, scope, name)
		if err != nil {
			return translate(err, op, "secret "+scope+"/"+name)
		}
		if n == 0 {
			return nil // nothing changed, nothing to record
		}
		return db.record(ctx, tx, change{kindSecret, scope + "/" + name})
	})
}

// SecretNames returns the names that hold a value in scope, sorted
// bytewise.
func (db *DB) SecretNames(ctx context.Context, scope string) ([]string, error) {
	const op = "list secret names"
	rows, err := db.read.QueryContext(ctx, qSecretNames, scope)
	if err != nil {
		return nil, translate(err, op, "secret")
	}
	defer rows.Close()

	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, translate(err, op, "secret")
		}
		names = append(names, n)
	}
	return names, translate(rows.Err(), op, "secret")
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
// rewrap runs while the transaction holds the file's write lock: it must be
// quick and must not write through the store.
func (db *DB) RotateVault(ctx context.Context, k vault.KeyRecord,
	rewrap func(scope, name string, sealed []byte) ([]byte, error),
) error {
	const op = "rotate vault"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := db.addKey(ctx, tx, op, k); err != nil {
			return err
		}
		all, err := allSecrets(ctx, tx)
		if err != nil {
			return translate(err, op, "secret")
		}

		changes := make([]change, 0, len(all))
		for _, s := range all {
			sealed, err := rewrap(s.scope, s.name, s.sealed)
			if err != nil {
				return fmt.Errorf("%s: rewrap secret %s/%s: %w", op, s.scope, s.name, err)
			}
			_, err = tx.ExecContext(ctx, qRewrapSecret, blob(sealed), s.scope, s.name)
			if err != nil {
				return translate(err, op, "secret "+s.scope+"/"+s.name)
			}
			changes = append(changes, change{kindSecret, s.scope + "/" + s.name})
		}
		return db.record(ctx, tx, changes...)
	})
}

// allSecrets reads every secret inside tx, before any is rewritten.
func allSecrets(ctx context.Context, tx *sql.Tx) ([]sealedSecret, error) {
	rows, err := tx.QueryContext(ctx, qAllSecrets)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var all []sealedSecret
	for rows.Next() {
		var s sealedSecret
		if err := rows.Scan(&s.scope, &s.name, &s.sealed); err != nil {
			return nil, err
		}
		all = append(all, s)
	}
	return all, rows.Err()
}
