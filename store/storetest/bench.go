package storetest

import (
	"context"
	"testing"
)

// Bench measures the reads on every request's path: LastChange, which
// every request may poll, and Secret, which every call with credentials
// makes. s must be open and empty; Bench writes to it.
func Bench(b *testing.B, s Store) {
	ctx := context.Background()
	if err := s.PutSecret(ctx, "platform", "TOKEN", make([]byte, 128)); err != nil {
		b.Fatal(err)
	}

	b.Run("LastChange", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.LastChange(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Secret", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Secret(ctx, "platform", "TOKEN"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
