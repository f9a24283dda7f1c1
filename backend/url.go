package backend

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/switchboard-dev/switchboard/registry"
)

// lookupFunc returns the value of a placeholder, and false when it has none.
type lookupFunc func(registry.Ref) (any, bool)

// url renders the request URL and checks where it leads. It returns nil
// after recording why the URL cannot be used.
func (r *renderer) url(t registry.Template) *url.URL {
	w := urlWriter{r: r, look: r.lookup, ok: true}
	raw, ok := w.render(t)
	if !ok {
		return nil
	}
	u, err := parseTarget(raw)
	if err != nil {
		r.internal(fmt.Errorf("request url: %w", err))
		return nil
	}
	if !untrustedOrigin(t) {
		return u
	}

	// Defence in depth beside the deploy-time check: the origin must not
	// move when every value a caller controls is replaced.
	ref := urlWriter{look: r.reference, ok: true}
	refRaw, _ := ref.render(t)
	refURL, err := parseTarget(refRaw)
	if err != nil || !strings.EqualFold(u.Scheme, refURL.Scheme) ||
		!strings.EqualFold(u.Host, refURL.Host) {
		r.internal(errors.New("request url: the origin depends on a caller's value"))
		return nil
	}
	return u
}

// reference looks a placeholder up for the origin check: the values of
// the manifest and the administrator as they are, every other one as "a".
func (r *renderer) reference(ref registry.Ref) (any, bool) {
	switch ref.NS {
	case registry.NSConfig:
		return walk(r.v.Config, ref.Path)
	case registry.NSSecrets:
		b, ok := r.v.Secrets[ref.Path[0]]
		return string(b), ok
	}
	return "a", true
}

// untrustedOrigin reports whether t holds a placeholder whose value neither
// the manifest nor the administrator decides.
func untrustedOrigin(t registry.Template) bool {
	for _, s := range t.Segments {
		if s.Ref != nil && s.Ref.NS != registry.NSConfig && s.Ref.NS != registry.NSSecrets {
			return true
		}
	}
	return false
}

// urlWriter renders a URL template. Before "?" each value is escaped as a
// path segment, after it as a query component; a leading {{config...}} is
// the base URL and goes in as is.
type urlWriter struct {
	// r receives problems; nil renders quietly.
	r    *renderer
	look lookupFunc
	b    strings.Builder
	ok   bool

	inQuery bool
	// segAt is where the current path segment starts in b, seg the
	// placeholders rendered into it.
	segAt int
	seg   []registry.Ref
}

func (w *urlWriter) render(t registry.Template) (string, bool) {
	for i, s := range t.Segments {
		switch {
		case s.Ref == nil:
			w.literal(s.Literal)
		case i == 0 && s.Ref.NS == registry.NSConfig:
			w.base(*s.Ref)
		default:
			w.value(*s.Ref)
		}
	}
	w.endSegment()
	return w.b.String(), w.ok
}

func (w *urlWriter) literal(s string) {
	if w.inQuery {
		w.b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '/':
			w.endSegment()
		case '?', '#':
			w.endSegment()
			w.inQuery = true
			w.b.WriteString(s[i:])
			return
		}
		w.b.WriteByte(c)
		if c == '/' {
			w.segAt = w.b.Len()
		}
	}
}

// base writes the administrator's base URL, without trailing slashes.
func (w *urlWriter) base(ref registry.Ref) {
	v, ok := w.look(ref)
	s, isString := v.(string)
	prop := ref.Path[0]
	switch {
	case !ok || !isString || s == "":
		w.notConfigured(prop, "%s is not configured: %s has no value")
		return
	case !validBase(s):
		w.notConfigured(prop, "%s is not configured: %s must be an absolute http or https "+
			"URL with a host and no user, query or fragment")
		return
	}
	w.b.WriteString(strings.TrimRight(s, "/"))
	w.segAt = w.b.Len()
}

func (w *urlWriter) notConfigured(prop, format string) {
	w.ok = false
	if w.r != nil {
		w.r.notConfigured(prop, fmt.Sprintf(format, w.r.service, prop))
	}
}

// value writes one placeholder's value, escaped for where it lands.
func (w *urlWriter) value(ref registry.Ref) {
	v, ok := w.look(ref)
	if !ok {
		w.absent(ref)
		return
	}
	s, err := textOf(v)
	if err != nil {
		w.ok = false
		if w.r != nil {
			w.r.internal(err)
		}
		return
	}
	if w.inQuery {
		w.b.WriteString(url.QueryEscape(s))
		return
	}
	w.b.WriteString(pathEscape(s))
	w.seg = append(w.seg, ref)
}

// absent records a placeholder without a value: a URL has no field to drop.
func (w *urlWriter) absent(ref registry.Ref) {
	w.ok = false
	if w.r == nil {
		return
	}
	switch ref.NS {
	case registry.NSInput, registry.NSUser:
		w.r.invalid(ref, "is required: it goes in the request URL")
	case registry.NSConfig:
		w.r.notConfigured(ref.Path[0], fmt.Sprintf("%s is not configured: %s has no value",
			w.r.service, ref.Path[0]))
	}
	// secrets and connection values are reported by lookup.
}

// endSegment refuses a path segment that placeholders made empty, "." or
// "..", which would change the path the manifest meant.
func (w *urlWriter) endSegment() {
	seg := w.seg
	w.seg = nil
	if w.inQuery || len(seg) == 0 {
		return
	}
	switch w.b.String()[w.segAt:] {
	case "", ".", "..":
	default:
		return
	}
	w.ok = false
	if w.r == nil {
		return
	}
	if len(seg) == 1 {
		w.r.invalid(seg[0], "may not be empty, '.' or '..' in a URL path")
		return
	}
	for _, ref := range seg {
		w.r.invalid(ref, "may not make, with the values beside it, "+
			"an empty, '.' or '..' segment of a URL path")
	}
}

// validBase reports whether s can start a request URL.
func validBase(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// parseTarget parses a rendered request URL, which must be absolute http or
// https with a host and no user info.
func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// The parser's message quotes the URL, which may hold secrets.
		return nil, errors.New("not a valid URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("the scheme is not http or https")
	case u.Host == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("user info before the host")
	}
	return u, nil
}

// pathEscape escapes s as one URL path segment: only RFC 3986 unreserved
// characters stay literal.
func pathEscape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~'
}
