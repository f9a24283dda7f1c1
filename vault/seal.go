package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/switchboard-dev/switchboard"
)

// Sizes of the sealed format described in the package doc.
const (
	formatV1   = 0x01
	nonceSize  = 12
	tagSize    = 16
	headerSize = 1 + 4
	wrapSize   = nonceSize + KeySize + tagSize
	valueMin   = nonceSize + tagSize
	sealedMin  = headerSize + wrapSize + valueMin
	// keySealedSize is a key-encryption key as stored: format, nonce,
	// sealed key, tag.
	keySealedSize = 1 + nonceSize + KeySize + tagSize
)

// Purposes that keep the associated data of each kind of seal apart.
const (
	purposeKey   = "switchboard vault key"
	purposeWrap  = "switchboard vault data key"
	purposeValue = "switchboard vault value"
)

// Seal encrypts plaintext for scope and name under a fresh data key wrapped
// by the current key version. The result opens only with [Vault.Open] for
// the same scope and name, and holds no byte of plaintext in the clear. It
// returns a *switchboard.Error with CodeInvalidInput when scope or name is
// empty, and an error when randomness cannot be read.
func (v *Vault) Seal(scope, name string, plaintext []byte) ([]byte, error) {
	if err := checkID(scope, name); err != nil {
		return nil, err
	}
	v.mu.RLock()
	version, kek := v.current, v.keys[v.current]
	v.mu.RUnlock()

	dek := make([]byte, KeySize)
	defer clear(dek)
	if err := v.random(dek); err != nil {
		return nil, err
	}
	value, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("seal secret %s/%s: %w", scope, name, err)
	}

	out := make([]byte, 0, sealedMin+len(plaintext))
	out = append(out, formatV1)
	out = binary.BigEndian.AppendUint32(out, version)
	out, err = v.sealTo(out, kek, dek, wrapAAD(out[:headerSize], scope, name))
	if err != nil {
		return nil, err
	}
	return v.sealTo(out, value, plaintext, valueAAD(out[:1], scope, name))
}

// Open decrypts what [Vault.Seal] returned for scope and name. When the key
// version is unknown it reloads the ring from the store once, since another
// process may have rotated. Every failure to decrypt returns an error
// matching [ErrDecrypt] and nothing else about the cause; an error reading
// the ring from the store is returned as such.
func (v *Vault) Open(ctx context.Context, scope, name string, sealed []byte) ([]byte, error) {
	if err := checkID(scope, name); err != nil {
		return nil, err
	}
	env, ok := parse(sealed)
	if !ok {
		return nil, openErr(scope, name, ErrDecrypt)
	}
	kek, err := v.kek(ctx, env.version)
	if err != nil {
		return nil, openErr(scope, name, err)
	}

	dek, err := openFrom(kek, env.wrap, wrapAAD(env.header, scope, name))
	if err != nil {
		return nil, openErr(scope, name, ErrDecrypt)
	}
	defer clear(dek)
	value, err := newGCM(dek)
	if err != nil {
		return nil, openErr(scope, name, ErrDecrypt)
	}
	plaintext, err := openFrom(value, env.value, valueAAD(env.header[:1], scope, name))
	if err != nil {
		return nil, openErr(scope, name, ErrDecrypt)
	}
	if plaintext == nil {
		plaintext = []byte{}
	}
	return plaintext, nil
}

func openErr(scope, name string, err error) error {
	return fmt.Errorf("open secret %s/%s: %w", scope, name, err)
}

// rewrap returns sealed with its data key wrapped by kek, of version, in
// place of the key it had. The value part is kept as it is.
func (v *Vault) rewrap(scope, name string, sealed []byte, version uint32,
	kek cipher.AEAD) ([]byte, error) {
	env, ok := parse(sealed)
	if !ok {
		return nil, ErrDecrypt
	}
	old := v.lookup(env.version)
	if old == nil {
		return nil, ErrDecrypt
	}
	dek, err := openFrom(old, env.wrap, wrapAAD(env.header, scope, name))
	if err != nil {
		return nil, ErrDecrypt
	}
	defer clear(dek)

	out := make([]byte, 0, len(sealed))
	out = append(out, formatV1)
	out = binary.BigEndian.AppendUint32(out, version)
	out, err = v.sealTo(out, kek, dek, wrapAAD(out[:headerSize], scope, name))
	if err != nil {
		return nil, err
	}
	return append(out, env.value...), nil
}

