package main

import (
	"sync"

	"github.com/switchboard-dev/switchboard/registry"
)

// broadcast wakes every subscriber; signals coalesce, so a slow one sees
// one pending signal, never a queue.
type broadcast struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func newBroadcast() *broadcast {
	return &broadcast{subs: map[chan struct{}]struct{}{}}
}

// Subscribe returns a channel that receives after each notify, and the
// function that ends the subscription.
func (b *broadcast) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// installed is what the MCP server follows: the registry's installed set,
// with change signals sent only once roles and caches caught up too.
type installed struct {
	*registry.Registry
	changed *broadcast
}

// Subscribe overrides the registry's own signals with the app's.
func (i installed) Subscribe() (<-chan struct{}, func()) { return i.changed.Subscribe() }
