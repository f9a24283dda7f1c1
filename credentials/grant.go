package credentials

import (
	"context"
	"time"
)

// Grant is a standing delegation: a user lending one of their connections
// to an agent that acts on its own (a scheduled job, a run a webhook
// started). The agent's calls to the connection's integration may use it,
// within the agent's own permissions, until the owner revokes the grant or
// removes the connection.
type Grant struct {
	ID           string `json:"id"`
	AppID        string `json:"appId"`
	ConnectionID string `json:"connectionId"`
	// Owner is the connection's owner ("user:alice"), Agent who may use it.
	Owner     string    `json:"owner"`
	Agent     string    `json:"agent"`
	CreatedAt time.Time `json:"createdAt"`
}

// GrantStore keeps standing delegations. A grant goes with its connection:
// removing a connection removes its grants in the same transaction.
//
// Methods return a *switchboard.Error with CodeNotFound or CodeConflict
// where they say so; any other error is a fault of the database.
type GrantStore interface {
	// CreateGrant stores g. It returns CodeNotFound when g.ConnectionID
	// does not exist, and CodeConflict when g.ID exists or the connection
	// is lent to g.Agent already.
	CreateGrant(ctx context.Context, g Grant) error
	// Grants returns the grants of appID's connections ("" for every
	// integration) that the principal owns (Owner) or received (Agent),
	// oldest first, ties by id.
	Grants(ctx context.Context, appID, principal string) ([]Grant, error)
	// DeleteGrant removes grant id, or returns CodeNotFound.
	DeleteGrant(ctx context.Context, id string) error
	// DeleteGrantsTo removes every grant agent received, and returns how
	// many.
	DeleteGrantsTo(ctx context.Context, agent string) (int, error)
}
