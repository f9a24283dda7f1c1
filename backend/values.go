package backend

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard/registry"
)

// Values are what the templates of one call read. Run reads them during
// the call and keeps none of them; the secret and connection values it
// sends are redacted from every error and every output it returns.
type Values struct {
	// Input is the action's validated input, decoded with
	// json.Decoder.UseNumber so that numbers keep their exact text.
	// {{input.a.b}} walks nested objects; a numeric segment indexes an
	// array.
	Input map[string]any
	// Config holds the integration's plain config values, defaults applied.
	Config map[string]any
	// Secrets holds the platform secrets the action names, by config
	// property name ({{secrets.botToken}}).
	Secrets map[string][]byte
	// Connection holds the fields of the connection the call runs with:
	// accessToken, or the fields of a credential form.
	Connection map[string]string
	// UserID is the user the call runs for, or "" when there is none.
	UserID string
}

// walk follows path through nested objects and arrays from root.
func walk(root map[string]any, path []string) (any, bool) {
	if root == nil || len(path) == 0 {
		return nil, false
	}
	cur, ok := root[path[0]]
	if !ok {
		return nil, false
	}
	for _, key := range path[1:] {
		if cur, ok = step(cur, key); !ok {
			return nil, false
		}
	}
	return cur, true
}

// step returns the member key of an object, or the item at index key of an
// array.
func step(cur any, key string) (any, bool) {
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[key]
		return v, ok
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(c) {
			return nil, false
		}
		return c[i], true
	}
	return nil, false
}

// textOf renders a value as text: a string as is, null as "", a number or
// boolean as its JSON text, an object or array as compact JSON.
func textOf(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	var buf bytes.Buffer
	if err := appendJSON(&buf, v); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// appendJSON writes v to buf as compact JSON, without HTML escaping.
func appendJSON(buf *bytes.Buffer, v any) error {
	if s, ok := v.(string); ok && plainString(s) {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return nil
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // the newline Encode adds
	return nil
}

// plainString reports whether s needs no escaping inside a JSON string.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointer returns the JSON pointer of an input path, "/a/b".
func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(p))
	}
	return b.String()
}

// fieldPath names where a placeholder's value comes from in a FieldError:
// a JSON pointer into the input, or the placeholder itself.
func fieldPath(ref registry.Ref) string {
	if ref.NS == registry.NSInput {
		return pointer(ref.Path)
	}
	return ref.String()
}
