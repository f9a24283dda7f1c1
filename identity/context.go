package identity

import (
	"context"

	"github.com/switchboard-dev/switchboard"
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
