package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard"
)

// Event is what an [Entry] records.
type Event string

// The events of the audit. Detail keys, where an event has them, are listed
// beside it; a detail names things (properties, keys, roles, principals),
// never a value or a secret.
const (
	EventCall       Event = "action.call"           // detail: tool, when called by tool name
	EventDeploy     Event = "integration.deploy"    // detail: version
	EventUndeploy   Event = "integration.undeploy"  // detail: purge
	EventConfigure  Event = "integration.configure" // detail: properties (names, comma-separated)
	EventUpload     Event = "integration.upload"    // detail: version
	EventKeyCreate  Event = "key.create"            // detail: key, principal
	EventKeyRevoke  Event = "key.revoke"            // detail: key, principal
	EventRoleCreate Event = "role.create"           // detail: role
	EventRoleUpdate Event = "role.update"           // detail: role
	EventRoleDelete Event = "role.delete"           // detail: role, assignments_removed, inherited_by
	EventRoleAssign Event = "role.assign"           // detail: role, principal
	EventRoleRevoke Event = "role.revoke"           // detail: role, principal
	EventOffboard   Event = "principal.offboard"    // detail: principal, roles_removed
	// EventDenied records an administrative request refused for want of
	// a permission; refused action calls are EventCall entries.
	EventDenied Event = "access.denied" // detail: permission, route
	// Connections: a user's account connected (or reconnected), deleted,
	// or found dead when its grant was refused.
	EventConnectionCreate        Event = "connection.create"         // detail: connection, principal, renewed
	EventConnectionDelete        Event = "connection.delete"         // detail: connection, principal
	EventConnectionRefreshFailed Event = "connection.refresh_failed" // detail: connection, principal, dead
	// A connection lent to an agent (a standing delegation), or taken back.
	EventConnectionLend   Event = "connection.lend"   // detail: grant, connection, agent
	EventConnectionUnlend Event = "connection.unlend" // detail: grant, connection, agent

	// Delegations: a token issued to an agent acting for a user, revoked,
	// or a new signing key.
	EventDelegationIssue  Event = "delegation.issue"  // detail: delegation, user, agent, scope, ttl, via
	EventDelegationRevoke Event = "delegation.revoke" // detail: delegation, user, agent, count
	EventDelegationKey    Event = "delegation.key"    // detail: key

	// Webhooks: a delivery taken in (or refused, with the reason), a
	// listener URL replaced, subscriptions made and removed, and a
	// delivery sent again.
	EventWebhookReceive     Event = "webhook.receive"     // detail: event, delivery, duplicate, reason
	EventWebhookRotate      Event = "webhook.rotate"      // detail: none
	EventSubscriptionCreate Event = "subscription.create" // detail: subscription
	EventSubscriptionDelete Event = "subscription.delete" // detail: subscription
	EventRedeliver          Event = "delivery.redeliver"  // detail: subscription, delivery
)

// maxDetail is how many details an entry may have.
const maxDetail = 32

var events = map[Event]bool{
	EventCall: true, EventDeploy: true, EventUndeploy: true, EventConfigure: true,
	EventUpload: true, EventKeyCreate: true, EventKeyRevoke: true, EventRoleCreate: true,
	EventRoleUpdate: true, EventRoleDelete: true, EventRoleAssign: true, EventRoleRevoke: true,
	EventOffboard: true, EventDenied: true, EventConnectionCreate: true,
	EventConnectionDelete: true, EventConnectionRefreshFailed: true,
	EventConnectionLend: true, EventConnectionUnlend: true, EventDelegationIssue: true,
	EventDelegationRevoke: true, EventDelegationKey: true,
	EventWebhookReceive: true, EventWebhookRotate: true, EventSubscriptionCreate: true,
	EventSubscriptionDelete: true, EventRedeliver: true,
}

// Surface is where a request came from.
type Surface string

// The surfaces. SurfaceSystem is the server acting on its own (a start-up
// task, a refresh), with no request behind it.
const (
	SurfaceREST   Surface = "rest"
	SurfaceMCP    Surface = "mcp"
	SurfaceCLI    Surface = "cli"
	SurfaceSystem Surface = "system"
	// SurfaceWebhook is a service delivering a webhook: no principal, the
	// listener's token and the signature are its proof.
	SurfaceWebhook Surface = "webhook"
)

