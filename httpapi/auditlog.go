package httpapi

import (
	"net/http"

	"github.com/switchboard-dev/switchboard/audit"
)

type auditPage struct {
	Entries []audit.Entry `json:"entries"`
	Next    string        `json:"next,omitempty"`
}

// listAudit answers one page of audit entries, newest first, selected by
// the query parameters audit.ParseQuery reads. Next, when present, is the
// before of the following page.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := audit.ParseQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.audit.List(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, auditPage{Entries: nonNil(page.Entries), Next: page.Next})
}
