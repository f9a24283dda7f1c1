package audit

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// ErrClosed is returned by [Log.Record] once [Log.Close] has been called.
var ErrClosed = errors.New("audit: log is closed")

// Defaults of [Config].
const (
	DefaultMaxBatch      = 256
	DefaultCommitTimeout = 30 * time.Second
)

// Config configures a [Log]. Store and Vault are required; every other field
// has a working zero value.
type Config struct {
	// Store keeps the entries.
	Store Store
	// Vault holds the audit key; New creates the key on first use.
	Vault Vault
	// Logger receives the failures of commits; nothing is logged when nil.
	Logger *slog.Logger
	// Now stamps entries recorded without a time; time.Now when nil.
	Now func() time.Time
	// Rand supplies a new audit key and the names of random chains;
	// crypto/rand.Reader when nil.
	Rand io.Reader
	// Chain names the chain the Log writes: 1 to 32 lowercase letters and
	// digits. Empty picks a random name: a chain of this Log's own, which
	// suits a long-running process, since it never waits for another
	// writer. A named chain is continued where it ends and may be shared
	// by several Logs, in one process or in many, at the cost of a retry
	// when two append at once; short-lived processes (one-shot commands)
	// should share one, so that their few entries do not each make a
	// chain that could be deleted whole without a trace. See the package
	// doc for what happens when the chain cannot be continued.
	Chain string
	// MaxBatch caps how many entries one transaction writes;
	// DefaultMaxBatch when 0.
	MaxBatch int
	// CommitTimeout bounds each transaction; DefaultCommitTimeout when 0.
	CommitTimeout time.Duration
}

func (c *Config) setDefaults() error {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.CommitTimeout == 0 {
		c.CommitTimeout = DefaultCommitTimeout
	}
	if c.Chain == "" {
		name, err := randomChain(c.Rand)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		c.Chain = name
	}
	return nil
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("audit: store is nil")
	case c.Vault == nil:
		return errors.New("audit: vault is nil")
	case !chainID.MatchString(c.Chain):
		return fmt.Errorf("audit: chain %q: want 1 to 32 lowercase letters and digits", c.Chain)
	case c.MaxBatch < 0:
		return errors.New("audit: max batch is negative")
	case c.CommitTimeout < 0:
		return errors.New("audit: commit timeout is negative")
	}
	return nil
}

// Log records entries on a chain, each durable when [Log.Record] returns.
// It is safe for concurrent use; concurrent records share transactions
// (group commit).
type Log struct {
	store   Store
	keys    *keys
	log     *slog.Logger
	now     func() time.Time
	rand    io.Reader
	max     int
	timeout time.Duration

	mu     sync.Mutex
	open   *batch   // filling
	ready  []*batch // full, in order
	closed bool

	wake   chan struct{} // a batch is waiting, or the log closed
	done   chan struct{} // closed when the writer has returned
	ctx    context.Context
	cancel context.CancelFunc

	// The writer's own: the chain it writes (head.Chain) and where that
	// chain stands in the store.
	head       ChainHead
	synced     bool // head is where the store has the chain
	conflicted bool // the last append failed on a conflict
	mac        hash.Hash

	chain atomic.Pointer[string] // head.Chain, for Chain
}

// batch is the entries of one transaction and their common fate.
type batch struct {
	entries []Entry
	done    chan struct{} // closed once err is set
	err     error
}

