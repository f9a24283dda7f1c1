package httpapi

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// pageCSP allows a page its inline style and nothing else: no script, no
// image, no frame around it, and forms that post back to this server only.
// It sets no form-action: the connect link's form posts to the page itself,
// whose answer redirects to the provider, and browsers check form-action
// against every hop of a form's redirects; with no script, the page holds
// no form but its own.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// setPageHeaders sets what every page and redirect of the browser flows
// carries: no caching, a strict content security policy, no framing, no
// referrer (a connect link's URL is its secret) and no content sniffing.
func setPageHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

// page is what the one page template shows. Every value is escaped by
// html/template; none may hold a credential or a link's token.
type page struct {
	Title   string
	Message string
	Failed  bool
	// Done adds that the window may be closed.
	Done bool
	Form *formPage
}

// formPage is a credential form shown through a connect link. It has no
// action: the browser posts it back to the link's own URL.
type formPage struct {
	Integration string
	User        string
	Fields      []formField
	Errors      []string
	// Nonce ties the post to this page (see issueLinkNonce).
	Nonce string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}} · Switchboard</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem}
h1{font-size:1.4rem}.error{color:#a40000}.hint{font-size:.85rem;color:#555;margin:.2rem 0 0}
label{display:block;margin-top:1rem;font-weight:600}
input,select,textarea{width:100%;box-sizing:border-box;padding:.45rem;margin-top:.25rem}
input[type=checkbox]{width:auto}button{margin-top:1.5rem;padding:.5rem 1.25rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Message}}<p class="{{if $.Failed}}error{{end}}">{{.}}</p>{{end}}
{{with .Form}}
<p>This form connects a {{.Integration}} account for <strong>{{.User}}</strong>.
Go on only if that is you.</p>
{{with .Errors}}<ul class="error">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<form method="post" autocomplete="off">
<input type="hidden" name="_sb_nonce" value="{{.Nonce}}">
{{range .Fields}}
<label for="f-{{.Name}}">{{.Label}}{{if .Required}} *{{end}}</label>
{{if eq .Input "select"}}<select id="f-{{.Name}}" name="{{.Name}}">
{{if not .Required}}<option value=""></option>{{end}}
{{range .Options}}<option value="{{.Value}}">{{.Label}}</option>{{end}}
</select>
{{else if eq .Input "checkbox"}}
<input type="checkbox" id="f-{{.Name}}" name="{{.Name}}" value="true">
{{else if eq .Input "textarea"}}<textarea id="f-{{.Name}}" name="{{.Name}}" rows="4"></textarea>
{{else}}<input type="{{.Input}}" id="f-{{.Name}}" name="{{.Name}}"
{{- if eq .Input "number"}} step="any"{{end}}{{if .Required}} required{{end}}>
{{end}}
{{with .Description}}<p class="hint">{{.}}</p>{{end}}
{{with .Error}}<p class="error">{{.}}</p>{{end}}
{{end}}
<button type="submit">Connect</button>
</form>
{{end}}
{{if .Done}}<p>You can close this window.</p>{{end}}
</body>
</html>
`))

// writePage answers status with p rendered.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, status int, p page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "page not rendered",
			slog.String(logkey.RequestID, RequestID(r.Context())),
			slog.String(logkey.Route, routePattern(r)), slog.Any(logkey.Err, err))
		noteCode(r.Context(), switchboard.CodeInternal)
		setPageHeaders(w.Header())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	setPageHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// failPage answers err as a page titled title, with the error's client-safe
// message and its code's status; the cause of an internal error is logged.
func (s *Server) failPage(w http.ResponseWriter, r *http.Request, title string, err error) {
	e := s.noteFailure(r, err)
	s.writePage(w, r, e.Code.Status(), page{Title: title, Message: e.Message, Failed: true})
}

// redirect sends the browser to target with status, carrying the page
// headers and no body.
func redirect(w http.ResponseWriter, target string, status int) {
	h := w.Header()
	setPageHeaders(h)
	h.Set("Location", target)
	w.WriteHeader(status)
}
