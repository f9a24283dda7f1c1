package audit_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
)

// TestNothingSecretStored records calls through the real vault on a SQLite
// file, then looks for the input's values and the audit key, in every form,
// in the database files.
func TestNothingSecretStored(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	master := make([]byte, vault.KeySize)
	_, _ = rand.Read(master)
	v, err := vault.New(ctx, vault.Config{Store: db, MasterKey: master})
	require.NoError(t, err)

	l, err := audit.New(ctx, audit.Config{Store: db, Vault: v})
	require.NoError(t, err)
	const canary = "canary-4f1d9e-hunter2"
	input := []byte(`{"channel":"C1","text":"` + canary + `"}`)
	for i := range 20 {
		e := call(i)
		e.InputMAC = l.InputMAC(input)
		require.NoError(t, l.Record(ctx, e))
	}
	require.NoError(t, l.Close(ctx))

	key, err := v.Get(ctx, audit.KeyScope, audit.KeyName)
	require.NoError(t, err)
	requireVerified(t, db, v)
	require.NoError(t, db.Close())

	var files []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if err == nil {
			files = append(files, b...)
		}
	}
	for name, needle := range map[string][]byte{
		"input value": []byte(canary),
		"key":         key,
		"key in hex":  []byte(hex.EncodeToString(key)),
		"key base64":  []byte(base64.StdEncoding.EncodeToString(key)),
	} {
		require.False(t, bytes.Contains(files, needle), "%s found in the database", name)
	}
}
