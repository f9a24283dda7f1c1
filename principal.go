package switchboard

import (
	"fmt"
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

// MaxPrincipalID is the greatest length of a principal's id, in bytes.
const MaxPrincipalID = 256

// ParsePrincipal parses "kind:id", where kind is user, agent or app.
//
// The id is 1 to [MaxPrincipalID] characters of printable ASCII other than
// space, "/", "?", "#" and "%": that is, bytes 0x21 to 0x7E but those four.
// It takes external subjects as they come ("auth0|6543", an email address,
// a UUID, "google-oauth2|1"), and may itself hold ":" (only the first colon
// separates kind from id). The four exclusions keep a principal one path
// segment of a URL once escaped, with nothing a router or a second
// unescaping could read differently.
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
	if err := checkPrincipalID(id); err != nil {
		return Principal{}, fmt.Errorf("principal %q: %w", s, err)
	}
	return Principal{Kind: Kind(kind), ID: id}, nil
}

// ValidPrincipalID reports whether id may be the id of a principal, as
// [ParsePrincipal] decides.
func ValidPrincipalID(id string) bool { return checkPrincipalID(id) == nil }

func checkPrincipalID(id string) error {
	if id == "" || len(id) > MaxPrincipalID {
		return fmt.Errorf("id must be 1-%d characters", MaxPrincipalID)
	}
	for i := range len(id) {
		c := id[i]
		if c <= ' ' || c > '~' || c == '/' || c == '?' || c == '#' || c == '%' {
			return fmt.Errorf(
				"id must be printable ASCII without spaces, /, ?, # or %%")
		}
	}
	return nil
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
