package credentials

import (
	"context"
	"time"
)

// Kind is how a connection's credentials were obtained, and so how they
// are kept fresh.
type Kind string

// The kinds of connection.
const (
	// KindOAuth2 holds a user's OAuth 2.0 tokens from the authorization
	// code grant; they are refreshed with the refresh token.
	KindOAuth2 Kind = "oauth2"
	// KindCredentials holds the fields of a user's credential form.
	KindCredentials Kind = "credentials"
	// KindClientCredentials holds the platform's token from a client
	// credentials grant; it is granted again when it expires.
	KindClientCredentials Kind = "client_credentials"
)

// Status says whether a connection can be used.
type Status string

// The statuses of a connection.
const (
	// StatusActive connections are used by calls.
	StatusActive Status = "active"
	// StatusDead connections were refused by the provider (invalid_grant)
	// or expired without a way to renew; calls naming one fail at once
	// with not_connected until the user connects again.
	StatusDead Status = "dead"
)

// Connection is one set of credentials for one integration: a user's, or
// the platform's own. It never holds a credential; those are sealed
// apart.
type Connection struct {
	// ID names the connection in calls (connection_id) and URLs.
	ID string `json:"id"`
	// AppID is the integration's app id.
	AppID string `json:"appId"`
	// Principal owns the connection ("user:alice"); "" for the platform's.
	Principal string `json:"principal,omitempty"`
	Kind      Kind   `json:"kind"`
	// Label tells a user's connections apart ("Work", "Personal").
	Label  string `json:"label"`
	Status Status `json:"status"`
	// LastError is what the provider said when the connection last failed
	// to refresh, cleared by the next success; safe to show its owner.
	LastError string `json:"lastError,omitempty"`
	// ExpiresAt is when the access token expires; zero when unknown or
	// never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// StoredConnection is a connection as the store keeps it: with its sealed
// credentials and their generation.
type StoredConnection struct {
	Connection
	// Sealed is the credentials as [Vault.Seal] returned them for scope
	// [VaultScope] and the connection's id.
	Sealed []byte
	// Generation counts the writes of Sealed, from 1 at creation.
	Generation int64
}

// ConnectionUpdate is what a write to an existing connection changes.
type ConnectionUpdate struct {
	// Sealed replaces the credentials (and Generation grows by one) when
	// not nil; ExpiresAt is then the new access token's expiry. Both are
	// kept when Sealed is nil.
	Sealed    []byte
	ExpiresAt time.Time
	Status    Status
	LastError string
	At        time.Time
}

// OAuthState is one authorization request in flight: what the callback
// needs to finish it. Its token is stored only as a SHA-256 hash.
type OAuthState struct {
	Hash      []byte
	AppID     string
	Principal string
	// ConnectionID is the connection to renew in place, "" for a new one.
	ConnectionID string
	// ReturnTo is where the browser goes when the flow ends, "" for none.
	ReturnTo string
	// Verifier is the PKCE verifier sealed for scope [StateScope] and the
	// hex of Hash; empty without PKCE.
	Verifier  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LinkRecord is a connect link as stored: its token only as a SHA-256
// hash.
type LinkRecord struct {
	Hash      []byte
	AppID     string
	Principal string
	// ConnectionID is the dead connection the link renews, "" for a new
	// connection.
	ConnectionID string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Filter selects connections, and the states and links that would create
// them: those of AppID when it is set, of Principal when it is set. At
// least one is set; an empty one matches any.
type Filter struct {
	AppID     string
	Principal string
}

// Store keeps connections, OAuth states, connect links and refresh leases.
// A connection's sealed credentials are kept as the vault secret of scope
// [VaultScope] and the connection's id, written in the same transaction as
// the connection, so that vault rotation re-wraps them. None of these
// writes records a change in the change feed: no process caches them.
//
// Methods return a *switchboard.Error with CodeNotFound or CodeConflict
// where they say so; any other error is a fault of the database. Times come
// back in UTC, to the microsecond. Implementations are safe for concurrent
// use by several processes.
type Store interface {
	GrantStore

	// CreateConnection stores c with its sealed credentials, Generation 1.
	// It returns CodeConflict when c.ID exists, or when c is the platform's
	// (Principal "") and the integration has one already.
	CreateConnection(ctx context.Context, c StoredConnection) error
	// Connection returns the connection id with its sealed credentials, or
	// CodeNotFound.
	Connection(ctx context.Context, id string) (StoredConnection, error)
	// Connections returns the connections of appID owned by principal
	// exactly ("" for the platform's), oldest first, ties by id.
	Connections(ctx context.Context, appID, principal string) ([]Connection, error)
	// UpdateConnection applies u to connection id, or returns CodeNotFound.
	// With a lease holder it applies only while holder holds the
	// connection's refresh lease (expired or not), and releases it, in one
	// transaction; it returns CodeConflict and changes nothing when the
	// lease is another's or gone.
	UpdateConnection(ctx context.Context, id, holder string, u ConnectionUpdate) error
	// RenameConnection sets the label of connection id, or returns
	// CodeNotFound.
	RenameConnection(ctx context.Context, id, label string, at time.Time) error
	// DeleteConnection removes connection id, its sealed credentials and
	// its lease, or returns CodeNotFound.
	DeleteConnection(ctx context.Context, id string) error
	// DeleteConnections removes the connections f selects with their
	// credentials and leases, and the OAuth states and connect links it
	// selects, in one transaction. It returns the connections removed,
	// sorted by id.
	DeleteConnections(ctx context.Context, f Filter) ([]Connection, error)

	// AcquireRefreshLease gives holder the refresh lease of connection id
	// until until, and reports true, when nobody holds it or its lease
	// expired at now; otherwise it changes nothing and reports false. It
	// returns CodeNotFound when the connection does not exist.
	AcquireRefreshLease(ctx context.Context, id, holder string, now, until time.Time) (bool, error)
	// ReleaseRefreshLease gives up holder's lease of connection id; it is
	// not an error when holder does not hold it.
	ReleaseRefreshLease(ctx context.Context, id, holder string) error

	// PutOAuthState stores s and removes every state expired at
	// s.CreatedAt. It returns CodeConflict when s.Hash exists.
	PutOAuthState(ctx context.Context, s OAuthState) error
	// TakeOAuthState removes and returns the state whose hash is hash,
	// expired or not, or returns CodeNotFound: of concurrent takes, one
	// gets it.
	TakeOAuthState(ctx context.Context, hash []byte) (OAuthState, error)

	// PutConnectLink stores l and removes every link expired at
	// l.CreatedAt. It returns CodeConflict when l.Hash exists.
	PutConnectLink(ctx context.Context, l LinkRecord) error
	// ConnectLink returns the link whose hash is hash, expired or not, or
	// CodeNotFound; it changes nothing.
	ConnectLink(ctx context.Context, hash []byte) (LinkRecord, error)
	// TakeConnectLink removes and returns the link whose hash is hash,
	// expired or not, or returns CodeNotFound: of concurrent takes, one
	// gets it.
	TakeConnectLink(ctx context.Context, hash []byte) (LinkRecord, error)
}
