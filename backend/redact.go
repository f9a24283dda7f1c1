package backend

import (
	"bytes"
	"iter"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// redacted stands in for a credential in messages and outputs.
const redacted = "[redacted]"

// redactor finds the credentials of one call in what a service answers: in
// any letter case, in each form a request carries them (as sent,
// query-escaped, path-escaped), and with any character written as a JSON
// escape (\/, \u002B, a surrogate pair) or an HTML character reference
// (&amp;, &#43;, &#x2B;).
//
// Finding nothing is the common case and allocates nothing: a byte that no
// form can start with is passed over at the cost of one table look-up. The
// search compares at each candidate byte, which is linear in practice for
// credentials that do not repeat themselves, and at worst takes the length
// of the text times the length of the credential.
type redactor struct {
	forms []form
	// first marks the bytes a match may start with.
	first [256]bool
}

// form is one way of writing one credential.
type form struct {
	s string
	// escapes is set when s holds a character that starts an escape ('\\'
	// or '&'), which text may then carry as itself.
	escapes bool
}

// newRedactor returns a redactor of every credential in secrets.
func newRedactor(secrets []string) *redactor {
	r := &redactor{}
	// Any character may be escaped.
	r.first['\\'] = true
	r.first['&'] = true
	for _, s := range secrets {
		for _, f := range [...]string{s, url.QueryEscape(s), pathEscape(s), url.PathEscape(s)} {
			if f != "" && !slices.ContainsFunc(r.forms, func(g form) bool { return g.s == f }) {
				r.add(f)
			}
		}
	}
	return r
}

func (r *redactor) add(f string) {
	r.forms = append(r.forms, form{s: f, escapes: strings.ContainsAny(f, `\&`)})
	c, _ := patternRune(f)
	if c < 0 {
		r.first[byte(-1-c)] = true
		return
	}
	// Every case of the first character, as its first byte.
	var buf [utf8.UTFMax]byte
	for x := c; ; {
		utf8.EncodeRune(buf[:], x)
		r.first[buf[0]] = true
		if x = unicode.SimpleFold(x); x == c {
			return
		}
	}
}

// contains reports whether b holds any form of a credential.
func (r *redactor) contains(b []byte) bool {
	for i := range b {
		if r.longestAt(b, i, false) >= 0 {
			return true
		}
	}
	return false
}

// text returns b with every form of a credential replaced by [redacted]; b
// itself when it holds none.
func (r *redactor) text(b []byte) []byte {
	if !r.contains(b) {
		return b
	}
	return r.replace(make([]byte, 0, len(b)), b)
}

// json returns the JSON text b with every credential inside a string
// replaced by [redacted], and every number or literal that holds one
// replaced by the string "[redacted]". Everything else keeps its bytes:
// member order, numbers, escapes and spacing. b must be valid JSON; the
// result is then valid JSON too. ok is false when b holds a credential that
// no replacement covers, such as one spread over several tokens.
func (r *redactor) json(b []byte) (out []byte, ok bool) {
	var done []span // the replaced parts of b, in order
	last := 0
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			q := closingQuote(b, i)
			if r.contains(b[i+1 : q]) {
				out = append(out, b[last:i+1]...)
				out, done = r.replaceString(out, done, b, i+1, q)
				last = q
			}
			i = q + 1
		case jsonDelim(c):
			i++
		default:
			end := i + 1
			for end < len(b) && !jsonDelim(b[end]) && b[end] != '"' {
				end++
			}
			if r.contains(b[i:end]) {
				out = append(out, b[last:i]...)
				out = append(out, `"`+redacted+`"`...)
				done = append(done, span{i, end})
				last = end
			}
			i = end
		}
	}
	ok = r.covered(b, done)
	if out == nil {
		return b, ok
	}
	return append(out, b[last:]...), ok
}

// span is a range of bytes.
type span struct{ at, end int }

// replaceString appends the inside of the JSON string b[at:end] to dst,
// credentials replaced, and notes what it replaced in done.
func (r *redactor) replaceString(dst []byte, done []span, b []byte, at, end int) ([]byte,
	[]span) {
	last := at
	for s, e := range r.spans(b[at:end], true) {
		dst = append(dst, b[last:at+s]...)
		dst = append(dst, redacted...)
		done = append(done, span{at + s, at + e})
		last = at + e
	}
	return append(dst, b[last:end]...), done
}

// covered reports whether every credential in b lies inside one of done.
func (r *redactor) covered(b []byte, done []span) bool {
	k := 0
	for at, end := range r.spans(b, false) {
		for k < len(done) && done[k].end <= at {
			k++
		}
		if k == len(done) || at < done[k].at || end > done[k].end {
			return false
		}
	}
	return true
}

// closingQuote returns the index of the quote that ends the JSON string
// starting at b[i], or len(b).
func closingQuote(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(b)
}

