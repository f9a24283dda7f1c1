package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/store/internal/codec"
)

var _ audit.Store = (*DB)(nil)

// AppendAudit inserts entries, all of one chain with consecutive Seq, and
// moves the chain's head to the last of them with headMAC, in one
// transaction, provided the head stored is the first entry's predecessor
// (or absent, for Seq 1) and no entry holds their Seq; otherwise it writes
// nothing and returns CodeConflict. It records no change in the feed.
func (db *DB) AppendAudit(ctx context.Context, entries []audit.Entry, headMAC string) error {
	if len(entries) == 0 {
		return nil
	}
	if headMAC == "" {
		return errors.New("append audit entries: the head has no MAC")
	}
	const op = "append audit entries"
	first, last := entries[0], entries[len(entries)-1]
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		var n int64
		var err error
		if first.Seq == 1 {
			n, err = exec(ctx, tx, qCreateAuditHead, last.Chain, last.Seq, last.Hash, headMAC)
		} else {
			n, err = exec(ctx, tx, qAdvanceAuditHead, last.Seq, last.Hash, headMAC,
				last.Chain, first.Seq-1, first.PrevHash)
		}
		if err != nil {
			return translate(err, op, "audit chain "+last.Chain)
		}
		if n == 0 {
			return switchboard.Errorf(switchboard.CodeConflict,
				"audit chain %s does not end at seq %d", first.Chain, first.Seq-1)
		}
		return insertAudit(ctx, tx, op, entries)
	})
}

func insertAudit(ctx context.Context, tx *sql.Tx, op string, entries []audit.Entry) error {
	st, err := tx.PrepareContext(ctx, qInsertAudit)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer st.Close()

	for i := range entries {
		e := &entries[i]
		detail, err := codec.Detail(e.Detail)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		_, err = st.ExecContext(ctx, e.Chain, e.Seq, e.ID, micros(e.Time), e.Actor,
			e.OnBehalfOf, string(e.Surface), string(e.Event), e.Integration, e.Action,
			string(e.Outcome), string(e.ErrorCode), int64(e.Latency), e.RequestID,
			e.InputMAC, detail, e.PrevHash, e.Hash)
		if err != nil {
			return translate(err, op, "audit entry "+e.ID)
		}
	}
	return nil
}

// AuditHead returns the head row of chain, or CodeNotFound.
func (db *DB) AuditHead(ctx context.Context, chain string) (audit.ChainHead, error) {
	var h audit.ChainHead
	err := db.read.QueryRowContext(ctx, qAuditHead, chain).
		Scan(&h.Chain, &h.LastSeq, &h.LastHash, &h.MAC)
	return h, translate(err, "read audit head", "audit chain "+chain)
}

// AuditHeads returns the head of every chain, ordered by chain; a chain
// with entries but no head row has LastSeq 0.
func (db *DB) AuditHeads(ctx context.Context) ([]audit.ChainHead, error) {
	const op = "list audit heads"
	rows, err := db.read.QueryContext(ctx, qAuditHeads)
	if err != nil {
		return nil, translate(err, op, "audit chain")
	}
	defer rows.Close()

	var heads []audit.ChainHead
	for rows.Next() {
		var h audit.ChainHead
		if err := rows.Scan(&h.Chain, &h.LastSeq, &h.LastHash, &h.MAC); err != nil {
			return nil, translate(err, op, "audit chain")
		}
		heads = append(heads, h)
	}
	return heads, translate(rows.Err(), op, "audit chain")
}

// AuditChain returns up to limit entries of chain after afterSeq, in order
// of Seq.
func (db *DB) AuditChain(ctx context.Context, chain string, afterSeq int64,
	limit int) ([]audit.Entry, error) {
	if limit <= 0 {
		return nil, errors.New("read audit chain: limit must be positive")
	}
	return db.auditEntries(ctx, "read audit chain", qAuditChain, chain, afterSeq, limit)
}

// QueryAudit returns up to f.Limit entries matching f, newest first, or
// oldest first when f.Oldest is set.
func (db *DB) QueryAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	if f.Limit <= 0 {
		return nil, errors.New("query audit: limit must be positive")
	}
	q, args := auditQuery(f)
	return db.auditEntries(ctx, "query audit", q, args...)
}

func (db *DB) auditEntries(ctx context.Context, op, q string, args ...any) ([]audit.Entry,
	error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err, op, "audit entry")
	}
	defer rows.Close()

	var entries []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, translate(err, op, "audit entry")
		}
		entries = append(entries, e)
	}
	return entries, translate(rows.Err(), op, "audit entry")
}

func scanAudit(rows *sql.Rows) (audit.Entry, error) {
	var e audit.Entry
	var at, latency int64
	var surface, event, outcome, code, detail string
	err := rows.Scan(&e.Chain, &e.Seq, &e.ID, &at, &e.Actor, &e.OnBehalfOf, &surface,
		&event, &e.Integration, &e.Action, &outcome, &code, &latency, &e.RequestID,
		&e.InputMAC, &detail, &e.PrevHash, &e.Hash)
	if err != nil {
		return e, err
	}
	e.Time, e.Latency = fromMicros(at), time.Duration(latency)
	e.Surface, e.Event, e.Outcome = audit.Surface(surface), audit.Event(event),
		audit.Outcome(outcome)
	e.ErrorCode = switchboard.Code(code)
	e.Detail, err = codec.ParseDetail(detail)
	return e, err
}
