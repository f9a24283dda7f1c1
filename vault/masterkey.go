package vault

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// maxKeyFile bounds what LoadOrCreateKeyFile reads; a key is 44 characters.
const maxKeyFile = 1024

// ParseMasterKey decodes s, a master key in base64: the standard or the
// URL-safe alphabet, padded or not, with surrounding white space ignored. It
// returns the [KeySize] bytes of the key, or an error saying what is wrong
// (encoding, length) that never repeats s.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("master key is empty; want %d random bytes in base64", KeySize)
	}
	enc, err := keyEncoding(s)
	if err != nil {
		return nil, err
	}
	key, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("master key is not valid base64: %w", err)
	}
	if len(key) != KeySize {
		clear(key)
		if isHex(s) {
			return nil, fmt.Errorf("master key looks like hex; want %d bytes in base64", KeySize)
		}
		return nil, fmt.Errorf("master key decodes to %d bytes, want %d", len(key), KeySize)
	}
	return key, nil
}

// isHex reports whether s is 2*KeySize hexadecimal digits.
func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s) == 2*KeySize
}

// keyEncoding picks the base64 variant that s is written in.
func keyEncoding(s string) (*base64.Encoding, error) {
	std := strings.ContainsAny(s, "+/")
	url := strings.ContainsAny(s, "-_")
	padded := strings.HasSuffix(s, "=")
	switch {
	case std && url:
		return nil, errors.New("master key mixes the standard and URL-safe base64 alphabets")
	case url && padded:
		return base64.URLEncoding.Strict(), nil
	case url:
		return base64.RawURLEncoding.Strict(), nil
	case padded:
		return base64.StdEncoding.Strict(), nil
	default:
		return base64.RawStdEncoding.Strict(), nil
	}
}

// GenerateMasterKey returns a new master key of [KeySize] bytes from r
// (crypto/rand.Reader when nil), in padded standard base64 as
// [ParseMasterKey] reads it. The caller must keep it secret and safe:
// losing it loses every value sealed under it.
func GenerateMasterKey(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, KeySize)
	defer clear(key)
	if _, err := io.ReadFull(r, key); err != nil {
		return "", fmt.Errorf("generate master key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// LoadOrCreateKeyFile returns the master key kept in the file at path,
// creating the file with a new key from r (crypto/rand.Reader when nil) when
// it does not exist; created reports which. The directory must exist.
//
// A new file has mode 0600 and appears whole or not at all. When two
// processes race to create it, neither overwrites the other: the loser
// returns the winner's key. An existing file is refused when group or others
// have any access to it (chmod 600 fixes that), and when it does not hold a
// key as [ParseMasterKey] reads it; the error names path, never its content.
func LoadOrCreateKeyFile(path string, r io.Reader) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}

	key, err = createKeyFile(path, r)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first.
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return key, true, nil
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("key file %s is open to group or others (mode %04o); "+
			"run chmod 600 %s", path, perm, path)
	}

	text, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	defer clear(text)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(text) > maxKeyFile {
		return nil, fmt.Errorf("key file %s is malformed: longer than %d bytes", path, maxKeyFile)
	}
	key, err := ParseMasterKey(string(text))
	if err != nil {
		return nil, fmt.Errorf("key file %s is malformed: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new key beside path and links it into place, which
// fails with fs.ErrExist when path exists.
func createKeyFile(path string, r io.Reader) ([]byte, error) {
	text, err := GenerateMasterKey(r)
	if err != nil {
		return nil, err
	}
	key, err := ParseMasterKey(text)
	if err != nil {
		return nil, err
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeKey(tmp, text); err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}

	err = os.Link(tmp.Name(), path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// Some file systems have no hard links; an exclusive create still
		// never overwrites.
		err = createExclusive(path, text)
	}
	if err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}
	syncDir(dir)
	return key, nil
}

func createExclusive(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := writeKey(f, text); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// writeKey writes text and a newline to f, flushes it to disk and closes f.
func writeKey(f *os.File, text string) error {
	_, err := f.WriteString(text + "\n")
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// syncDir makes a new directory entry durable where the platform allows;
// failure costs durability only, not correctness.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
