package backend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard"
)

const (
	// maxSnippet bounds the part of an error answer quoted in a message.
	maxSnippet = 300
	// maxCode bounds a service's error code.
	maxCode = 200
)

// output turns a 2xx answer into the action's output: {} for an empty
// body, a JSON string for one that is not JSON, and otherwise the body after
// the response block's errorWhen and pick. Credentials the request carried
// are redacted from it.
func (c *call) output(status int, body []byte) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if !json.Valid(trimmed) {
		if r := c.redactor(); r != nil {
			body = r.text(body)
		}
		var buf bytes.Buffer
		_ = appendJSON(&buf, string(body)) // a string always encodes
		return buf.Bytes(), nil
	}
	out, err := c.shape(status, trimmed)
	if err != nil {
		return nil, err
	}
	return c.redactOutput(status, out)
}

// shape applies the response block's errorWhen and pick to a JSON answer.
func (c *call) shape(status int, body []byte) (json.RawMessage, error) {
	spec := c.act.Request.Response
	if spec == nil || (spec.ErrorWhen == nil && spec.Pick == "") {
		return body, nil
	}
	doc, err := decode(body)
	if err != nil {
		return nil, c.unreadable(err)
	}

	if w := spec.ErrorWhen; w != nil && c.matches(doc, w.Path, w.Equals) {
		code := c.code(doc)
		msg := c.service + " refused the request"
		if code != "" {
			msg += ": " + code
		}
		return nil, &switchboard.Error{Code: switchboard.CodeUpstream, Message: msg,
			UpstreamStatus: status, UpstreamCode: code}
	}
	if spec.Pick == "" {
		return body, nil
	}
	return c.pick(doc, spec.Pick)
}

// redactOutput replaces every credential the request carried in out, a
// JSON document, keeping it valid JSON (see [redactor.json]). A credential
// that cannot be replaced so, such as one spread over several tokens, makes
// the answer an upstream_error.
func (c *call) redactOutput(status int, out json.RawMessage) (json.RawMessage, error) {
	r := c.redactor()
	if r == nil || !r.contains(out) {
		return out, nil
	}
	out, ok := r.json(out)
	if !ok {
		return nil, &switchboard.Error{Code: switchboard.CodeUpstream, UpstreamStatus: status,
			Message: "the answer from " + c.service + " holds a credential of the request " +
				"that could not be redacted"}
	}
	return out, nil
}

// pick returns the value at path of doc, or null.
func (c *call) pick(doc any, path string) (json.RawMessage, error) {
	v, ok := at(doc, path)
	if !ok {
		return json.RawMessage("null"), nil
	}
	var buf bytes.Buffer
	if err := appendJSON(&buf, v); err != nil {
		return nil, c.unreadable(err)
	}
	return buf.Bytes(), nil
}

func (c *call) unreadable(err error) error {
	return switchboard.Wrap(switchboard.CodeInternal, err,
		"the answer from "+c.service+" could not be read")
}

// matches reports whether the value at path equals want, as JSON.
func (c *call) matches(doc any, path string, want json.RawMessage) bool {
	got, ok := at(doc, path)
	if !ok {
		return false
	}
	var w any
	if len(want) > 0 {
		var err error
		if w, err = decode(want); err != nil {
			return false
		}
	}
	return jsonEqual(got, w)
}

// code returns the service's error code at the response block's errorCode,
// redacted, or "".
func (c *call) code(doc any) string {
	spec := c.act.Request.Response
	if spec == nil || spec.ErrorCode == "" {
		return ""
	}
	v, ok := at(doc, spec.ErrorCode)
	if !ok {
		return ""
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	default:
		return ""
	}
	return collapse(c.redact(s), maxCode)
}

// refused builds the upstream_error of a non-2xx answer.
func (c *call) refused(status int, body []byte) error {
	e := &switchboard.Error{Code: switchboard.CodeUpstream, UpstreamStatus: status}
	if doc, err := decode(bytes.TrimSpace(body)); err == nil {
		e.UpstreamCode = c.code(doc)
	}
	e.Message = fmt.Sprintf("%s answered %d", c.service, status)
	if c.redir.refused != "" && status >= 300 && status < 400 {
		e.Message += ": " + c.redir.refused
	} else if s := c.snippet(body); s != "" {
		e.Message += ": " + s
	}
	return e
}

// snippet quotes the start of an error answer: credentials redacted first
// (inside the strings of a JSON answer, in the whole text of any other or
// of one where a credential spans tokens), then whitespace collapsed and
// the text cut.
func (c *call) snippet(body []byte) string {
	if r := c.redactor(); r != nil && r.contains(body) {
		out, ok := []byte(nil), false
		if json.Valid(body) {
			out, ok = r.json(body)
		}
		if !ok {
			out = r.text(body)
		}
		body = out
	}
	return collapse(strings.ToValidUTF8(string(body), "\uFFFD"), maxSnippet)
}

// collapse joins the words of s with single spaces, drops control
// characters, and cuts the result to about max bytes.
func collapse(s string, max int) string {
	var b strings.Builder
	gap := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			gap = b.Len() > 0
			continue
		}
		if b.Len()+1+utf8.RuneLen(r) > max {
			return b.String() + "…"
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decode parses one JSON value, numbers as json.Number.
func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// at returns the value at a dot-separated path of doc, numeric segments
// indexing arrays; the empty path is doc itself.
func at(doc any, path string) (any, bool) {
	if path == "" {
		return doc, true
	}
	cur := doc
	for key := range strings.SplitSeq(path, ".") {
		var ok bool
		if cur, ok = step(cur, key); !ok {
			return nil, false
		}
	}
	return cur, true
}

// jsonEqual compares two decoded JSON values; numbers compare by value.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		return ok && numberEqual(a, bn)
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !jsonEqual(av, bv) {
				return false
			}
		}
		return true
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], bs[i]) {
				return false
			}
		}
		return true
	case string, bool, nil:
		return a == b
	}
	return false
}

// numberEqual compares integers exactly and other numbers as float64.
func numberEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	ai, aErr := strconv.ParseInt(string(a), 10, 64)
	bi, bErr := strconv.ParseInt(string(b), 10, 64)
	if aErr == nil && bErr == nil {
		return ai == bi
	}
	af, aErr := strconv.ParseFloat(string(a), 64)
	bf, bErr := strconv.ParseFloat(string(b), 64)
	return aErr == nil && bErr == nil && af == bf
}
