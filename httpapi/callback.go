package httpapi

import (
	"net/http"
	"net/url"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/credentials"
)

// publicOrigin gives a request that carries no bearer token the audit
// origin of the REST surface, with no actor: what it changes is recorded
// on behalf of the user its state or link belongs to.
func publicOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := audit.WithOrigin(r.Context(), audit.Origin{
			Surface: audit.SurfaceREST, RequestID: RequestID(r.Context()),
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// callback finishes an OAuth flow: the provider sends the browser here
// with the state Start issued and a code, or an error. The state is the
// proof, together with the cookie that binds it to the browser that
// started the flow (see bindBrowser); no bearer token is asked for. The browser goes back to the
// flow's returnTo when it had one that is still allowed, with ?connected=
// or ?error=; otherwise it is shown a page saying what happened, which
// never holds the code, the state or a token.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	if err := checkBinding(w, r); err != nil {
		// The state is left as it is: in this browser it proves nothing.
		s.failPage(w, r, "The account was not connected", err)
		return
	}
	q := r.URL.Query()
	res, err := s.conns.Callback(r.Context(), s.reg.Snapshot().Integration,
		credentials.CallbackRequest{
			State: q.Get("state"), Code: q.Get("code"),
			Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
		})
	if res.ReturnTo != "" && s.returnAllowed(res.ReturnTo) {
		s.sendBack(w, r, res, err)
		return
	}
	name := res.Integration
	if name == "" {
		name = res.AppID
	}
	if err != nil {
		title := "The account was not connected"
		if name != "" {
			title = name + " was not connected"
		}
		s.failPage(w, r, title, err)
		return
	}
	s.writePage(w, r, http.StatusOK, page{
		Title:   "Connected to " + name,
		Message: "The connection " + quoted(res.Connection.Label) + " is ready to use.",
		Done:    true,
	})
}

// sendBack redirects the browser to the flow's returnTo with the outcome:
// connected=<integration>&connection=<id>, or
// error=<code>&integration=<integration>.
func (s *Server) sendBack(w http.ResponseWriter, r *http.Request,
	res credentials.CallbackResult, err error) {
	set := url.Values{}
	if err != nil {
		e := s.noteFailure(r, err)
		set.Set("error", string(e.Code))
		set.Set("integration", res.AppID)
	} else {
		set.Set("connected", res.AppID)
		set.Set("connection", res.Connection.ID)
	}
	target, perr := returnURL(res.ReturnTo, set)
	if perr != nil {
		s.failPage(w, r, "The account was not connected", switchboard.Wrap(
			switchboard.CodeInternal, perr, "internal error"))
		return
	}
	redirect(w, target, http.StatusSeeOther)
}

// quoted puts s in typographic quotes.
func quoted(s string) string { return "\u201c" + s + "\u201d" }
