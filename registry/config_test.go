package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigureWritesNothingWhenTheStoreFails(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	r := newTestRegistry(t, s)
	_, err := r.Deploy(ctx, "demo")
	require.NoError(t, err)
	_, err = r.Configure(ctx, "demo", map[string]json.RawMessage{
		"token": json.RawMessage(`"old"`), "limit": json.RawMessage(`1`),
	})
	require.NoError(t, err)

	s.mu.Lock()
	s.failConfig = errors.New("commit refused")
	s.forgotten = nil
	s.mu.Unlock()
	_, err = r.Configure(ctx, "demo", map[string]json.RawMessage{
		"token": json.RawMessage(`"new"`), "limit": json.RawMessage(`2`),
	})
	require.ErrorContains(t, err, "commit refused")
	require.NotContains(t, err.Error(), "new")

	s.mu.Lock()
	defer s.mu.Unlock()
	require.Equal(t, []byte("sealed:old"), s.secrets["DEMO_TOKEN"], "the secret stays")
	require.JSONEq(t, `{"limit":1}`, string(s.configs["demo"]), "the config stays")
	require.Equal(t, []string{"DEMO_TOKEN"}, s.forgotten, "forgotten even on an error")
}

func TestConfigureConcurrentlyKeepsPairs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	r := newTestRegistry(t, s)
	_, err := r.Deploy(ctx, "demo")
	require.NoError(t, err)

	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = r.Configure(ctx, "demo", map[string]json.RawMessage{
				"token": json.RawMessage(fmt.Sprintf(`"t%d"`, i+1)),
				"limit": json.RawMessage(fmt.Sprint(i + 1)),
			})
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))

	s.mu.Lock()
	defer s.mu.Unlock()
	var cfg struct{ Limit int }
	require.NoError(t, json.Unmarshal(s.configs["demo"], &cfg))
	require.Equal(t, fmt.Sprintf("sealed:t%d", cfg.Limit), string(s.secrets["DEMO_TOKEN"]))
}
