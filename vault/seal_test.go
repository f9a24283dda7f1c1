package vault

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// sealFixture returns a Vault on a fresh store and a value sealed by it for
// scope "conn" and name "token".
func sealFixture(t *testing.T, plaintext []byte) (*Vault, []byte) {
	t.Helper()
	v := newTestVault(t, newMemStore(), testKey(t))
	sealed, err := v.Seal("conn", "token", plaintext)
	require.NoError(t, err)
	return v, sealed
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 15, 16, 17, 255, 4096, 1 << 16} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			plaintext := bytes.Repeat([]byte{0xa5}, size)
			v, sealed := sealFixture(t, plaintext)
			require.Len(t, sealed, sealedMin+size)
			require.Equal(t, byte(formatV1), sealed[0])
			require.Equal(t, uint32(1), binary.BigEndian.Uint32(sealed[1:5]))

			got, err := v.Open(t.Context(), "conn", "token", sealed)
			require.NoError(t, err)
			require.Equal(t, plaintext, got)
		})
	}
}

func TestOpenFlippedByte(t *testing.T) {
	t.Parallel()
	v, sealed := sealFixture(t, []byte("xoxb-flip-every-byte"))
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(sealed)
			bad[i] ^= mask
			got, err := v.Open(t.Context(), "conn", "token", bad)
			require.ErrorIs(t, err, ErrDecrypt, "byte %d mask %#x", i, mask)
			require.Nil(t, got)
		}
	}
}

func TestOpenMoved(t *testing.T) {
	t.Parallel()
	v, sealed := sealFixture(t, []byte("moved-value"))
	tests := []struct {
		name        string
		scope, item string
	}{
		{name: "other scope", scope: "conn2", item: "token"},
		{name: "other name", scope: "conn", item: "token2"},
		{name: "same length scope", scope: "cond", item: "token"},
		{name: "same length name", scope: "conn", item: "tokeN"},
		{name: "platform", scope: ScopePlatform, item: "token"},
		{name: "boundary moved", scope: "connt", item: "oken"},
		{name: "swapped", scope: "token", item: "conn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Open(t.Context(), tt.scope, tt.item, sealed)
			require.ErrorIs(t, err, ErrDecrypt)
			require.Nil(t, got)
		})
	}
}

func TestOpenTruncatedOrExtended(t *testing.T) {
	t.Parallel()
	v, sealed := sealFixture(t, []byte("truncate-me"))
	for n := range sealed {
		_, err := v.Open(t.Context(), "conn", "token", sealed[:n])
		require.ErrorIs(t, err, ErrDecrypt, "length %d", n)
	}
	_, err := v.Open(t.Context(), "conn", "token", append(bytes.Clone(sealed), 0))
	require.ErrorIs(t, err, ErrDecrypt)
	_, err = v.Open(t.Context(), "conn", "token", nil)
	require.ErrorIs(t, err, ErrDecrypt)
}

func TestSealHidesPlaintext(t *testing.T) {
	t.Parallel()
	plaintext := bytes.Repeat([]byte("sk_live_canary_"), 8)
	v, sealed := sealFixture(t, plaintext)
	require.False(t, bytes.Contains(sealed, plaintext[:16]))

	again, err := v.Seal("conn", "token", plaintext)
	require.NoError(t, err)
	require.NotEqual(t, sealed, again, "every seal has its own data key and nonces")
	require.NotEqual(t, sealed[5:5+wrapSize], again[5:5+wrapSize])
}

func TestErrorsHoldNoValue(t *testing.T) {
	t.Parallel()
	plaintext := []byte("err-canary-value")
	v, sealed := sealFixture(t, plaintext)
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1

	_, err := v.Open(t.Context(), "conn", "token", bad)
	require.ErrorIs(t, err, ErrDecrypt)
	require.Equal(t, "open secret conn/token: vault: cannot decrypt value", err.Error())
}

func TestEmptyScopeOrName(t *testing.T) {
	t.Parallel()
	v := newTestVault(t, newMemStore(), testKey(t))
	ctx := t.Context()
	tests := []struct {
		name string
		call func(scope, name string) error
	}{
		{name: "seal", call: func(s, n string) error { _, err := v.Seal(s, n, nil); return err }},
		{name: "open", call: func(s, n string) error {
			_, err := v.Open(ctx, s, n, nil)
			return err
		}},
		{name: "put", call: func(s, n string) error { return v.Put(ctx, s, n, []byte("x")) }},
		{name: "get", call: func(s, n string) error { _, err := v.Get(ctx, s, n); return err }},
		{name: "delete", call: func(s, n string) error { return v.Delete(ctx, s, n) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call("", "n")
			require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
			require.ErrorContains(t, err, "scope is empty")
			err = tt.call("s", "")
			require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
			require.ErrorContains(t, err, "name is empty")
		})
	}
	_, err := v.Names(ctx, "")
	require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
}

