package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// canonical returns the canonical form of the JSON text b and true: object
// members sorted by name (bytewise), no insignificant whitespace, numbers
// exactly as written, strings with only the escapes JSON requires. Empty or
// blank b gives nil and true. b that is not exactly one JSON value gives b
// itself and false.
func canonical(b []byte) ([]byte, bool) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return b, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return b, false // trailing data
	}
	return appendCanonical(make([]byte, 0, len(b)), v), true
}

func appendCanonical(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, v)
	case json.Number:
		return append(dst, v...)
	case string:
		return appendString(dst, v)
	case []any:
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendCanonical(dst, x)
		}
		return append(dst, ']')
	case map[string]any:
		return appendObject(dst, v)
	}
	panic("audit: unexpected JSON value") // json.Decoder produces no other type
}

func appendObject(dst []byte, m map[string]any) []byte {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	dst = append(dst, '{')
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendCanonical(dst, m[k])
	}
	return append(dst, '}')
}

// appendString writes s quoted, escaping only the quote, the backslash and
// control characters. The decoder has already made s valid UTF-8.
func appendString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			_, n := utf8.DecodeRuneInString(s[i:])
			dst = append(dst, s[i:i+n]...)
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}
