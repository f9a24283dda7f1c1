package httpapi

import (
	"errors"
	"mime"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/registry"
)

// openConnectLink follows a connect link, which a browser opens without a
// bearer token: the token in the path is the proof. It never uses the link
// up on a GET, which link previews and mail scanners send: for OAuth 2.0 it
// asks the person to confirm, naming the user the account will connect to,
// and for a credential form it shows the form. Both post back to the link.
// A used, expired or unknown link is a page saying so.
func (s *Server) openConnectLink(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	in, link, ok := s.linkTarget(w, r, token)
	if !ok {
		return
	}
	switch in.Manifest.UserAuth.Model() {
	case registry.UserAuthOAuth2:
		s.writePage(w, r, http.StatusOK, page{
			Title: "Connect " + displayName(in),
			Form: &formPage{Integration: displayName(in), User: link.User.String(),
				Nonce: issueLinkNonce(w, r, token)},
		})
	case registry.UserAuthCredentials:
		s.showForm(w, r, in, token, link, http.StatusOK, nil)
	default:
		s.linkFailed(w, r, in, switchboard.Errorf(switchboard.CodeNotImplemented,
			"%s connects accounts in a way this page cannot show", displayName(in)))
	}
}

// postConnectLink acts on a connect link confirmed on its own page in this
// browser (the form's nonce matches its cookie; see issueLinkNonce): for OAuth 2.0 it uses
// the link up and sends the browser to the provider's authorization page,
// the flow running as the link's user and bound to this browser, then
// coming back to the link's return_to (when allowed) or to a result page; for a credential form
// (application/x-www-form-urlencoded) it stores the connection and shows
// the result. Values that do not match the schema show the form again with
// what is wrong, the link kept; values are never echoed.
func (s *Server) postConnectLink(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	in, link, ok := s.linkTarget(w, r, token)
	if !ok {
		return
	}
	if err := parseForm(r); err != nil {
		s.linkFailed(w, r, in, err)
		return
	}
	if err := checkLinkNonce(r, token); err != nil {
		s.linkFailed(w, r, in, err)
		return
	}
	clearLinkNonce(w, token)
	if in.Manifest.UserAuth.Model() == registry.UserAuthOAuth2 {
		returnTo := r.URL.Query().Get(credentials.ReturnToParam)
		if returnTo != "" && !s.returnAllowed(returnTo) {
			s.linkFailed(w, r, in, invalidRequest(
				"the link's return_to is not one this server may send browsers to"))
			return
		}
		flow, err := s.conns.StartLink(r.Context(), in, token, returnTo)
		if err != nil {
			s.linkFailed(w, r, in, err)
			return
		}
		bindBrowser(w, flow.URL)
		redirect(w, flow.URL, http.StatusSeeOther)
		return
	}
	fields, err := formFields(in)
	if err != nil {
		s.linkFailed(w, r, in, err)
		return
	}
	c, err := s.conns.SaveLinkCredentials(r.Context(), in, token,
		formValues(fields, r.PostForm), "")
	if e, ok := errors.AsType[*switchboard.Error](err); ok &&
		e.Code == switchboard.CodeInvalidInput {
		s.noteFailure(r, err)
		s.showForm(w, r, in, token, link, e.Code.Status(), e)
		return
	}
	if err != nil {
		s.linkFailed(w, r, in, err)
		return
	}
	s.writePage(w, r, http.StatusOK, page{
		Title:   "Connected to " + displayName(in),
		Message: "The connection " + quoted(c.Label) + " is ready to use.",
		Done:    true,
	})
}

// linkTarget opens the connect link token and returns the installed
// integration it connects. When it cannot, it answers the page saying why
// and returns false.
func (s *Server) linkTarget(w http.ResponseWriter, r *http.Request, token string,
) (*registry.Integration, credentials.Link, bool) {
	link, err := s.conns.OpenLink(r.Context(), token)
	if err != nil {
		s.linkFailed(w, r, nil, err)
		return nil, link, false
	}
	in := s.reg.Snapshot().Integration(link.AppID)
	if in == nil {
		s.failPage(w, r, "This link can no longer be used", notDeployed(link.AppID))
		return nil, link, false
	}
	return in, link, true
}

// linkFailed answers err as a page. A link that is unknown, used or
// expired (not_found from the connection manager) is a 410 page saying
// so.
func (s *Server) linkFailed(w http.ResponseWriter, r *http.Request, in *registry.Integration,
	err error) {
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		s.noteFailure(r, err)
		s.writePage(w, r, http.StatusGone, page{
			Title: "This link can no longer be used",
			Message: "Connect links work once, for ten minutes. Call the action again " +
				"for a new link.",
			Failed: true,
		})
		return
	}
	title := "The account was not connected"
	if in != nil {
		title = displayName(in) + " was not connected"
	}
	s.failPage(w, r, title, err)
}

// showForm answers the credential form of in for link's user, with the
// problems of invalid when it is not nil.
func (s *Server) showForm(w http.ResponseWriter, r *http.Request, in *registry.Integration,
	token string, link credentials.Link, status int, invalid *switchboard.Error) {
	fields, err := formFields(in)
	if err != nil {
		s.linkFailed(w, r, in, err)
		return
	}
	form := &formPage{Integration: displayName(in), User: link.User.String(), Fields: fields,
		Nonce: issueLinkNonce(w, r, token)}
	if invalid != nil {
		form.Errors = placeErrors(form.Fields, invalid.Errors)
		if len(form.Errors) == 0 && len(invalid.Errors) == 0 {
			form.Errors = []string{invalid.Message}
		}
	}
	s.writePage(w, r, status, page{Title: "Connect " + displayName(in), Form: form})
}

// parseForm reads r's urlencoded body into r.PostForm.
func parseForm(r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return invalidRequest("post the form as application/x-www-form-urlencoded")
	}
	err := r.ParseForm()
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(mbe.Limit)
	}
	if err != nil {
		return switchboard.Wrap(switchboard.CodeInvalidRequest, err,
			"the form could not be read")
	}
	return nil
}