// envelope is a sealed value cut into its parts; the slices alias it.
type envelope struct {
	header  []byte // format and version
	version uint32
	wrap    []byte // nonce, wrapped data key, tag
	value   []byte // nonce, sealed value, tag
}

func parse(sealed []byte) (envelope, bool) {
	if len(sealed) < sealedMin || sealed[0] != formatV1 {
		return envelope{}, false
	}
	return envelope{
		header:  sealed[:headerSize],
		version: binary.BigEndian.Uint32(sealed[1:headerSize]),
		wrap:    sealed[headerSize : headerSize+wrapSize],
		value:   sealed[headerSize+wrapSize:],
	}, true
}

// newKey makes a key-encryption key of version, sealed by the master key.
func (v *Vault) newKey(version uint32) (KeyRecord, cipher.AEAD, error) {
	key := make([]byte, KeySize)
	defer clear(key)
	if err := v.random(key); err != nil {
		return KeyRecord{}, nil, err
	}
	kek, err := newGCM(key)
	if err != nil {
		return KeyRecord{}, nil, fmt.Errorf("new key version %d: %w", version, err)
	}

	wrapped := make([]byte, 0, keySealedSize)
	wrapped = append(wrapped, formatV1)
	wrapped, err = v.sealTo(wrapped, v.master, key, keyAAD(version))
	if err != nil {
		return KeyRecord{}, nil, err
	}
	return KeyRecord{Version: version, Wrapped: wrapped, CreatedAt: v.now()}, kek, nil
}

// unwrapKey opens rec under the master key; any failure is
// [ErrWrongMasterKey].
func (v *Vault) unwrapKey(rec KeyRecord) (cipher.AEAD, error) {
	b := rec.Wrapped
	if rec.Version == 0 || len(b) != keySealedSize || b[0] != formatV1 {
		return nil, fmt.Errorf("open key version %d: %w", rec.Version, ErrWrongMasterKey)
	}
	key, err := openFrom(v.master, b[1:], keyAAD(rec.Version))
	if err != nil {
		return nil, fmt.Errorf("open key version %d: %w", rec.Version, ErrWrongMasterKey)
	}
	defer clear(key)
	return newGCM(key)
}

// sealTo appends a fresh nonce and the sealed plaintext to dst.
func (v *Vault) sealTo(dst []byte, a cipher.AEAD, plaintext, ad []byte) ([]byte, error) {
	nonce := make([]byte, nonceSize)
	if err := v.random(nonce); err != nil {
		return nil, err
	}
	dst = append(dst, nonce...)
	return a.Seal(dst, nonce, plaintext, ad), nil
}

// openFrom opens b, a nonce followed by what sealTo sealed.
func openFrom(a cipher.AEAD, b, ad []byte) ([]byte, error) {
	if len(b) < nonceSize+tagSize {
		return nil, ErrDecrypt
	}
	return a.Open(nil, b[:nonceSize], b[nonceSize:], ad)
}

func (v *Vault) random(b []byte) error {
	if _, err := io.ReadFull(v.rand, b); err != nil {
		return fmt.Errorf("read random: %w", err)
	}
	return nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func keyAAD(version uint32) []byte {
	ad := append([]byte(purposeKey), 0)
	return binary.BigEndian.AppendUint32(ad, version)
}

func wrapAAD(header []byte, scope, name string) []byte {
	return identityAAD(purposeWrap, header, scope, name)
}

func valueAAD(format []byte, scope, name string) []byte {
	return identityAAD(purposeValue, format, scope, name)
}

// identityAAD joins purpose, header, scope and name so that no two
// different tuples give the same bytes.
func identityAAD(purpose string, header []byte, scope, name string) []byte {
	ad := make([]byte, 0, len(purpose)+1+len(header)+8+len(scope)+len(name))
	ad = append(ad, purpose...)
	ad = append(ad, 0)
	ad = append(ad, header...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(scope)))
	ad = append(ad, scope...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(name)))
	return append(ad, name...)
}

// checkID refuses an empty scope or name.
func checkID(scope, name string) error {
	if scope == "" {
		return switchboard.Errorf(switchboard.CodeInvalidInput, "secret scope is empty")
	}
	if name == "" {
		return switchboard.Errorf(switchboard.CodeInvalidInput, "secret name is empty")
	}
	return nil
}
