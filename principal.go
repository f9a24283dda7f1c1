package switchboard

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind is the kind of a [Principal].
type Kind string

// The kinds of principal. An operator is whoever runs the CLI on the store
// with the master key; it is never authenticated by a bearer token.
const (
	KindUser     Kind = "user"
	KindAgent    Kind = "agent"
	KindApp      Kind = "app"
	KindOperator Kind = "operator"
)

// Principal is who makes a request: `user:ID`, `agent:ID` or `app:ID`, or the
// operator. The zero Principal is nobody and is refused everywhere.
type Principal struct {
	Kind Kind
	ID   string
}

// Operator is the principal of administrative CLI commands.
var Operator = Principal{Kind: KindOperator, ID: "cli"}

var principalID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$`)

// ParsePrincipal parses "kind:id". The id is 1 to 128 characters of letters,
// digits and ._@+- starting with a letter or digit.
func ParsePrincipal(s string) (Principal, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok {
		return Principal{}, fmt.Errorf("principal %q: want kind:id", s)
	}
	switch Kind(kind) {
	case KindUser, KindAgent, KindApp:
	default:
		return Principal{}, fmt.Errorf("principal %q: kind must be user, agent or app", s)
	}
	if !principalID.MatchString(id) {
		return Principal{}, fmt.Errorf("principal %q: id must be 1-128 letters, digits or ._@+-", s)
	}
	return Principal{Kind: Kind(kind), ID: id}, nil
}

// String returns "kind:id", or "" for the zero Principal.
func (p Principal) String() string {
	if p.Kind == "" {
		return ""
	}
	return string(p.Kind) + ":" + p.ID
}

// IsZero reports whether p is nobody.
func (p Principal) IsZero() bool { return p.Kind == "" }
