package backend

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// renderer fills the templates of one call. It remembers the secret and
// connection values it hands out, for redaction, and collects every problem
// so that the caller hears of all of them at once.
type renderer struct {
	v Values
	// service is the service's name, for messages.
	service string

	// secrets are the credential values the request carries.
	secrets []string
	// credentialed is set once the request carries any credential.
	credentialed bool

	fields    []switchboard.FieldError
	fieldMsgs []string
	missing   []string
	configMsg string
	err       error
}

// lookup returns the value of ref, and false when it has none.
func (r *renderer) lookup(ref registry.Ref) (any, bool) {
	switch ref.NS {
	case registry.NSInput:
		return walk(r.v.Input, ref.Path)
	case registry.NSConfig:
		return walk(r.v.Config, ref.Path)
	case registry.NSSecrets:
		return r.secret(ref.Path)
	case registry.NSConnection:
		return r.connection(ref.Path)
	case registry.NSUser:
		return r.v.UserID, r.v.UserID != ""
	}
	r.internal(fmt.Errorf("unknown namespace %q", ref.NS))
	return nil, false
}

// secret returns a platform secret. A template never names an optional
// secret: sending a request without the credential would only earn an
// obscure refusal from the service.
func (r *renderer) secret(path []string) (any, bool) {
	b, ok := r.v.Secrets[path[0]]
	if !ok || len(path) != 1 {
		r.notConfigured(path[0], fmt.Sprintf("%s is not configured: the secret %s has no value",
			r.service, path[0]))
		return nil, false
	}
	s := string(b)
	r.remember(s)
	return s, true
}

func (r *renderer) connection(path []string) (any, bool) {
	s, ok := r.v.Connection[path[0]]
	if !ok || len(path) != 1 {
		r.fail(switchboard.Errorf(switchboard.CodeNotConnected,
			"%s needs a connected account with %s; connect one and try again",
			r.service, path[0]))
		return nil, false
	}
	r.remember(s)
	return s, true
}

// remember notes that the request carries credential s.
func (r *renderer) remember(s string) {
	r.credentialed = true
	if s != "" {
		r.secrets = append(r.secrets, s)
	}
}

// invalid records that the value of ref cannot be used; msg follows the
// placeholder's name in a sentence.
func (r *renderer) invalid(ref registry.Ref, msg string) {
	r.fields = append(r.fields, switchboard.FieldError{Path: fieldPath(ref), Message: msg})
	r.fieldMsgs = append(r.fieldMsgs, ref.String()+" "+msg)
}

func (r *renderer) notConfigured(prop, msg string) {
	if !slices.Contains(r.missing, prop) {
		r.missing = append(r.missing, prop)
	}
	if r.configMsg == "" {
		r.configMsg = msg
	}
}

func (r *renderer) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *renderer) internal(err error) {
	r.fail(switchboard.Wrap(switchboard.CodeInternal, err,
		"the request to "+r.service+" could not be built"))
}

// failure returns the first problem met while rendering: an internal or
// connection fault, then missing config, then every invalid value.
func (r *renderer) failure() error {
	switch {
	case r.err != nil:
		return r.err
	case len(r.missing) > 0:
		return &switchboard.Error{Code: switchboard.CodeNotConfigured,
			Message: r.configMsg, Missing: r.missing}
	case len(r.fields) > 0:
		return &switchboard.Error{Code: switchboard.CodeInvalidInput,
			Message: strings.Join(r.fieldMsgs, "; "), Errors: r.fields}
	}
	return nil
}

// valueText renders a value as text (see textOf).
func (r *renderer) valueText(v any) string {
	s, err := textOf(v)
	if err != nil {
		r.internal(err)
	}
	return s
}

// text renders t as text: each placeholder's value as text, "" when absent.
func (r *renderer) text(t registry.Template) string {
	if len(t.Segments) == 1 && t.Segments[0].Ref == nil {
		return t.Segments[0].Literal
	}
	var b strings.Builder
	for _, s := range t.Segments {
		if s.Ref == nil {
			b.WriteString(s.Literal)
		} else if v, ok := r.lookup(*s.Ref); ok {
			b.WriteString(r.valueText(v))
		}
	}
	return b.String()
}

// param renders a template that makes a whole field; ok is false when the
// field is dropped because its one placeholder has no value.
func (r *renderer) param(t registry.Template) (s string, ok bool) {
	if ref, whole := t.Whole(); whole {
		v, ok := r.lookup(ref)
		if !ok {
			return "", false
		}
		return r.valueText(v), true
	}
	return r.text(t), true
}

// headers builds the request's headers: the defaults, the manifest's
// headers, then its auth.
func (r *renderer) headers(rq *registry.Request, userAgent, contentType string) http.Header {
	h := make(http.Header, 4+len(rq.Headers))
	h.Set("Accept", "application/json")
	h.Set("User-Agent", userAgent)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for _, p := range rq.Headers {
		r.header(h, p.Name, p.Value, false)
	}
	if rq.Auth != nil {
		r.auth(h, rq.Auth)
	}
	return h
}

// header sets header name from t unless the field is dropped. A credential
// is remembered for redaction.
func (r *renderer) header(h http.Header, name string, t registry.Template, cred bool) {
	if !validHeaderName(name) {
		r.internal(fmt.Errorf("header name %q is not a token", name))
		return
	}
	s, ok := r.param(t)
	if !ok || !r.headerSafe(t, s) {
		return
	}
	if cred {
		r.remember(s)
	}
	h.Set(name, s)
}