// New returns a Log on cfg.Store after applying defaults and validating cfg.
// It reads the audit key from cfg.Vault, creating it when absent, and, for a
// named chain, where that chain ends, checking its head and last entry under
// the key: a named chain that cannot be continued is logged and replaced by
// a new random one, and only a failure to read the store or the vault is an
// error. The caller must [Log.Close] it.
func New(ctx context.Context, cfg Config) (*Log, error) {
	named := cfg.Chain != ""
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	k, err := loadKeys(ctx, cfg.Vault, cfg.Rand, true)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}

	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &Log{
		store: cfg.Store, keys: k, log: cfg.Logger, now: cfg.Now, rand: cfg.Rand,
		max: cfg.MaxBatch, timeout: cfg.CommitTimeout,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		ctx: wctx, cancel: cancel,
		head: ChainHead{Chain: cfg.Chain}, mac: hmac.New(sha256.New, k.chain),
		synced: true, // a new random chain starts empty
	}
	l.chain.Store(&cfg.Chain)
	if named {
		if err := l.resume(ctx); err != nil {
			cancel()
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	go l.run()
	return l, nil
}

// Chain returns the name of the chain the log writes now: the one
// Config.Chain named or picked, unless the log has since moved to a new
// chain because that one could not be continued.
func (l *Log) Chain() string { return *l.chain.Load() }

// InputMAC returns the hex HMAC-SHA256 of input's canonical form under the
// input key: object members sorted, no insignificant whitespace, numbers as
// written. Two inputs that differ only in member order or spacing give one
// MAC; any other difference gives another. The MAC is keyed, so a short
// input cannot be found by trying candidates without the audit key. Empty
// input gives ""; input that is not JSON is MACed as its bytes.
func (l *Log) InputMAC(input []byte) string { return l.keys.inputMAC(input) }

// Record appends e to the log and returns once it is durable: committed in
// the store, with every entry recorded at the same moment. It assigns ID,
// Chain, Seq, PrevHash, Hash and, when zero, Time, overwriting what e holds
// there. Another writer appending to a shared chain first is no error: the
// entry is chained again after what that writer appended. Nor is a chain
// changed outside Switchboard: the entry goes to a new chain (see the
// package doc). It returns an error for an entry with an unknown event,
// surface or outcome, an error code that does not fit the outcome, or too
// many details; the error of the store when the transaction fails, in
// which case the entry is not in the chain (unless the store committed it
// and lost the acknowledgement: the chain then goes on after it); and
// [ErrClosed] after Close. When ctx ends first, Record returns its error and the entry is
// still written: a caller that must know should pass a context without
// cancellation. Actor, OnBehalfOf, Surface and RequestID left empty are
// taken from ctx's [Origin]; an entry with no surface at all is the
// system's.
func (l *Log) Record(ctx context.Context, e Entry) error {
	e = fill(ctx, e).clean()
	if err := e.check(); err != nil {
		return err
	}
	b, err := l.enqueue(e)
	if err != nil {
		return err
	}
	select {
	case <-b.done:
		if b.err != nil {
			return fmt.Errorf("record audit entry: %w", b.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("record audit entry: %w", context.Cause(ctx))
	}
}

// enqueue adds e to the batch that is filling and returns that batch.
func (l *Log) enqueue(e Entry) (*batch, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if l.open == nil {
		l.open = &batch{done: make(chan struct{})}
	}
	b := l.open
	b.entries = append(b.entries, e)
	if len(b.entries) >= l.max {
		l.ready = append(l.ready, b)
		l.open = nil
	}
	l.mu.Unlock()

	l.signal()
	return b, nil
}

// signal wakes the writer unless a wake-up is pending already.
func (l *Log) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting entries, waits until every entry recorded before is
// committed (or has failed), and stops the writer. When ctx ends first, the
// transactions still pending are cancelled, their records fail, and Close
// returns ctx's error. Close may be called more than once.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.signal()

	select {
	case <-l.done:
		l.cancel()
		return nil
	case <-ctx.Done():
		l.cancel()
		<-l.done
		return fmt.Errorf("close audit log: %w", context.Cause(ctx))
	}
}

// run is the writer: it commits batches, one transaction each, until the
// log is closed and nothing is left.
func (l *Log) run() {
	defer close(l.done)
	for {
		b, closed := l.next()
		if b != nil {
			l.commit(b)
			continue
		}
		if closed {
			return
		}
		<-l.wake
	}
}

// next takes the oldest batch waiting, and reports whether the log is
// closed.
func (l *Log) next() (*batch, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ready) > 0 {
		b := l.ready[0]
		l.ready[0] = nil
		l.ready = l.ready[1:]
		return b, l.closed
	}
	b := l.open
	l.open = nil
	return b, l.closed
}

// commit writes b's entries in one transaction, on top of the chain as the
// store has it (see [Log.write]), and wakes b's callers.
func (l *Log) commit(b *batch) {
	defer close(b.done)
	ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
	defer cancel()

	if b.err = l.write(ctx, b.entries); b.err != nil {
		l.log.ErrorContext(ctx, "audit entries not recorded",
			slog.String(logkey.Chain, l.head.Chain),
			slog.Int(logkey.Count, len(b.entries)),
			slog.Any(logkey.Err, b.err))
	}
}
