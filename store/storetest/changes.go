package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/registry"
)

// Change is an entry of a store's change feed as the suite sees it; each
// store's test converts its own.
type Change struct {
	ID      int64
	Kind    string
	Subject string
	At      time.Time
}

// Feed reads a store's change feed: up to limit changes with an id greater
// than after, oldest first, and an error for a limit that is not positive.
type Feed func(ctx context.Context, after int64, limit int) ([]Change, error)

// RunFeed runs the cases of the change feed on a store that open returns
// empty, with its feed. open must close the store with t.Cleanup.
func RunFeed(t *testing.T, open func(t *testing.T) (Store, Feed)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s Store, feed Feed)
	}{
		{"feed of an empty store", testFeedEmpty},
		{"feed records every mutation", testFeedRecords},
		{"feed pages by id", testFeedPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, feed := open(t)
			tt.run(t, s, feed)
		})
	}
}

// mutation is one call that changes a store, and the changes it records
// (Kind and Subject only), in order.
type mutation struct {
	name    string
	do      func(ctx context.Context, s Store) error
	changes []Change
}

// mutations lists every method that changes a store, in an order in which
// each finds what it changes.
func mutations() []mutation {
	manifest := registry.StoredManifest{AppID: "slack", Version: "1", Manifest: []byte("{}")}
	cfg := func(json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{"a":1}`), nil }
	rewrap := func(_, _ string, sealed []byte) ([]byte, error) { return sealed, nil }
	return []mutation{
		{"put uploaded manifest", func(ctx context.Context, s Store) error {
			return s.PutUploadedManifest(ctx, manifest)
		}, []Change{{Kind: "catalog", Subject: "slack"}}},
		{"replace uploaded manifest", func(ctx context.Context, s Store) error {
			return s.PutUploadedManifest(ctx, manifest)
		}, []Change{{Kind: "catalog", Subject: "slack"}}},
		{"delete uploaded manifest", func(ctx context.Context, s Store) error {
			return s.DeleteUploadedManifest(ctx, "slack")
		}, []Change{{Kind: "catalog", Subject: "slack"}}},
		{"install", func(ctx context.Context, s Store) error {
			_, err := s.Install(ctx, installed("slack", "1.0.0"))
			return err
		}, []Change{{Kind: "installed", Subject: "slack"}}},
		{"redeploy", func(ctx context.Context, s Store) error {
			_, err := s.Install(ctx, installed("slack", "2.0.0"))
			return err
		}, []Change{{Kind: "installed", Subject: "slack"}}},
		{"uninstall", func(ctx context.Context, s Store) error {
			return s.Uninstall(ctx, "slack")
		}, []Change{{Kind: "installed", Subject: "slack"}}},
		{"update config", func(ctx context.Context, s Store) error {
			return s.UpdateConfig(ctx, "slack", cfg)
		}, []Change{{Kind: "config", Subject: "slack"}}},
		{"delete config", func(ctx context.Context, s Store) error {
			return s.DeleteConfig(ctx, "slack")
		}, []Change{{Kind: "config", Subject: "slack"}}},
		{"add vault key", func(ctx context.Context, s Store) error {
			return s.AddVaultKey(ctx, key(1))
		}, []Change{{Kind: "vault_key", Subject: "1"}}},
		{"put secret", func(ctx context.Context, s Store) error {
			return s.PutSecret(ctx, "platform", "TOKEN", []byte("sealed"))
		}, []Change{{Kind: "secret", Subject: "platform/TOKEN"}}},
		{"replace secret", func(ctx context.Context, s Store) error {
			return s.PutSecret(ctx, "platform", "TOKEN", []byte("sealed again"))
		}, []Change{{Kind: "secret", Subject: "platform/TOKEN"}}},
		{"rotate vault", func(ctx context.Context, s Store) error {
			return s.RotateVault(ctx, key(2), rewrap)
		}, []Change{{Kind: "vault_key", Subject: "2"}, {Kind: "secret", Subject: "platform/TOKEN"}}},
		{"delete secret", func(ctx context.Context, s Store) error {
			return s.DeleteSecret(ctx, "platform", "TOKEN")
		}, []Change{{Kind: "secret", Subject: "platform/TOKEN"}}},
		{"update config with secrets", func(ctx context.Context, s Store) error {
			return s.UpdateConfigWithSecrets(ctx, "slack", cfg, []registry.SecretWrite{
				{Scope: "platform", Name: "TOKEN", Sealed: []byte("sealed")},
				{Scope: "platform", Name: "ABSENT"},
			})
		}, []Change{{Kind: "secret", Subject: "platform/TOKEN"}, {Kind: "config", Subject: "slack"}}},
		{"update config deleting a secret", func(ctx context.Context, s Store) error {
			return s.UpdateConfigWithSecrets(ctx, "slack", cfg, []registry.SecretWrite{
				{Scope: "platform", Name: "TOKEN"},
			})
		}, []Change{{Kind: "secret", Subject: "platform/TOKEN"}, {Kind: "config", Subject: "slack"}}},
		{"create api key", func(ctx context.Context, s Store) error {
			return s.CreateAPIKey(ctx, apiKey("k1", "sbk_one"))
		}, []Change{{Kind: "api_key", Subject: "k1"}}},
	}
}

func testLastChangeEmpty(t *testing.T, s Store) {
	require.Zero(t, lastChange(t, s))
}

func testLastChangeGrows(t *testing.T, s Store) {
	for _, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			before := lastChange(t, s)
			require.NoError(t, m.do(t.Context(), s))
			require.Greater(t, lastChange(t, s), before)
		})
	}
}

func testNoChange(t *testing.T, s Store) {
	ctx := t.Context()
	require.NoError(t, s.AddVaultKey(ctx, key(1)))
	require.NoError(t, s.CreateAPIKey(ctx, apiKey("k1", "sbk_one")))
	before := lastChange(t, s)

	boom := errors.New("boom")
	calls := []struct {
		name string
		do   func() error
	}{
		{"delete absent manifest", func() error { return s.DeleteUploadedManifest(ctx, "x") }},
		{"delete absent config", func() error { return s.DeleteConfig(ctx, "x") }},
		{"delete absent secret", func() error { return s.DeleteSecret(ctx, "p", "x") }},
		{"uninstall absent", func() error { return s.Uninstall(ctx, "x") }},
		{"duplicate vault key", func() error { return s.AddVaultKey(ctx, key(1)) }},
		{"duplicate api key", func() error { return s.CreateAPIKey(ctx, apiKey("k1", "sbk_one")) }},
		{"refused config", func() error {
			return s.UpdateConfig(ctx, "x", func(json.RawMessage) (json.RawMessage, error) {
				return nil, boom
			})
		}},
		{"refused config with secrets", func() error {
			return s.UpdateConfigWithSecrets(ctx, "x",
				func(json.RawMessage) (json.RawMessage, error) { return nil, boom },
				[]registry.SecretWrite{{Scope: "p", Name: "x", Sealed: []byte("sealed")}})
		}},
	}
	for _, c := range calls {
		_ = c.do()
		require.Equal(t, before, lastChange(t, s), c.name)
	}
}

func testFeedEmpty(t *testing.T, _ Store, feed Feed) {
	cs, err := feed(t.Context(), 0, 10)
	require.NoError(t, err)
	require.Empty(t, cs)

	_, err = feed(t.Context(), 0, 0)
	require.Error(t, err, "limit 0")
	_, err = feed(t.Context(), 0, -1)
	require.Error(t, err, "negative limit")
}

// runMutations applies every mutation to s and returns the changes they
// should have recorded, in order.
func runMutations(t *testing.T, s Store) []Change {
	t.Helper()
	var want []Change
	for _, m := range mutations() {
		require.NoError(t, m.do(t.Context(), s), m.name)
		want = append(want, m.changes...)
	}
	return want
}

func testFeedRecords(t *testing.T, s Store, feed Feed) {
	start := time.Now().Truncate(time.Microsecond)
	want := runMutations(t, s)
	end := time.Now()

	got, err := feed(t.Context(), 0, 1000)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i, c := range got {
		require.Equal(t, want[i].Kind, c.Kind, "change %d", i)
		require.Equal(t, want[i].Subject, c.Subject, "change %d", i)
		if i > 0 {
			require.Greater(t, c.ID, got[i-1].ID)
		}
		requireUTC(t, c.At)
		require.False(t, c.At.Before(start) || c.At.After(end), "change %d at %v", i, c.At)
	}
	require.Equal(t, got[len(got)-1].ID, lastChange(t, s))
}

func testFeedPages(t *testing.T, s Store, feed Feed) {
	want := runMutations(t, s)
	all, err := feed(t.Context(), 0, len(want))
	require.NoError(t, err)
	require.Len(t, all, len(want))

	var paged []Change
	after := int64(0)
	for {
		page, err := feed(t.Context(), after, 3)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 3)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	require.Equal(t, all, paged)
}
