package credentials

import (
	"errors"
	"net/url"
	"strings"
)

// maxReturnTo bounds the length of a returnTo URL.
const maxReturnTo = 2048

// CheckReturnPrefix refuses a [Config.ReturnTo] prefix that is not an
// absolute http or https URL with a host and without user info, query or
// fragment.
func CheckReturnPrefix(prefix string) error {
	u, err := url.Parse(prefix)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must start with http:// or https://")
	case u.Host == "" || u.User != nil:
		return errors.New("must name a host, and no user")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(prefix, "?#"):
		return errors.New("must have no query or fragment")
	case strings.ContainsAny(prefix, "\\ \t\r\n"):
		return errors.New("must not hold spaces or backslashes")
	}
	return nil
}

// ReturnToAllowed reports whether raw starts with one of prefixes at a
// boundary ("https://app.example.com" allows
// "https://app.example.com/x" but not "https://app.example.com.evil.test"),
// is a well-formed http or https URL, and has no dot segments, user info,
// spaces, backslashes or control characters with which a browser could
// read it otherwise.
func ReturnToAllowed(prefixes []string, raw string) bool {
	if raw == "" || len(raw) > maxReturnTo || strings.ContainsAny(raw, "\\ ") ||
		strings.ContainsFunc(raw, isControl) {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || hasDotSegment(u.Path) ||
		(u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	for _, p := range prefixes {
		if !strings.HasPrefix(raw, p) {
			continue
		}
		if strings.HasSuffix(p, "/") || len(raw) == len(p) ||
			strings.ContainsRune("/?#", rune(raw[len(p)])) {
			return true
		}
	}
	return false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// hasDotSegment reports whether a decoded path holds a "." or ".."
// segment, which a browser resolves away from the allowed prefix.
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
