package rbac

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// Roles returns every role, built-in roles included, ordered by name.
func (a *Authorizer) Roles() []Role {
	m := a.model.Load()
	out := make([]Role, len(m.names))
	for i, name := range m.names {
		out[i] = m.roles[name].clone()
	}
	return out
}

// Role returns the role called name, built-in roles included, or a
// *switchboard.Error with CodeNotFound.
func (a *Authorizer) Role(name string) (Role, error) {
	r := a.model.Load().roles[name]
	if r == nil {
		return Role{}, roleNotFound(name)
	}
	return r.clone(), nil
}

// CreateRole validates r and stores it, with its times set to now; r's
// Builtin, CreatedAt and UpdatedAt are ignored. It returns the role as
// stored, or a *switchboard.Error: CodeConflict when the name is taken or
// built in, or when [MaxRoles] roles exist already, CodeInvalidInput
// listing every problem at its field ("permissions[2]", "inherits[0]"), a
// cycle of inheritance among them. Any other error is a fault of the
// store.
func (a *Authorizer) CreateRole(ctx context.Context, r Role) (Role, error) {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()

	if IsBuiltin(r.Name) {
		return Role{}, builtinRole(r.Name)
	}
	m := a.model.Load()
	if m.roles[r.Name] != nil {
		return Role{}, switchboard.Errorf(switchboard.CodeConflict, "role %q exists already", r.Name)
	}
	// Counted on the model: another process creating roles at the same
	// time can pass the limit by a few, which a load tolerates.
	if m.stored() >= MaxRoles {
		return Role{}, switchboard.Errorf(switchboard.CodeConflict,
			"role %q is not created: there are %d roles, the most allowed; delete one first",
			r.Name, MaxRoles)
	}
	r = normalize(r)
	if err := m.validate(r, allFields); err != nil {
		return Role{}, err
	}

	r.Builtin = false
	r.CreatedAt = a.stamp()
	r.UpdatedAt = r.CreatedAt
	if err := a.store.CreateRole(ctx, r); err != nil {
		return Role{}, storeErr(err, "create role "+r.Name)
	}
	a.reload(ctx)
	if err := a.note(ctx, audit.EventRoleCreate, map[string]string{"role": r.Name}); err != nil {
		return Role{}, err
	}
	return r.clone(), nil
}

// UpdateRole applies patch to the role called name, whose name and
// CreatedAt stay, and returns the role as stored. It validates only the
// fields patch sets. It returns a *switchboard.Error:
// CodeNotFound for an unknown role, CodeConflict for a built-in one,
// CodeInvalidInput as [Authorizer.CreateRole] does.
func (a *Authorizer) UpdateRole(ctx context.Context, name string, patch RolePatch) (Role, error) {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()

	if IsBuiltin(name) {
		return Role{}, builtinRole(name)
	}
	m := a.model.Load()
	cur := m.roles[name]
	if cur == nil {
		return Role{}, roleNotFound(name)
	}
	r := cur.clone()
	f := fields{}
	if patch.Description != nil {
		r.Description, f.description = *patch.Description, true
	}
	if patch.Permissions != nil {
		r.Permissions, f.permissions = *patch.Permissions, true
	}
	if patch.Inherits != nil {
		r.Inherits, f.inherits = *patch.Inherits, true
	}
	r = normalize(r)
	if err := m.validate(r, f); err != nil {
		return Role{}, err
	}

	r.UpdatedAt = a.stamp()
	if err := a.store.UpdateRole(ctx, r); err != nil {
		return Role{}, storeErr(err, "update role "+name)
	}
	a.reload(ctx)
	if err := a.note(ctx, audit.EventRoleUpdate, map[string]string{"role": name}); err != nil {
		return Role{}, err
	}
	return r.clone(), nil
}

// DeleteRole deletes the role name, every assignment of it, and it from
// the roles that inherit it, whose UpdatedAt becomes now. The audit entry
// says how many assignments went and which roles inherited it, as this
// process last loaded them. It returns a *switchboard.Error with
// CodeNotFound for an unknown role and CodeConflict for a built-in one.
func (a *Authorizer) DeleteRole(ctx context.Context, name string) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()

	if IsBuiltin(name) {
		return builtinRole(name)
	}
	detail := a.model.Load().deletion(name)
	if err := a.store.DeleteRole(ctx, name, a.stamp()); err != nil {
		return storeErr(err, "delete role "+name)
	}
	a.reload(ctx)
	return a.note(ctx, audit.EventRoleDelete, detail)
}

// deletion returns the audit detail of deleting role name: the count of
// its assignments and the roles that inherit it directly.
func (m *model) deletion(name string) map[string]string {
	held := 0
	for _, g := range m.principals {
		for _, n := range g.roles {
			if n.role.Name == name {
				held++
			}
		}
	}
	var heirs []string
	for _, n := range m.names {
		if slices.Contains(m.roles[n].Inherits, name) {
			heirs = append(heirs, n)
		}
	}
	return map[string]string{
		"role":                name,
		"assignments_removed": strconv.Itoa(held),
		"inherited_by":        nameList(heirs),
	}
}

