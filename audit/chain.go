package audit

import (
	"context"
	"crypto/hmac"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// appendAttempts bounds how many times the writer chains one batch and
// appends it. Every conflict it resolves means that another writer of a
// shared chain appended first; when the last attempt is reached, the
// writer moves to a chain of its own rather than wait any longer.
const appendAttempts = 64

// The messages of the writer's moves to a new chain.
const (
	msgChanged = "audit chain changed outside Switchboard: recording continues on a new chain"
	msgLegacy  = "audit chain predates head MACs: recording continues on a new chain"
	msgBusy    = "audit chain busy: recording continues on a new chain"
)

// changedError says why a chain cannot be continued: its head or entries
// are not what Switchboard wrote.
type changedError struct{ reason string }

func (e *changedError) Error() string { return e.reason }

func changed(format string, args ...any) error {
	return &changedError{reason: fmt.Sprintf(format, args...)}
}

// errLegacy is the reason not to continue a chain whose head has no MAC
// because it was written before heads had MACs: entries added after it
// could be deleted together with a head rewritten without a MAC, unseen.
var errLegacy = errors.New("its head was written before head MACs")

// write chains entries onto the chain and appends them in one transaction,
// conditional on the head they follow. On a conflict the writer catches up
// on the entries another writer appended, each verified under the key, and
// tries again; the last of appendAttempts is made on a new chain. Any other
// failure of the store is returned, and the next batch first catches up on
// whatever the store committed all the same.
func (l *Log) write(ctx context.Context, entries []Entry) error {
	for attempt := 1; ; attempt++ {
		chain := l.head.Chain
		if err := l.sync(ctx); err != nil {
			return err
		}
		// Every attempt so far conflicted, unless sync left the chain.
		if attempt == appendAttempts && l.head.Chain == chain {
			if err := l.restart(ctx, slog.LevelWarn, msgBusy, nil); err != nil {
				return err
			}
		}
		head := l.chainOn(entries)
		err := l.store.AppendAudit(ctx, entries, head.MAC)
		if err == nil {
			l.head, l.conflicted = head, false
			return nil
		}
		l.synced = false
		l.conflicted = switchboard.ErrorCode(err) == switchboard.CodeConflict
		if !l.conflicted || attempt == appendAttempts {
			return err
		}
	}
}

// chainOn assigns the chain fields of entries, following l.head, and
// returns the head they lead to.
func (l *Log) chainOn(entries []Entry) ChainHead {
	now := l.now().UTC().Truncate(time.Microsecond)
	head := l.head
	for i := range entries {
		e := &entries[i]
		if e.Time.IsZero() {
			e.Time = now
		}
		e.Chain, e.Seq, e.PrevHash = head.Chain, head.LastSeq+1, head.LastHash
		e.ID = formatID(e.Time, e.Chain, e.Seq)
		e.Hash = entryHash(l.mac, e)
		head.LastSeq, head.LastHash = e.Seq, e.Hash
	}
	head.MAC = headMAC(l.mac, head)
	return head
}

// sync brings l.head to where the store has the chain, after a failed
// append, by catching up on the entries written since. When the chain
// cannot be continued, because an entry after the head does not verify or
// an append conflicted although no entry followed the head, the writer
// moves to a new chain: it never builds on an entry it cannot verify.
func (l *Log) sync(ctx context.Context) error {
	if l.synced {
		return nil
	}
	moved, err := l.catchUp(ctx)
	var ch *changedError
	switch {
	case errors.As(err, &ch):
		return l.restart(ctx, slog.LevelError, msgChanged, err)
	case err != nil:
		return err
	case !moved && l.conflicted:
		return l.restart(ctx, slog.LevelError, msgChanged,
			changed("an append after entry %d conflicted, yet no entry follows it",
				l.head.LastSeq))
	}
	l.synced = true
	return nil
}

// catchUp moves l.head over the entries the store holds after it, those of
// other writers and those of an append of this one that reported an error
// but committed, and reports whether it moved; moving explains a conflict. It returns a *changedError
// at the first entry that is not a verified continuation of the head.
func (l *Log) catchUp(ctx context.Context) (bool, error) {
	moved := false
	for {
		page, err := l.store.AuditChain(ctx, l.head.Chain, l.head.LastSeq, l.max)
		if err != nil {
			return moved, fmt.Errorf("read audit chain %s: %w", l.head.Chain, err)
		}
		for i := range page {
			e := &page[i]
			if err := l.follows(e); err != nil {
				return moved, err
			}
			l.head.LastSeq, l.head.LastHash = e.Seq, e.Hash
			moved, l.conflicted = true, false // the conflict is explained
		}
		if len(page) < l.max {
			return moved, nil
		}
	}
}

// follows returns a *changedError unless e is the entry after l.head,
// linked to it and hashed under the chain key.
func (l *Log) follows(e *Entry) error {
	switch {
	case e.Seq != l.head.LastSeq+1:
		return changed("entry %d follows entry %d", e.Seq, l.head.LastSeq)
	case e.PrevHash != l.head.LastHash:
		return changed("entry %d does not link to entry %d", e.Seq, l.head.LastSeq)
	case !hmac.Equal([]byte(entryHash(l.mac, e)), []byte(e.Hash)):
		return changed("entry %d does not match its hash", e.Seq)
	}
	return nil
}

// resume finds where the named chain l.head.Chain ends: at its head, once
// the head's MAC and the entry it names verify. A chain without entries
// starts at seq 1. A chain that cannot be continued (entries without a
// head, or a head or last entry that does not verify) or whose head
// predates head MACs is left for a new chain. Entries that other writers
// append later are caught up on when an append conflicts.
func (l *Log) resume(ctx context.Context) error {
	chain := l.head.Chain
	// Entries first: a head read after them exists if they do.
	first, err := l.store.AuditChain(ctx, chain, 0, 1)
	if err != nil {
		return fmt.Errorf("read audit chain %s: %w", chain, err)
	}
	h, err := l.store.AuditHead(ctx, chain)
	switch {
	case switchboard.ErrorCode(err) == switchboard.CodeNotFound && len(first) == 0:
		return nil
	case switchboard.ErrorCode(err) == switchboard.CodeNotFound:
		return l.restart(ctx, slog.LevelError, msgChanged, changed("it has entries but no head"))
	case err != nil:
		return fmt.Errorf("read audit chain %s: %w", chain, err)
	}

	var ch *changedError
	switch err := l.checkHead(ctx, h); {
	case errors.Is(err, errLegacy):
		return l.restart(ctx, slog.LevelWarn, msgLegacy, nil)
	case errors.As(err, &ch):
		return l.restart(ctx, slog.LevelError, msgChanged, err)
	case err != nil:
		return err
	}
	l.head = h
	return nil
}

// checkHead returns nil when h matches its MAC and names an entry that
// verifies; errLegacy when h has no MAC and names an entry written before
// heads had them; and otherwise a *changedError or the store's error.
func (l *Log) checkHead(ctx context.Context, h ChainHead) error {
	es, err := l.store.AuditChain(ctx, h.Chain, h.LastSeq-1, 1)
	if err != nil {
		return fmt.Errorf("read audit chain %s: %w", h.Chain, err)
	}
	if len(es) == 0 || es[0].Seq != h.LastSeq || es[0].Hash != h.LastHash {
		return changed("its head names entry %d, which is not there", h.LastSeq)
	}
	e := &es[0]
	if h.MAC == "" && hmac.Equal([]byte(legacyHash(l.mac, e)), []byte(e.Hash)) {
		return errLegacy
	}
	if !hmac.Equal([]byte(entryHash(l.mac, e)), []byte(e.Hash)) {
		return changed("entry %d, which its head names, does not match its hash", h.LastSeq)
	}
	if !hmac.Equal([]byte(headMAC(l.mac, h)), []byte(h.MAC)) {
		return changed("its head does not match its MAC")
	}
	return nil
}

// restart moves the writer to a new chain with a random name, logging at
// level why it leaves the chain it was on: that chain keeps what it holds,
// and [Verify] reports what is wrong with it.
func (l *Log) restart(ctx context.Context, level slog.Level, msg string, cause error) error {
	next, err := randomChain(l.rand)
	if err != nil {
		return fmt.Errorf("leave audit chain %s: %w", l.head.Chain, err)
	}
	attrs := []slog.Attr{slog.String(logkey.Chain, l.head.Chain),
		slog.String(logkey.NextChain, next)}
	if cause != nil {
		attrs = append(attrs, slog.Any(logkey.Err, cause))
	}
	l.log.LogAttrs(ctx, level, msg, attrs...)

	l.head = ChainHead{Chain: next}
	l.synced, l.conflicted = true, false
	l.chain.Store(&next)
	return nil
}

// randomChain returns a chain name of 16 random letters and digits.
func randomChain(rand io.Reader) (string, error) {
	var b [10]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", fmt.Errorf("chain name: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:])), nil
}
