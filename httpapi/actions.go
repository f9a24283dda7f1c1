package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
)

// ConnectionHeader names the caller's connection an action call runs with.
const ConnectionHeader = "X-Switchboard-Connection"

// callAction runs action {action} of {id} with the body as its input (an
// empty body is {}) and answers the action's output as is. The executor
// authorizes the caller and validates the input.
func (s *Server) callAction(w http.ResponseWriter, r *http.Request) error {
	// An unreadable body is still an attempted call: the executor records
	// it before returning the refusal.
	input, refusal := readBody(r, min(s.maxBody, executor.MaxInputBytes))
	if isEmpty(input) {
		input = []byte("{}")
	}
	ctx := r.Context()
	res, err := s.exec.Call(ctx, executor.Call{
		Caller:      identity.FromContext(ctx),
		Integration: chi.URLParam(r, "id"),
		Action:      chi.URLParam(r, "action"),
		Input:       input,
		Surface:     executor.SurfaceREST,
		Refusal:     refusal,
		// The caller may name which of its connections the call runs with.
		ConnectionID: r.Header.Get(ConnectionHeader),
	})
	if err != nil {
		return err
	}
	out := res.Output
	if isEmpty(out) {
		out = []byte("null")
	}
	writeRawJSON(w, http.StatusOK, out)
	return nil
}