var surfaces = map[Surface]bool{
	SurfaceREST: true, SurfaceMCP: true, SurfaceCLI: true, SurfaceSystem: true,
	SurfaceWebhook: true,
}

// Outcome is how a recorded request ended.
type Outcome string

// The outcomes: done, refused for want of authentication or permission, or
// failed for any other reason. Denied and error outcomes carry an error code.
const (
	OutcomeOK     Outcome = "ok"
	OutcomeDenied Outcome = "denied"
	OutcomeError  Outcome = "error"
)

// OutcomeOf classifies the error a request ended with: nil is [OutcomeOK]
// with no code, an unauthenticated or forbidden error is [OutcomeDenied],
// anything else [OutcomeError]; the code is that of
// [switchboard.ErrorCode], so an error without one counts as internal.
func OutcomeOf(err error) (Outcome, switchboard.Code) {
	code := switchboard.ErrorCode(err)
	switch code {
	case "":
		return OutcomeOK, ""
	case switchboard.CodeUnauthenticated, switchboard.CodeForbidden:
		return OutcomeDenied, code
	default:
		return OutcomeError, code
	}
}

// Entry is one record of the audit.
//
// The caller of [Log.Record] fills in what happened; the log assigns ID,
// Time (when zero), Chain, Seq, PrevHash and Hash. Text fields are
// identifiers, not values: an input is recorded only as its [Log.InputMAC],
// and Detail names things (config property names, a key id, a role), never a
// value or a secret. Text longer than [MaxText] bytes is cut to it, and
// invalid UTF-8 or NUL bytes become U+FFFD, so that an entry always fits the
// store; the hash covers the entry as stored.
type Entry struct {
	// ID sorts entries by Time, then Chain, then Seq: keyset pages by ID
	// are stable.
	ID   string
	Time time.Time
	// Actor is the principal that made the request ("user:alice",
	// "operator:cli"), empty when it was not authenticated.
	Actor string
	// OnBehalfOf is the user a delegated request acts for; empty
	// otherwise.
	OnBehalfOf  string
	Surface     Surface
	Event       Event
	Integration string
	Action      string
	Outcome     Outcome
	// ErrorCode is empty for OutcomeOK and set for the others.
	ErrorCode switchboard.Code
	// Latency is how long the request took, when it was timed.
	Latency   time.Duration
	RequestID string
	// InputMAC is the hex HMAC-SHA256 of the canonical input, from
	// [Log.InputMAC]; empty when the request had no input.
	InputMAC string
	// Detail holds the event's specifics: up to 32 short names, see the
	// [Event] constants.
	Detail map[string]string

	// Chain is the writer that recorded the entry, Seq its position in that
	// writer's chain from 1, PrevHash the Hash of the entry before it (empty
	// for Seq 1) and Hash the hex HMAC of every other field.
	Chain    string
	Seq      int64
	PrevHash string
	Hash     string
}

// MaxText is the most bytes an entry keeps of any text field or detail.
const MaxText = 256

// check reports the first field of e that [Log.Record] cannot accept.
func (e *Entry) check() error {
	switch {
	case !events[e.Event]:
		return fmt.Errorf("audit entry: unknown event %q", e.Event)
	case !surfaces[e.Surface]:
		return fmt.Errorf("audit entry: unknown surface %q", e.Surface)
	case e.Outcome != OutcomeOK && e.Outcome != OutcomeDenied && e.Outcome != OutcomeError:
		return fmt.Errorf("audit entry: unknown outcome %q", e.Outcome)
	case (e.Outcome == OutcomeOK) != (e.ErrorCode == ""):
		return fmt.Errorf("audit entry: outcome %s with error code %q", e.Outcome, e.ErrorCode)
	case e.Latency < 0:
		return fmt.Errorf("audit entry: negative latency %s", e.Latency)
	case len(e.Detail) > maxDetail:
		return fmt.Errorf("audit entry: %d details, at most %d", len(e.Detail), maxDetail)
	case !e.Time.IsZero() && e.Time.Before(time.Unix(0, 0)):
		return fmt.Errorf("audit entry: time %s is before 1970", e.Time)
	}
	for k := range e.Detail {
		if k == "" {
			return fmt.Errorf("audit entry: empty detail key")
		}
	}
	return nil
}