// nameList joins names with commas in at most [audit.MaxText] bytes. When
// they do not all fit, it keeps as many as fit and ends with "+N more".
func nameList(names []string) string {
	if s := strings.Join(names, ","); len(s) <= audit.MaxText {
		return s
	}
	kept, size := 0, 0 // names kept, and their length with a comma each
	for kept < len(names) {
		next := size + len(names[kept]) + 1
		if next+len(more(len(names)-kept-1)) > audit.MaxText {
			break
		}
		kept, size = kept+1, next
	}
	return strings.Join(append(names[:kept:kept], more(len(names)-kept)), ",")
}

func more(n int) string { return "+" + strconv.Itoa(n) + " more" }

// Assign gives principal ("user:alice") the role; it is not an error when
// principal has it already. It returns a *switchboard.Error with
// CodeInvalidInput for a malformed principal and CodeNotFound for an
// unknown role.
func (a *Authorizer) Assign(ctx context.Context, principal, role string) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()

	p, err := parsePrincipal(principal)
	if err != nil {
		return err
	}
	if a.model.Load().roles[role] == nil {
		return roleNotFound(role)
	}
	as := Assignment{Principal: p.String(), Role: role, CreatedAt: a.stamp()}
	added, err := a.store.Assign(ctx, as)
	if err != nil {
		return storeErr(err, "assign role "+role)
	}
	if !added {
		return nil
	}
	a.reload(ctx)
	return a.note(ctx, audit.EventRoleAssign,
		map[string]string{"principal": p.String(), "role": role})
}

// Revoke takes the role from principal. It returns a *switchboard.Error
// with CodeInvalidInput for a malformed principal and CodeNotFound when
// principal does not have the role.
func (a *Authorizer) Revoke(ctx context.Context, principal, role string) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()

	p, err := parsePrincipal(principal)
	if err != nil {
		return err
	}
	if err := a.store.Unassign(ctx, p.String(), role); err != nil {
		return storeErr(err, "revoke role "+role)
	}
	a.reload(ctx)
	return a.note(ctx, audit.EventRoleRevoke,
		map[string]string{"principal": p.String(), "role": role})
}

// Assignments returns the assignments of principal, or every assignment
// when principal is "", ordered by principal and role, as the store holds
// them now. It returns a *switchboard.Error with CodeInvalidInput for a
// malformed principal.
func (a *Authorizer) Assignments(ctx context.Context, principal string) ([]Assignment, error) {
	if principal != "" {
		p, err := parsePrincipal(principal)
		if err != nil {
			return nil, err
		}
		principal = p.String()
	}
	as, err := a.store.Assignments(ctx, principal)
	if err != nil {
		return nil, storeErr(err, "list role assignments")
	}
	return as, nil
}

// RemovePrincipal takes every role from principal, for instance when it
// is deleted; a principal without roles is not an error. Every call that
// succeeds records an offboarding with the count of roles removed, none
// included. It returns a *switchboard.Error with CodeInvalidInput for a
// malformed principal.
func (a *Authorizer) RemovePrincipal(ctx context.Context, principal string) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()

	p, err := parsePrincipal(principal)
	if err != nil {
		return err
	}
	n, err := a.store.DeleteAssignments(ctx, p.String())
	if err != nil {
		return storeErr(err, "remove principal")
	}
	if n > 0 {
		a.reload(ctx)
	}
	return a.note(ctx, audit.EventOffboard,
		map[string]string{"principal": p.String(), "roles_removed": strconv.Itoa(n)})
}

// reload refreshes the model after a write of this process, so that it
// sees the write at once. The write stands when the reload fails: the next
// Refresh, when the change feed moves, catches up.
func (a *Authorizer) reload(ctx context.Context) {
	if err := a.Refresh(ctx); err != nil {
		a.log.WarnContext(ctx, "roles not reloaded after a change", slog.Any(logkey.Err, err))
	}
}

// stamp is now as a store keeps it: UTC, to the microsecond.
func (a *Authorizer) stamp() time.Time {
	return a.now().UTC().Truncate(time.Microsecond)
}

// normalize makes empty slices nil, as a store returns them.
func normalize(r Role) Role {
	if len(r.Permissions) == 0 {
		r.Permissions = nil
	}
	if len(r.Inherits) == 0 {
		r.Inherits = nil
	}
	return r
}

// storeErr passes a store's *switchboard.Error through and wraps any other
// error with op.
func storeErr(err error, op string) error {
	if _, ok := errors.AsType[*switchboard.Error](err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

func roleNotFound(name string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", name)
}

func builtinRole(name string) error {
	return switchboard.Errorf(switchboard.CodeConflict,
		"role %q is built in: it cannot be created, changed or deleted", name)
}
