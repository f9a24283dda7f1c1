package sqlite

import (
	"strings"

	"github.com/switchboard-dev/switchboard/audit"
)

// The statements of the audit. Arguments are always bound; the one query
// assembled at run time, [auditQuery], joins constant fragments chosen by
// which filters are set.
const (
	auditColumns = `chain, seq, id, at, actor, on_behalf_of, surface, event, integration,
	action, outcome, error_code, latency_ns, request_id, input_mac, detail, prev_hash, hash`

	qInsertAudit = `INSERT INTO audit_entries (` + auditColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// qCreateAuditHead writes the head of a new chain: it changes no row
	// when the chain has one already.
	qCreateAuditHead = `
INSERT INTO audit_heads (chain, last_seq, last_hash, mac) VALUES (?, ?, ?, ?)
ON CONFLICT (chain) DO NOTHING`

	// qAdvanceAuditHead moves a chain's head, provided the head stored is
	// the one given: it changes no row otherwise, nor when there is none.
	qAdvanceAuditHead = `
UPDATE audit_heads SET last_seq = ?, last_hash = ?, mac = ?
WHERE chain = ? AND last_seq = ? AND last_hash = ?`

	qAuditHead = `SELECT chain, last_seq, last_hash, mac FROM audit_heads WHERE chain = ?`

	// qAuditHeads lists the head rows, and the chains that have entries but
	// no head row. The chains of entries are found by skipping from one to
	// the next through the primary key, not by reading every entry.
	qAuditHeads = `
WITH RECURSIVE chains (chain) AS (
	SELECT (SELECT chain FROM audit_entries ORDER BY chain LIMIT 1)
	UNION ALL
	SELECT (SELECT e.chain FROM audit_entries e WHERE e.chain > c.chain
		ORDER BY e.chain LIMIT 1)
	FROM chains c WHERE c.chain IS NOT NULL
)
SELECT chain, 0, '', '' FROM chains
WHERE chain IS NOT NULL AND chain NOT IN (SELECT chain FROM audit_heads)
UNION ALL
SELECT chain, last_seq, last_hash, mac FROM audit_heads
ORDER BY 1`

	qAuditChain = `SELECT ` + auditColumns + `
FROM audit_entries WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?`

	qSelectAudit = `SELECT ` + auditColumns + ` FROM audit_entries WHERE true`
)

// auditQuery returns the query of f and its arguments.
func auditQuery(f audit.Filter) (string, []any) {
	var b strings.Builder
	b.WriteString(qSelectAudit)
	args := make([]any, 0, 7)
	cond := func(fragment string, v string) {
		if v != "" {
			b.WriteString(fragment)
			args = append(args, v)
		}
	}
	cond(" AND actor = ?", f.Actor)
	cond(" AND integration = ?", f.Integration)
	cond(" AND action = ?", f.Action)
	cond(" AND outcome = ?", string(f.Outcome))
	cond(" AND id > ?", f.After)
	cond(" AND id < ?", f.Before)
	if f.Oldest {
		b.WriteString(" ORDER BY id LIMIT ?")
	} else {
		b.WriteString(" ORDER BY id DESC LIMIT ?")
	}
	return b.String(), append(args, f.Limit)
}
