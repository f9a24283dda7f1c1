package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

// FuzzOpen checks that Open never panics and opens nothing but what Seal
// returned, unchanged.
func FuzzOpen(f *testing.F) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		f.Fatal(err)
	}
	v, err := New(f.Context(), Config{Store: newMemStore(), MasterKey: key})
	if err != nil {
		f.Fatal(err)
	}

	plaintexts := [][]byte{{}, []byte("x"), bytes.Repeat([]byte("fuzz"), 40)}
	var valid [][]byte
	for _, p := range plaintexts {
		sealed, err := v.Seal("scope", "name", p)
		if err != nil {
			f.Fatal(err)
		}
		valid = append(valid, sealed)
		f.Add(sealed)
		f.Add(sealed[:len(sealed)-1])
		f.Add(append(bytes.Clone(sealed), 0))
		flipped := bytes.Clone(sealed)
		flipped[len(flipped)/2] ^= 1
		f.Add(flipped)
	}
	f.Add([]byte{})
	f.Add([]byte{formatV1, 0, 0, 0, 1})

	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := v.Open(t.Context(), "scope", "name", data)
		for i, sealed := range valid {
			if bytes.Equal(data, sealed) {
				if err != nil || !bytes.Equal(got, plaintexts[i]) {
					t.Fatalf("a value Seal returned does not open: %v", err)
				}
				return
			}
		}
		if err == nil {
			t.Fatalf("mutated input of %d bytes opened", len(data))
		}
		if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("error does not match ErrDecrypt: %v", err)
		}
	})
}
