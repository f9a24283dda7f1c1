package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-dev/switchboard"
)

// Limits of [Query.Limit].
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Query selects entries. Empty fields do not filter.
type Query struct {
	Actor       string
	Integration string
	Action      string
	Outcome     Outcome
	// Since (inclusive) and Until (exclusive) bound the entries' Time.
	Since, Until time.Time
	// Before is the cursor of a page: only entries whose ID sorts before it
	// are listed. It is the Next of the page before.
	Before string
	// Limit is how many entries a page holds: 1 to MaxLimit, DefaultLimit
	// when 0.
	Limit int
}

// Page is one page of entries, newest first. Next, when not empty, is the
// Before of the following page; it is empty on the last page.
type Page struct {
	Entries []Entry
	Next    string
}

// List returns the page of entries that q selects, newest first. A q that
// is not valid gives a *switchboard.Error with CodeInvalidRequest naming
// the field; any other error is the store's.
func List(ctx context.Context, s Store, q Query) (Page, error) {
	f, err := q.filter()
	if err != nil {
		return Page{}, err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	entries, err := s.QueryAudit(ctx, f)
	if err != nil {
		return Page{}, fmt.Errorf("list audit entries: %w", err)
	}
	if len(entries) <= limit {
		return Page{Entries: entries}, nil
	}
	entries = entries[:limit]
	return Page{Entries: entries, Next: entries[limit-1].ID}, nil
}

// exportPage is how many entries Export reads at a time.
const exportPage = 1000

// Export writes every entry that q selects to w as JSON Lines, one
// [Entry.MarshalJSON] object per line, oldest first, reading the store a
// page at a time. q.Limit is ignored. A q that is not valid gives a
// *switchboard.Error with CodeInvalidRequest naming the field; other errors
// are those of the store or of w, after which w may hold part of the export.
func Export(ctx context.Context, s Store, q Query, w io.Writer) error {
	q.Limit = 0
	f, err := q.filter()
	if err != nil {
		return err
	}
	f.Oldest, f.Limit = true, exportPage

	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for {
		entries, err := s.QueryAudit(ctx, f)
		if err != nil {
			return fmt.Errorf("export audit entries: %w", err)
		}
		for i := range entries {
			if err := enc.Encode(entries[i]); err != nil {
				return fmt.Errorf("export audit entries: %w", err)
			}
		}
		if len(entries) < f.Limit {
			break
		}
		f.After = entries[len(entries)-1].ID
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export audit entries: %w", err)
	}
	return nil
}

// filter validates q and returns it as a store runs it: the time range and
// the cursor become bounds on the ID, which begins with the time.
func (q Query) filter() (Filter, error) {
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return Filter{}, invalid("limit", "must be between 1 and %d", MaxLimit)
	case q.Outcome != "" && q.Outcome != OutcomeOK && q.Outcome != OutcomeDenied &&
		q.Outcome != OutcomeError:
		return Filter{}, invalid("outcome", "must be ok, denied or error")
	case !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since):
		return Filter{}, invalid("until", "is before since")
	case q.Before != "" && !idPattern.MatchString(q.Before):
		return Filter{}, invalid("before", "is not an audit entry id")
	}
	f := Filter{
		Actor: q.Actor, Integration: q.Integration, Action: q.Action, Outcome: q.Outcome,
		Before: q.Before, Limit: q.Limit,
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if !q.Since.IsZero() {
		// Every id at or after Since extends its key, so sorts after it.
		f.After = timeKey(q.Since)
	}
	if !q.Until.IsZero() {
		if k := timeKey(q.Until); f.Before == "" || k < f.Before {
			f.Before = k
		}
	}
	return f, nil
}

// invalid is the error of a query field.
func invalid(field, format string, args ...any) error {
	return switchboard.Errorf(switchboard.CodeInvalidRequest,
		"audit query: %s %s", field, fmt.Sprintf(format, args...))
}

// queryParams are the parameters [ParseQuery] reads.
var queryParams = map[string]bool{
	"actor": true, "integration": true, "action": true, "outcome": true,
	"since": true, "until": true, "before": true, "limit": true,
}

// ParseQuery reads a Query from URL query parameters: actor, integration,
// action, outcome, since and until (RFC 3339), before and limit. An unknown
// or repeated parameter, or a value that does not parse, gives a
// *switchboard.Error with CodeInvalidRequest naming the parameter. The
// result is validated by [List] and [Export], not here.
func ParseQuery(v url.Values) (Query, error) {
	for k, vs := range v {
		if !queryParams[k] {
			return Query{}, invalid(k, "is not a parameter of the audit query")
		}
		if len(vs) > 1 {
			return Query{}, invalid(k, "is given more than once")
		}
	}
	q := Query{
		Actor: v.Get("actor"), Integration: v.Get("integration"), Action: v.Get("action"),
		Outcome: Outcome(v.Get("outcome")), Before: v.Get("before"),
	}
	var err error
	if q.Since, err = parseTime(v, "since"); err != nil {
		return Query{}, err
	}
	if q.Until, err = parseTime(v, "until"); err != nil {
		return Query{}, err
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 {
			return Query{}, invalid("limit", "must be between 1 and %d", MaxLimit)
		}
	}
	return q, nil
}

func parseTime(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(name, "must be an RFC 3339 time")
	}
	return t, nil
}
