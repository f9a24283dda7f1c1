package switchboard

import (
	"context"
	"slices"
)

// Delegation is the authority a delegated request carries: an agent acting
// for a user, within a scope. A request made with it is allowed only what
// the user holds, the agent holds, and the scope names, and it runs with
// the user's connections.
type Delegation struct {
	// ID is the delegation token's id (its jti).
	ID string
	// User is who the request acts for.
	User Principal
	// Scope is the permission keys (patterns) the delegation may use.
	Scope []string
	// UserRoles are roles the user's own login claimed when the delegation
	// was issued; the user's authority includes them.
	UserRoles []string
}

type delegationKey struct{}

// WithDelegation returns ctx carrying d: authorization made with it
// narrows to d, and calls run with d.User's connections. Only the code that
// verified the delegation may call it.
func WithDelegation(ctx context.Context, d Delegation) context.Context {
	d.Scope = slices.Clone(d.Scope)
	d.UserRoles = slices.Clone(d.UserRoles)
	return context.WithValue(ctx, delegationKey{}, &d)
}

// DelegationFrom returns the delegation ctx carries, and false when the
// request is not delegated. Its slices are shared: do not modify them.
func DelegationFrom(ctx context.Context) (Delegation, bool) {
	d, ok := ctx.Value(delegationKey{}).(*Delegation)
	if !ok {
		return Delegation{}, false
	}
	return *d, true
}
