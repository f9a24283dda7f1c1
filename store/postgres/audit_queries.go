package postgres

import (
	"strconv"
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
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`

	// qCreateAuditHead writes the head of a new chain: it changes no row
	// when the chain has one already, waiting first for a writer that is
	// creating it.
	qCreateAuditHead = `
INSERT INTO audit_heads (chain, last_seq, last_hash, mac) VALUES ($1, $2, $3, $4)
ON CONFLICT (chain) DO NOTHING`

	// qAdvanceAuditHead moves a chain's head, provided the head stored is
	// the one given: it changes no row otherwise, nor when there is none.
	// The row lock it takes orders two writers of one chain: the second
	// finds the head moved.
	qAdvanceAuditHead = `
UPDATE audit_heads SET last_seq = $1, last_hash = $2, mac = $3
WHERE chain = $4 AND last_seq = $5 AND last_hash = $6`

	qAuditHead = `SELECT chain, last_seq, last_hash, mac FROM audit_heads WHERE chain = $1`

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
SELECT chain, 0::bigint, ''::text, ''::text FROM chains
WHERE chain IS NOT NULL AND chain NOT IN (SELECT chain FROM audit_heads)
UNION ALL
SELECT chain, last_seq, last_hash, mac FROM audit_heads
ORDER BY 1`

	qAuditChain = `SELECT ` + auditColumns + `
FROM audit_entries WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3`

	qSelectAudit = `SELECT ` + auditColumns + ` FROM audit_entries WHERE true`
)

// auditQuery returns the query of f and its arguments.
func auditQuery(f audit.Filter) (string, []any) {
	var b strings.Builder
	b.WriteString(qSelectAudit)
	args := make([]any, 0, 7)
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	cond := func(fragment string, v string) {
		if v != "" {
			b.WriteString(fragment + param(v))
		}
	}
	cond(" AND actor = ", f.Actor)
	cond(" AND integration = ", f.Integration)
	cond(" AND action = ", f.Action)
	cond(" AND outcome = ", string(f.Outcome))
	cond(" AND id > ", f.After)
	cond(" AND id < ", f.Before)
	if f.Oldest {
		b.WriteString(" ORDER BY id LIMIT ")
	} else {
		b.WriteString(" ORDER BY id DESC LIMIT ")
	}
	b.WriteString(param(f.Limit))
	return b.String(), args
}
