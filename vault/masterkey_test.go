package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// keyWithSymbols is 32 bytes whose base64 holds '+' and '/' (standard) or
// '-' and '_' (URL-safe).
var keyWithSymbols = bytes.Repeat([]byte{0xfb, 0xef, 0xbe, 0xff}, 8)

func TestParseMasterKey(t *testing.T) {
	t.Parallel()
	std := base64.StdEncoding.EncodeToString(keyWithSymbols)
	require.True(t, strings.ContainsAny(std, "+/"))
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "standard padded", in: std},
		{name: "standard raw", in: base64.RawStdEncoding.EncodeToString(keyWithSymbols)},
		{name: "url padded", in: base64.URLEncoding.EncodeToString(keyWithSymbols)},
		{name: "url raw", in: base64.RawURLEncoding.EncodeToString(keyWithSymbols)},
		{name: "white space", in: " \t" + std + "\n"},
		{name: "empty", in: "", wantErr: "master key is empty"},
		{name: "only space", in: " \n ", wantErr: "master key is empty"},
		{
			name:    "short",
			in:      base64.StdEncoding.EncodeToString(keyWithSymbols[:16]),
			wantErr: "decodes to 16 bytes, want 32",
		},
		{
			name:    "long",
			in:      base64.StdEncoding.EncodeToString(append(keyWithSymbols, 1)),
			wantErr: "decodes to 33 bytes, want 32",
		},
		{name: "bad character", in: "!" + std[1:], wantErr: "not valid base64"},
		{name: "hex", in: hex.EncodeToString(keyWithSymbols), wantErr: "looks like hex"},
		{name: "not hex", in: strings.Repeat("zz", 32), wantErr: "decodes to 48 bytes"},
		{name: "mixed alphabets", in: "-" + std[1:], wantErr: "mixes the standard and URL-safe"},
		{name: "bad padding", in: std + "=", wantErr: "not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, err := ParseMasterKey(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, key)
				if s := strings.TrimSpace(tt.in); len(s) > 4 {
					require.NotContains(t, err.Error(), s[1:], "the error repeats the input")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, keyWithSymbols, key)
		})
	}
}

func TestGenerateMasterKey(t *testing.T) {
	t.Parallel()
	text, err := GenerateMasterKey(nil)
	require.NoError(t, err)
	key, err := ParseMasterKey(text)
	require.NoError(t, err)
	require.Len(t, key, KeySize)

	text, err = GenerateMasterKey(bytes.NewReader(keyWithSymbols))
	require.NoError(t, err)
	require.Equal(t, base64.StdEncoding.EncodeToString(keyWithSymbols), text)

	_, err = GenerateMasterKey(failingReader{})
	require.ErrorContains(t, err, "generate master key")
}

// keyFile returns a setup that writes content at dir/master.key with mode.
func keyFile(content string, mode os.FileMode) func(*testing.T, string) string {
	return func(t *testing.T, dir string) string {
		t.Helper()
		path := filepath.Join(dir, "master.key")
		require.NoError(t, os.WriteFile(path, []byte(content), mode))
		require.NoError(t, os.Chmod(path, mode))
		return path
	}
}

// noFile returns a setup that gives the path dir/rel, not created.
func noFile(rel string) func(*testing.T, string) string {
	return func(_ *testing.T, dir string) string { return filepath.Join(dir, rel) }
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not enforced on Windows")
	}
	text := base64.StdEncoding.EncodeToString(keyWithSymbols)
	tests := []struct {
		name        string
		setup       func(t *testing.T, dir string) string
		wantCreated bool
		wantKey     []byte
		wantErr     []string
	}{
		{
			name:        "created",
			setup:       noFile("master.key"),
			wantCreated: true,
			wantKey:     keyWithSymbols,
		},
		{
			name:    "existing",
			setup:   keyFile(text+"\n", 0o600),
			wantKey: keyWithSymbols,
		},
		{
			name:    "owner read only",
			setup:   keyFile(text, 0o400),
			wantKey: keyWithSymbols,
		},
		{
			name:    "group readable",
			setup:   keyFile(text, 0o640),
			wantErr: []string{"open to group or others", "mode 0640", "chmod 600"},
		},
		{
			name:    "world readable",
			setup:   keyFile(text, 0o604),
			wantErr: []string{"chmod 600"},
		},
		{
			name:    "malformed",
			setup:   keyFile("abc", 0o600),
			wantErr: []string{"master.key is malformed", "want 32"},
		},
		{
			name:    "empty",
			setup:   keyFile("", 0o600),
			wantErr: []string{"master.key is malformed", "empty"},
		},
		{
			name:    "too large",
			setup:   keyFile(strings.Repeat("A", 5000), 0o600),
			wantErr: []string{"master.key is malformed", "longer than"},
		},
		{
			name: "directory",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "master.key")
				require.NoError(t, os.Mkdir(path, 0o700))
				return path
			},
			wantErr: []string{"not a regular file"},
		},
		{
			name:    "no directory",
			setup:   noFile(filepath.Join("none", "master.key")),
			wantErr: []string{"create key file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.setup(t, t.TempDir())
			key, created, err := LoadOrCreateKeyFile(path, bytes.NewReader(keyWithSymbols))
			if tt.wantErr != nil {
				for _, want := range tt.wantErr {
					require.ErrorContains(t, err, want)
				}
				require.NotContains(t, err.Error(), text)
				require.Nil(t, key)
				require.False(t, created)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantCreated, created)
			require.Equal(t, tt.wantKey, key)

			info, err := os.Stat(path)
			require.NoError(t, err)
			if tt.wantCreated {
				require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
				entries, err := os.ReadDir(filepath.Dir(path))
				require.NoError(t, err)
				require.Len(t, entries, 1, "no temporary file is left behind")
			}

			// The file now loads as it is.
			again, created, err := LoadOrCreateKeyFile(path, failingReader{})
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, key, again)
		})
	}
}

func TestLoadOrCreateKeyFileRace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	keys := make([][]byte, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			keys[i], created[i], errs[i] = LoadOrCreateKeyFile(path, nil)
		})
	}
	wg.Wait()

	winners := 0
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, keys[0], keys[i])
		if created[i] {
			winners++
		}
	}
	require.Equal(t, 1, winners)
	onDisk, _, err := LoadOrCreateKeyFile(path, failingReader{})
	require.NoError(t, err)
	require.Equal(t, keys[0], onDisk)
}
