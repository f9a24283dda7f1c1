// Package codec is how both stores write Go values into text columns and
// read them back, so that a SQLite file and a PostgreSQL database hold
// them alike: lists and maps as JSON, an empty one as "[]" or "{}", read
// back as nil.
package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// List encodes l as a JSON array, "[]" when empty.
func List(l []string) (string, error) { return encode(l, len(l), "[]") }

// ParseList decodes a stored [List]; an empty one is nil.
func ParseList(s string) ([]string, error) { return decode[[]string]([]byte(s)) }

// Detail encodes an audit entry's detail as a JSON object, "{}" when empty.
func Detail(d map[string]string) (string, error) { return encode(d, len(d), "{}") }

// ParseDetail decodes a stored [Detail]; an empty one is nil.
func ParseDetail(s string) (map[string]string, error) {
	d, err := decode[map[string]string]([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("audit detail: %w", err)
	}
	return d, nil
}

// Since encodes an installation's action stamps as a JSON object, "{}"
// when there are none.
func Since(since map[string]int64) (string, error) {
	s, err := encode(since, len(since), "{}")
	if err != nil {
		return "", fmt.Errorf("encode action stamps: %w", err)
	}
	return s, nil
}

// ParseSince decodes stored action stamps; NULL or empty (a row from
// before stamps were kept) and "{}" are nil.
func ParseSince(b []byte) (map[string]int64, error) {
	if len(b) == 0 {
		return nil, nil
	}
	since, err := decode[map[string]int64](b)
	if err != nil {
		return nil, fmt.Errorf("decode action stamps: %w", err)
	}
	return since, nil
}

// IsObject reports whether b is one valid JSON object.
func IsObject(b []byte) bool {
	return json.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
}

// NonNil is l, or an empty list when l is nil, for a column that holds no
// NULL.
func NonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// encode is v as JSON, or empty when v has no elements (n is its length).
func encode(v any, n int, empty string) (string, error) {
	if n == 0 {
		return empty, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decode reads JSON b into a T; an empty T is nil.
func decode[T ~[]string | ~map[string]string | ~map[string]int64](b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}