// clean returns e with every text field made storable (see [Entry]), its
// time in UTC to the microsecond, and the fields the log assigns cleared.
func (e Entry) clean() Entry {
	for _, s := range []*string{&e.Actor, &e.OnBehalfOf, &e.Integration, &e.Action,
		&e.RequestID, &e.InputMAC} {
		*s = cleanText(*s)
	}
	e.ErrorCode = switchboard.Code(cleanText(string(e.ErrorCode)))
	if !e.Time.IsZero() {
		e.Time = e.Time.UTC().Truncate(time.Microsecond)
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	} else {
		d := make(map[string]string, len(e.Detail))
		for k, v := range e.Detail {
			d[cleanText(k)] = cleanText(v)
		}
		e.Detail = d
	}
	e.ID, e.Chain, e.Seq, e.PrevHash, e.Hash = "", "", 0, "", ""
	return e
}

// cleanText makes s valid UTF-8 without NUL, at most MaxText bytes, cut on
// a rune boundary.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) <= MaxText {
		return s
	}
	cut := MaxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// entryJSON is the JSON form of an Entry: camelCase, latency as a Go
// duration string, times in RFC 3339.
type entryJSON struct {
	ID          string            `json:"id"`
	Time        time.Time         `json:"time"`
	Actor       string            `json:"actor"`
	OnBehalfOf  string            `json:"onBehalfOf,omitempty"`
	Surface     Surface           `json:"surface"`
	Event       Event             `json:"event"`
	Integration string            `json:"integration,omitempty"`
	Action      string            `json:"action,omitempty"`
	Outcome     Outcome           `json:"outcome"`
	ErrorCode   switchboard.Code  `json:"errorCode,omitempty"`
	Latency     string            `json:"latency"`
	RequestID   string            `json:"requestId,omitempty"`
	InputMAC    string            `json:"inputMac,omitempty"`
	Detail      map[string]string `json:"detail,omitempty"`
	Chain       string            `json:"chain"`
	Seq         int64             `json:"seq"`
	PrevHash    string            `json:"prevHash"`
	Hash        string            `json:"hash"`
}

// MarshalJSON encodes e with camelCase names (id, time, actor, onBehalfOf,
// surface, event, integration, action, outcome, errorCode, latency,
// requestId, inputMac, detail, chain, seq, prevHash, hash); latency is a Go
// duration string such as "1.5ms".
func (e Entry) MarshalJSON() ([]byte, error) {
	j := entryJSON{
		ID: e.ID, Time: e.Time, Actor: e.Actor, OnBehalfOf: e.OnBehalfOf,
		Surface: e.Surface, Event: e.Event, Integration: e.Integration, Action: e.Action,
		Outcome: e.Outcome, ErrorCode: e.ErrorCode, Latency: e.Latency.String(),
		RequestID: e.RequestID, InputMAC: e.InputMAC, Detail: e.Detail,
		Chain: e.Chain, Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash,
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the form [Entry.MarshalJSON] writes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j entryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var lat time.Duration
	if j.Latency != "" {
		var err error
		if lat, err = time.ParseDuration(j.Latency); err != nil {
			return fmt.Errorf("audit entry: latency: %w", err)
		}
	}
	*e = Entry{
		ID: j.ID, Time: j.Time, Actor: j.Actor, OnBehalfOf: j.OnBehalfOf,
		Surface: j.Surface, Event: j.Event, Integration: j.Integration, Action: j.Action,
		Outcome: j.Outcome, ErrorCode: j.ErrorCode, Latency: lat,
		RequestID: j.RequestID, InputMAC: j.InputMAC, Detail: j.Detail,
		Chain: j.Chain, Seq: j.Seq, PrevHash: j.PrevHash, Hash: j.Hash,
	}
	return nil
}