// jsonDelim reports whether c is JSON punctuation or white space.
func jsonDelim(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', ':', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// replace appends b to dst with every credential replaced by [redacted].
func (r *redactor) replace(dst, b []byte) []byte {
	last := 0
	for at, end := range r.spans(b, false) {
		dst = append(dst, b[last:at]...)
		dst = append(dst, redacted...)
		last = end
	}
	return append(dst, b[last:]...)
}

// spans yields the byte ranges of b that hold a credential, overlapping and
// adjacent matches joined, in order. In strict mode b is the inside of a
// JSON string: matches start and end on whole characters and escapes, so
// that replacing them keeps the string valid.
func (r *redactor) spans(b []byte, strict bool) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		at, end := 0, -1
		for i := 0; i < len(b); {
			step := 1
			if strict {
				_, step = unit(b[i:], true)
			}
			if e := r.longestAt(b, i, strict); e >= 0 {
				if end >= 0 && i > end {
					if !yield(at, end) {
						return
					}
					end = -1
				}
				if end < 0 {
					at = i
				}
				end = max(end, e)
			}
			i += step
		}
		if end >= 0 {
			yield(at, end)
		}
	}
}

// longestAt returns the end of the longest match at b[i], or -1, looking
// no further when no form starts with b[i].
func (r *redactor) longestAt(b []byte, i int, strict bool) int {
	if !r.first[b[i]] {
		return -1
	}
	return r.longest(b, i, strict)
}

// longest returns the end of the longest match at b[i], or -1.
func (r *redactor) longest(b []byte, i int, strict bool) int {
	best := -1
	for _, f := range r.forms {
		end := match(b, i, f.s, true)
		if end < 0 && f.escapes && !strict {
			end = match(b, i, f.s, false)
		}
		best = max(best, end)
	}
	return best
}

// match returns the end of f at b[i], compared a character at a time
// without regard to case, or -1. With esc, a JSON escape or an HTML
// character reference in b stands for the character it encodes.
func match(b []byte, i int, f string, esc bool) int {
	for j := 0; j < len(f); {
		if i >= len(b) {
			return -1
		}
		want, wn := patternRune(f[j:])
		got, n := unit(b[i:], esc)
		if !foldEqual(got, want) {
			return -1
		}
		i += n
		j += wn
	}
	return i
}

// patternRune decodes the first character of s. A byte b that starts no
// valid UTF-8 sequence comes back as -1-b, so that it matches only itself.
func patternRune(s string) (rune, int) {
	c, n := utf8.DecodeRuneInString(s)
	if c == utf8.RuneError && n == 1 {
		return -1 - rune(s[0]), 1
	}
	return c, n
}

// unit decodes the first character of b and says how many bytes it takes:
// a JSON escape or an HTML character reference when esc is set, a UTF-8
// sequence, or a stray byte as patternRune returns it.
func unit(b []byte, esc bool) (rune, int) {
	c := b[0]
	if c < utf8.RuneSelf {
		var r rune
		n := 0
		switch {
		case !esc:
		case c == '\\':
			r, n = unescape(b)
		case c == '&':
			r, n = reference(b)
		}
		if n > 0 {
			return r, n
		}
		return rune(c), 1
	}
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 {
		return -1 - rune(c), 1
	}
	return r, n
}

// unescape decodes the JSON escape at the start of b; n is 0 when b does
// not start with one.
func unescape(b []byte) (r rune, n int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch c := b[1]; c {
	case '"', '\\', '/':
		return rune(c), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		return unescapeU(b)
	}
	return 0, 0
}

// unescapeU decodes a \uXXXX escape, or a surrogate pair of two.
func unescapeU(b []byte) (rune, int) {
	r, ok := hex4(b[2:])
	switch {
	case !ok:
		return 0, 0
	case !utf16.IsSurrogate(r):
		return r, 6
	}
	if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
		if lo, ok := hex4(b[8:]); ok {
			if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
				return d, 12
			}
		}
	}
	return utf8.RuneError, 6
}

// namedRefs are the character references that HTML escapers write.
var namedRefs = []struct {
	name string
	r    rune
}{{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}}

// reference decodes the HTML character reference at the start of b: a
// decimal or hexadecimal one, or one of namedRefs in any case; n is 0 when
// b does not start with one.
func reference(b []byte) (r rune, n int) {
	end := bytes.IndexByte(b[:min(len(b), 12)], ';')
	if end < 3 {
		return 0, 0
	}
	name := b[1:end]
	if name[0] != '#' {
		for _, ref := range namedRefs {
			if equalFoldASCII(name, ref.name) {
				return ref.r, end + 1
			}
		}
		return 0, 0
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, 0
	}
	for _, c := range digits {
		d, ok := digit(c)
		if !ok || d >= base {
			return 0, 0
		}
		if r = r*base + d; r > unicode.MaxRune {
			return 0, 0
		}
	}
	return r, end + 1
}

// equalFoldASCII reports whether b and s are equal in ASCII, but for case.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lowerASCII(rune(b[i])) != lowerASCII(rune(s[i])) {
			return false
		}
	}
	return true
}

// digit returns the value of a hexadecimal digit.
func digit(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		d, ok := digit(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | d
	}
	return r, true
}

// foldEqual reports whether a and b are the same character under Unicode
// simple case folding. Stray bytes (negative) equal only themselves.
func foldEqual(a, b rune) bool {
	switch {
	case a == b:
		return true
	case a < 0 || b < 0:
		return false
	case a < utf8.RuneSelf && b < utf8.RuneSelf:
		return lowerASCII(a) == lowerASCII(b)
	}
	for x := unicode.SimpleFold(a); x != a; x = unicode.SimpleFold(x) {
		if x == b {
			return true
		}
	}
	return false
}

func lowerASCII(c rune) rune {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
