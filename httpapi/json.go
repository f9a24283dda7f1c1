package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard"
)

// readBody reads r's body, at most limit bytes. A longer body is too_large
// whether the body limit middleware or limit stopped it.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, tooLarge(mbe.Limit)
	}
	if err != nil {
		return nil, switchboard.Wrap(switchboard.CodeInvalidRequest, err,
			"the request body could not be read")
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

func tooLarge(limit int64) *switchboard.Error {
	return switchboard.Errorf(switchboard.CodeTooLarge,
		"the request body is larger than %d bytes", limit)
}

func isEmpty(body []byte) bool { return len(bytes.TrimSpace(body)) == 0 }

// parseJSON decodes body, which must be a JSON object, into dst. When dst
// points to a struct, a field it does not declare (by its exact json name)
// is refused. Errors are invalid_request naming the field or the position,
// never quoting the body, which may hold a secret.
func parseJSON(body []byte, dst any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			line, col := position(body, se.Offset)
			return invalidRequest("the request body is not valid JSON (line %d, column %d)",
				line, col)
		}
		return invalidRequest("the request body must be a JSON object")
	}
	if known, ok := jsonFields(dst); ok {
		if unknown := unknownFields(fields, known); len(unknown) > 0 {
			return invalidRequest("unknown field %s in the request body",
				strings.Join(unknown, ", "))
		}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		te, ok := errors.AsType[*json.UnmarshalTypeError](err)
		switch {
		case ok && te.Field != "":
			return invalidRequest("field %q has the wrong type: expected %s",
				te.Field, jsonKind(te.Type))
		case ok:
			return invalidRequest("a value in the request body has the wrong type: expected %s",
				jsonKind(te.Type))
		}
		return invalidRequest("the request body does not have the expected shape")
	}
	return nil
}

func invalidRequest(format string, args ...any) *switchboard.Error {
	return switchboard.Errorf(switchboard.CodeInvalidRequest, format, args...)
}

// jsonFields returns the JSON names of the fields of the struct dst points
// to, and false when dst is not a pointer to a struct.
func jsonFields(dst any) (map[string]bool, bool) {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	t = t.Elem()
	known := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		known[name] = true
	}
	return known, true
}

func unknownFields(fields map[string]json.RawMessage, known map[string]bool) []string {
	var out []string
	for name := range fields {
		if !known[name] {
			out = append(out, fmt.Sprintf("%q", name))
		}
	}
	slices.Sort(out)
	return out
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a different JSON value"
}

// position turns a byte offset of body into a 1-based line and column.
func position(body []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(body)))
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// writeJSON answers status with v as application/json.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	writeRawJSON(w, status, body)
	return nil
}

// writeRawJSON answers status with body, which is JSON already.
func writeRawJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readJSON reads r's body, at most limit bytes, into dst as [parseJSON]
// does; an empty body is invalid_request.
func readJSON(r *http.Request, limit int64, dst any) error {
	body, err := readBody(r, limit)
	if err != nil {
		return err
	}
	if isEmpty(body) {
		return invalidRequest("the request body must be a JSON object")
	}
	return parseJSON(body, dst)
}
