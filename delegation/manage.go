package delegation

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// List returns the live delegations p issued or received (revoked ones
// included until they expire), newest first.
func (s *Service) List(ctx context.Context, p switchboard.Principal) ([]Record, error) {
	list, err := s.store.Delegations(ctx, p.String(), s.now())
	if err != nil {
		return nil, fmt.Errorf("list delegations: %w", err)
	}
	return list, nil
}

// Revoke revokes delegation jti at once. Its user, its agent, or a caller
// for whom admin is true may revoke it; to anyone else it is not_found,
// as is an unknown jti. Revoking a revoked delegation is not an error.
func (s *Service) Revoke(ctx context.Context, caller switchboard.Principal, jti string,
	admin bool) (Record, error) {
	notFound := switchboard.Errorf(switchboard.CodeNotFound, "no delegation %q", jti)
	rec, err := s.store.Delegation(ctx, jti)
	switch {
	case switchboard.ErrorCode(err) == switchboard.CodeNotFound:
		return Record{}, notFound
	case err != nil:
		return Record{}, fmt.Errorf("read delegation: %w", err)
	case !admin && rec.User != caller.String() && rec.Agent != caller.String():
		return Record{}, notFound
	}
	if !rec.RevokedAt.IsZero() {
		return rec, nil
	}
	rec, err = s.store.RevokeDelegation(ctx, jti, s.now().UTC())
	if err != nil {
		return Record{}, fmt.Errorf("revoke delegation: %w", err)
	}
	s.log.InfoContext(ctx, "delegation revoked", slog.String("delegation", jti),
		slog.String(logkey.Principal, rec.User), slog.String("agent", rec.Agent))
	return rec, s.note(ctx, audit.EventDelegationRevoke, map[string]string{
		"delegation": jti, "user": rec.User, "agent": rec.Agent,
	})
}

// RemovePrincipal revokes every delegation p issued or received, for
// offboarding, and returns how many.
func (s *Service) RemovePrincipal(ctx context.Context, p switchboard.Principal) (int, error) {
	n, err := s.store.RevokeDelegationsOf(ctx, p.String(), s.now().UTC())
	if err != nil {
		return 0, fmt.Errorf("revoke delegations of %s: %w", p, err)
	}
	if n == 0 {
		return 0, nil
	}
	s.log.InfoContext(ctx, "delegations revoked", slog.String(logkey.Principal, p.String()),
		slog.Int(logkey.Count, n))
	return n, s.note(ctx, audit.EventDelegationRevoke, map[string]string{
		"principal": p.String(), "count": strconv.Itoa(n),
	})
}
