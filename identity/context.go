package identity

import (
	"context"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

type principalKey struct{}

// NewContext returns ctx carrying p, the authenticated caller.
func NewContext(ctx context.Context, p switchboard.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller NewContext stored, or the zero Principal.
func FromContext(ctx context.Context) switchboard.Principal {
	p, _ := ctx.Value(principalKey{}).(switchboard.Principal)
	return p
}

// NewCallerContext returns ctx carrying what authorization and calls read
// of c: its principal, the roles its token claims (rbac.WithClaimedRoles)
// and the delegation it carries (switchboard.WithDelegation). Only the code
// that authenticated c may call it.
func NewCallerContext(ctx context.Context, c Caller) context.Context {
	ctx = NewContext(ctx, c.Principal)
	if len(c.Roles) > 0 {
		ctx = rbac.WithClaimedRoles(ctx, c.Roles)
	}
	if c.Delegation != nil {
		ctx = switchboard.WithDelegation(ctx, *c.Delegation)
	}
	return ctx
}
