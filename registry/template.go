package registry

import (
	"fmt"
	"regexp"
	"strings"
)

// Namespace is the first segment of a template placeholder: where its value
// comes from.
type Namespace string

// The namespaces a placeholder may name.
const (
	// NSInput is the action's input, as validated against its inputSchema.
	NSInput Namespace = "input"
	// NSConfig is a plain (non-secret) config property, with its default.
	NSConfig Namespace = "config"
	// NSSecrets is a platformSecret config property, by property name.
	NSSecrets Namespace = "secrets"
	// NSConnection is a field of the caller's connection (accessToken, or a
	// field of a credential form).
	NSConnection Namespace = "connection"
	// NSUser is the user a call runs for; only user.id exists.
	NSUser Namespace = "user"
)

// Ref is one placeholder: a namespace and a path inside it.
type Ref struct {
	NS   Namespace
	Path []string
}

// String returns the placeholder's text without braces, "input.user.name".
func (r Ref) String() string {
	return string(r.NS) + "." + strings.Join(r.Path, ".")
}

// Segment is a literal run of text or one placeholder; exactly one of the
// two is set.
type Segment struct {
	Literal string
	Ref     *Ref
}

// Template is a string with {{namespace.path}} placeholders, parsed once at
// deploy and rendered on every call by the backend.
type Template struct {
	Raw      string
	Segments []Segment
}

var refPath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$`)

// ParseTemplate parses s. A placeholder is {{ns.path}}, spaces inside the
// braces allowed, with ns one of input, config, secrets, connection and user,
// and a path of dot-separated names. An unclosed placeholder, an unknown
// namespace or an empty path is an error.
func ParseTemplate(s string) (Template, error) {
	t := Template{Raw: s}
	rest := s
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.Segments = append(t.Segments, Segment{Literal: rest})
			break
		}
		if open > 0 {
			t.Segments = append(t.Segments, Segment{Literal: rest[:open]})
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return Template{}, fmt.Errorf("unclosed placeholder in %q", s)
		}
		ref, err := parseRef(strings.TrimSpace(rest[open+2 : open+end]))
		if err != nil {
			return Template{}, err
		}
		t.Segments = append(t.Segments, Segment{Ref: &ref})
		rest = rest[open+end+2:]
	}
	return t, nil
}

func parseRef(s string) (Ref, error) {
	if !refPath.MatchString(s) {
		return Ref{}, fmt.Errorf("placeholder {{%s}}: want {{namespace.name}}", s)
	}
	parts := strings.Split(s, ".")
	ns := Namespace(parts[0])
	switch ns {
	case NSInput, NSConfig, NSSecrets, NSConnection, NSUser:
	default:
		return Ref{}, fmt.Errorf("placeholder {{%s}}: unknown namespace %q "+
			"(want input, config, secrets, connection or user)", s, parts[0])
	}
	if len(parts) < 2 {
		return Ref{}, fmt.Errorf("placeholder {{%s}}: name a field, as in {{%s.name}}", s, s)
	}
	if ns == NSUser && (len(parts) != 2 || parts[1] != "id") {
		return Ref{}, fmt.Errorf("placeholder {{%s}}: the user namespace has only user.id", s)
	}
	return Ref{NS: ns, Path: parts[1:]}, nil
}

// Whole returns the placeholder when the template is exactly one
// placeholder and nothing else; such a template keeps its value's JSON type.
func (t Template) Whole() (Ref, bool) {
	if len(t.Segments) == 1 && t.Segments[0].Ref != nil {
		return *t.Segments[0].Ref, true
	}
	return Ref{}, false
}

// Refs returns every placeholder of t in order.
func (t Template) Refs() []Ref {
	var refs []Ref
	for _, s := range t.Segments {
		if s.Ref != nil {
			refs = append(refs, *s.Ref)
		}
	}
	return refs
}

// IsLiteral reports whether t has no placeholder.
func (t Template) IsLiteral() bool {
	for _, s := range t.Segments {
		if s.Ref != nil {
			return false
		}
	}
	return true
}
