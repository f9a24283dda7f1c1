package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

type healthStatus struct {
	Status string `json:"status"`
}

// healthz answers that the process serves HTTP.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	_ = writeJSON(w, http.StatusOK, healthStatus{Status: "ok"})
}

// readyz answers 200 when Config.Ready does, else a 503 problem that keeps
// the reason in the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.ready(r.Context()); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "not ready",
			slog.String(logkey.RequestID, RequestID(r.Context())),
			slog.Any(logkey.Err, err))
		e := switchboard.Errorf(switchboard.CodeInternal, "not ready")
		s.writeProblem(w, r, e, http.StatusServiceUnavailable)
		return
	}
	_ = writeJSON(w, http.StatusOK, healthStatus{Status: "ok"})
}

// manifestSchema serves the JSON Schema of manifest.json.
func (s *Server) manifestSchema(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/schema+json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.schema)
}
