package credentials

import (
	"context"
	"maps"
	"sync"
)

// flights runs at most one refresh per connection at a time in this
// process; callers that arrive while one runs share its outcome.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done   chan struct{}
	values map[string]string
	err    error
}

// do runs fn for key unless a run for key is in flight, and returns the
// outcome of the run, or ctx's error when ctx ends first. fn runs on a
// goroutine of its own under ctx without its cancellation, so that a
// caller going away never abandons a refresh whose new tokens are not
// saved yet; fn must bound its own time.
func (g *flights) do(ctx context.Context, key string,
	fn func(ctx context.Context) (map[string]string, error),
) (map[string]string, error) {
	g.mu.Lock()
	f, ok := g.m[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		if g.m == nil {
			g.m = make(map[string]*flight)
		}
		g.m[key] = f
		go g.run(context.WithoutCancel(ctx), key, f, fn)
	}
	g.mu.Unlock()

	select {
	case <-f.done:
		return maps.Clone(f.values), f.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (g *flights) run(ctx context.Context, key string, f *flight,
	fn func(ctx context.Context) (map[string]string, error),
) {
	defer close(f.done)
	f.values, f.err = fn(ctx)
	g.mu.Lock()
	delete(g.m, key)
	g.mu.Unlock()
}