func TestPutGetDelete(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	v := newTestVault(t, store, testKey(t))
	ctx := t.Context()
	value := []byte("refresh-token-canary")

	require.NoError(t, v.Put(ctx, "conn:7", "refresh_token", value))
	require.NoError(t, v.Put(ctx, "conn:7", "access_token", []byte("a")))
	require.False(t, bytes.Contains(store.raw("conn:7", "refresh_token"), value))

	got, err := v.Get(ctx, "conn:7", "refresh_token")
	require.NoError(t, err)
	require.Equal(t, value, got)
	names, err := v.Names(ctx, "conn:7")
	require.NoError(t, err)
	require.Equal(t, []string{"access_token", "refresh_token"}, names)

	require.NoError(t, v.Delete(ctx, "conn:7", "refresh_token"))
	require.NoError(t, v.Delete(ctx, "conn:7", "refresh_token"), "absent is fine")
	_, err = v.Get(ctx, "conn:7", "refresh_token")
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
	require.ErrorContains(t, err, "refresh_token")
	require.ErrorContains(t, err, "conn:7")
}

func TestGetTampered(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	v := newTestVault(t, store, testKey(t))
	ctx := t.Context()
	require.NoError(t, v.Put(ctx, "a", "x", []byte("value-of-a-x")))

	// A row copied onto another name does not open there.
	require.NoError(t, store.PutSecret(ctx, "a", "y", store.raw("a", "x")))
	_, err := v.Get(ctx, "a", "y")
	require.ErrorIs(t, err, ErrDecrypt)
	require.NotContains(t, err.Error(), "value-of-a-x")
}

func TestPlatformSecrets(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	v := newTestVault(t, store, testKey(t))
	var secrets registry.Secrets = v
	ctx := t.Context()

	require.NoError(t, v.PutPlatformSecret(ctx, "SLACK_BOT_TOKEN", []byte("xoxb-1")))
	require.NoError(t, v.PutPlatformSecret(ctx, "GITHUB_TOKEN", []byte("ghp-2")))
	require.NotNil(t, store.raw(ScopePlatform, "SLACK_BOT_TOKEN"))

	names, err := secrets.PlatformSecretNames(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"GITHUB_TOKEN", "SLACK_BOT_TOKEN"}, names)
	got, err := v.PlatformSecret(ctx, "SLACK_BOT_TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte("xoxb-1"), got)

	require.NoError(t, secrets.DeletePlatformSecret(ctx, "SLACK_BOT_TOKEN"))
	_, err = v.PlatformSecret(ctx, "SLACK_BOT_TOKEN")
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
	require.ErrorContains(t, err, "SLACK_BOT_TOKEN")
}

func TestPlatformSecretWrite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newMemStore()
	v := newTestVault(t, store, testKey(t))
	var sealer registry.Secrets = v

	w, err := sealer.PlatformSecretWrite("SLACK_BOT_TOKEN", []byte("xoxb-1"))
	require.NoError(t, err)
	require.Equal(t, ScopePlatform, w.Scope)
	require.Equal(t, "SLACK_BOT_TOKEN", w.Name)
	require.NotContains(t, string(w.Sealed), "xoxb-1")
	require.Nil(t, store.raw(ScopePlatform, "SLACK_BOT_TOKEN"), "nothing stored")

	// The store writes it; the vault opens it under the same name only.
	require.NoError(t, store.PutSecret(ctx, w.Scope, w.Name, w.Sealed))
	got, err := v.PlatformSecret(ctx, "SLACK_BOT_TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte("xoxb-1"), got)
	require.NoError(t, store.PutSecret(ctx, w.Scope, "OTHER", w.Sealed))
	_, err = v.PlatformSecret(ctx, "OTHER")
	require.ErrorIs(t, err, ErrDecrypt)

	del, err := sealer.PlatformSecretWrite("SLACK_BOT_TOKEN", nil)
	require.NoError(t, err)
	require.Equal(t, registry.SecretWrite{Scope: ScopePlatform, Name: "SLACK_BOT_TOKEN"}, del)

	_, err = sealer.PlatformSecretWrite("", []byte("x"))
	require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
	_, err = sealer.PlatformSecretWrite("", nil)
	require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
}

func TestForgetPlatformSecrets(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newMemStore()
	v := newTestVault(t, store, testKey(t))
	require.NoError(t, v.PutPlatformSecret(ctx, "A", []byte("one")))
	require.NoError(t, v.PutPlatformSecret(ctx, "B", []byte("one")))
	for _, name := range []string{"A", "B"} {
		_, err := v.PlatformSecret(ctx, name) // cached now
		require.NoError(t, err)
	}

	// Writes that bypass the vault, as a config change's transaction makes.
	w, err := v.PlatformSecretWrite("A", []byte("two"))
	require.NoError(t, err)
	require.NoError(t, store.PutSecret(ctx, w.Scope, w.Name, w.Sealed))
	require.NoError(t, store.DeleteSecret(ctx, ScopePlatform, "B"))
	got, err := v.PlatformSecret(ctx, "A")
	require.NoError(t, err)
	require.Equal(t, "one", string(got), "the cache still holds the old value")

	v.ForgetPlatformSecrets("A", "B")
	got, err = v.PlatformSecret(ctx, "A")
	require.NoError(t, err)
	require.Equal(t, "two", string(got))
	_, err = v.PlatformSecret(ctx, "B")
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
}