// headerSafe reports whether s may go in a header, and otherwise records
// which value holds a control character (CR, LF, NUL and the like).
func (r *renderer) headerSafe(t registry.Template, s string) bool {
	if !hasCTL(s) {
		return true
	}
	for _, ref := range t.Refs() {
		v, ok := r.lookup(ref)
		if ok && hasCTL(r.valueText(v)) {
			r.unsafeHeaderValue(ref)
			return false
		}
	}
	r.internal(errors.New("a header template holds a control character"))
	return false
}

func (r *renderer) unsafeHeaderValue(ref registry.Ref) {
	const why = "holds a line break or other control character, which a header cannot carry"
	switch ref.NS {
	case registry.NSConfig, registry.NSSecrets:
		r.notConfigured(ref.Path[0], fmt.Sprintf("%s's config property %s %s",
			r.service, ref.Path[0], why))
	case registry.NSConnection:
		r.fail(switchboard.Errorf(switchboard.CodeNotConnected,
			"the connected account's %s %s; connect it again", ref.Path[0], why))
	default:
		r.invalid(ref, "may not hold a line break or other control character: it goes in a header")
	}
}

// auth sets the Authorization header, or the auth block's own header.
func (r *renderer) auth(h http.Header, a *registry.Auth) {
	r.credentialed = true
	switch {
	case a.Bearer != nil:
		s, ok := r.param(*a.Bearer)
		if ok && r.headerSafe(*a.Bearer, s) {
			r.remember(s)
			h.Set("Authorization", "Bearer "+s)
		}
	case a.Basic != nil:
		pair := r.text(a.Basic.Username) + ":" + r.text(a.Basic.Password)
		enc := base64.StdEncoding.EncodeToString([]byte(pair))
		r.remember(enc)
		h.Set("Authorization", "Basic "+enc)
	case a.Header != nil:
		r.header(h, a.Header.Name, a.Header.Value, true)
	}
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// body renders the request body and names its content type; nil is no
// body.
func (r *renderer) body(rq *registry.Request) ([]byte, string) {
	switch {
	case rq.JSON != nil:
		if b := r.jsonBody(rq.JSON); b != nil {
			return b, "application/json"
		}
	case rq.Form != nil:
		return r.form(rq.Form), "application/x-www-form-urlencoded"
	}
	return nil, ""
}

// query renders the query block, url.Values style (sorted by name).
func (r *renderer) query(params []registry.Param) string {
	if len(params) == 0 {
		return ""
	}
	q := make(url.Values, len(params))
	for _, p := range params {
		if s, ok := r.param(p.Value); ok {
			q.Add(p.Name, s)
		}
	}
	return q.Encode()
}

// jsonBody renders a JSON body; nil means no body.
func (r *renderer) jsonBody(n *registry.Node) []byte {
	var buf bytes.Buffer
	if !r.node(&buf, n) {
		return nil
	}
	return buf.Bytes()
}

// node writes n to buf, or reports false when n is dropped.
func (r *renderer) node(buf *bytes.Buffer, n *registry.Node) bool {
	switch n.Kind {
	case registry.NodeLiteral:
		if len(n.Literal) == 0 {
			buf.WriteString("null")
		}
		buf.Write(n.Literal)
	case registry.NodeString:
		return r.stringNode(buf, n.String)
	case registry.NodeObject:
		r.object(buf, n.Members)
	case registry.NodeArray:
		r.array(buf, n.Items)
	default:
		r.internal(fmt.Errorf("body node of kind %d", n.Kind))
		return false
	}
	return true
}

// stringNode writes a string template: one whole placeholder keeps its
// value's JSON type, anything else is a string.
func (r *renderer) stringNode(buf *bytes.Buffer, t registry.Template) bool {
	var v any
	if ref, whole := t.Whole(); whole {
		var ok bool
		if v, ok = r.lookup(ref); !ok {
			return false
		}
	} else {
		v = r.text(t)
	}
	if err := appendJSON(buf, v); err != nil {
		r.internal(err)
		buf.WriteString("null")
	}
	return true
}

func (r *renderer) object(buf *bytes.Buffer, members []registry.Member) {
	buf.WriteByte('{')
	n := 0
	for _, m := range members {
		mark := buf.Len()
		if n > 0 {
			buf.WriteByte(',')
		}
		_ = appendJSON(buf, m.Key) // a string always encodes
		buf.WriteByte(':')
		if !r.node(buf, m.Value) {
			buf.Truncate(mark)
			continue
		}
		n++
	}
	buf.WriteByte('}')
}

func (r *renderer) array(buf *bytes.Buffer, items []*registry.Node) {
	buf.WriteByte('[')
	n := 0
	for _, item := range items {
		mark := buf.Len()
		if n > 0 {
			buf.WriteByte(',')
		}
		if !r.node(buf, item) {
			buf.Truncate(mark)
			continue
		}
		n++
	}
	buf.WriteByte(']')
}

// form renders an application/x-www-form-urlencoded body in field order.
func (r *renderer) form(params []registry.Param) []byte {
	var b strings.Builder
	for _, p := range params {
		ref, whole := p.Value.Whole()
		if !whole {
			addPair(&b, p.Name, r.text(p.Value))
			continue
		}
		if v, ok := r.lookup(ref); ok {
			r.flatten(&b, p.Name, v)
		}
	}
	return []byte(b.String())
}

// flatten writes v under key, objects and arrays in brackets as
// metadata[key]=v and items[0][price]=p; an empty one writes nothing.
func (r *renderer) flatten(b *strings.Builder, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			r.flatten(b, key+"["+k+"]", v[k])
		}
	case []any:
		for i, item := range v {
			r.flatten(b, key+"["+strconv.Itoa(i)+"]", item)
		}
	default:
		addPair(b, key, r.valueText(v))
	}
}

func addPair(b *strings.Builder, key, value string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(url.QueryEscape(key))
	b.WriteByte('=')
	b.WriteString(url.QueryEscape(value))
}
