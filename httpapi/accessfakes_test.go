package httpapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
)

var createdAt = time.Date(2025, 4, 2, 9, 30, 0, 0, time.UTC)

// keyPrefixShown starts every key the fake makes, so that a test can
// look for any of them.
const keyPrefixShown = "sbk_SHOWN_ONCE_"

// fakeKeys keeps API keys in memory, records every change as "verb
// subject", and fails every call with err when it is set.
type fakeKeys struct {
	mu      sync.Mutex
	keys    []identity.APIKey
	made    int
	err     error
	changes []string
}

func (f *fakeKeys) CreateKey(_ context.Context, p switchboard.Principal,
	name string) (string, identity.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", identity.APIKey{}, f.err
	}
	if name == "" {
		e := switchboard.Errorf(switchboard.CodeInvalidInput, "the api key is invalid: name")
		e.Errors = []switchboard.FieldError{{Path: "name", Message: "must be 1-128 characters"}}
		return "", identity.APIKey{}, e
	}
	f.made++
	k := identity.APIKey{ID: fmt.Sprintf("key_%d", f.made), Principal: p.String(), Name: name,
		Hash: []byte("HASH-NEVER-SHOWN"), CreatedAt: createdAt}
	f.keys = append(f.keys, k)
	f.changes = append(f.changes, "create "+k.ID)
	return fmt.Sprintf("%s%d", keyPrefixShown, f.made), k, nil
}

// ListKeys leaves each key's hash set, so that tests see the API drop it.
func (f *fakeKeys) ListKeys(_ context.Context, p switchboard.Principal) ([]identity.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []identity.APIKey
	for _, k := range f.keys {
		if p.IsZero() || k.Principal == p.String() {
			out = append(out, k)
		}
	}
	return out, nil
}

func (f *fakeKeys) RevokeKey(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	i := slices.IndexFunc(f.keys, func(k identity.APIKey) bool { return k.ID == id })
	if i < 0 {
		return switchboard.Errorf(switchboard.CodeNotFound, "api key %q not found", id)
	}
	f.keys = slices.Delete(f.keys, i, i+1)
	f.changes = append(f.changes, "revoke "+id)
	return nil
}

func (f *fakeKeys) RevokeKeysOf(_ context.Context, p switchboard.Principal) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	before := len(f.keys)
	f.keys = slices.DeleteFunc(f.keys, func(k identity.APIKey) bool {
		return k.Principal == p.String()
	})
	f.changes = append(f.changes, "revoke-all "+p.String())
	return before - len(f.keys), nil
}

func (f *fakeKeys) changed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.changes)
}

// fakeRoles keeps roles and assignments in memory, answering unknown and
// built-in roles as rbac does. It records every change as "verb subject",
// and answers err instead of any change when err is set.
type fakeRoles struct {
	mu       sync.Mutex
	stored   map[string]rbac.Role
	assigned []rbac.Assignment
	err      error
	changes  []string
}

func (f *fakeRoles) Roles() []rbac.Role {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []rbac.Role{
		{Name: rbac.AdminRole, Description: "Everything", Permissions: []string{"*"},
			Builtin: true},
		{Name: rbac.MemberRole, Description: "Nothing", Builtin: true},
	}
	for _, r := range f.stored {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b rbac.Role) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (f *fakeRoles) CreateRole(_ context.Context, r rbac.Role) (rbac.Role, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rbac.IsBuiltin(r.Name) || f.stored[r.Name].Name != "" {
		return rbac.Role{}, switchboard.Errorf(switchboard.CodeConflict,
			"role %q exists already", r.Name)
	}
	if f.err != nil {
		return rbac.Role{}, f.err
	}
	if f.stored == nil {
		f.stored = map[string]rbac.Role{}
	}
	r.CreatedAt, r.UpdatedAt = createdAt, createdAt
	f.stored[r.Name] = r
	f.changes = append(f.changes, "create "+r.Name)
	return r, nil
}

func (f *fakeRoles) UpdateRole(_ context.Context, name string,
	patch rbac.RolePatch) (rbac.Role, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.changeable(name)
	if err != nil {
		return rbac.Role{}, err
	}
	if patch.Description != nil {
		r.Description = *patch.Description
	}
	if patch.Permissions != nil {
		r.Permissions = *patch.Permissions
	}
	if patch.Inherits != nil {
		r.Inherits = *patch.Inherits
	}
	r.UpdatedAt = createdAt.Add(time.Hour)
	f.stored[name] = r
	f.changes = append(f.changes, "update "+name)
	return r, nil
}

func (f *fakeRoles) DeleteRole(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.changeable(name); err != nil {
		return err
	}
	delete(f.stored, name)
	f.changes = append(f.changes, "delete "+name)
	return nil
}

// changeable returns the stored role name, or the error rbac gives for
// changing it.
func (f *fakeRoles) changeable(name string) (rbac.Role, error) {
	if rbac.IsBuiltin(name) {
		return rbac.Role{}, switchboard.Errorf(switchboard.CodeConflict,
			"role %q is built in: it cannot be created, changed or deleted", name)
	}
	r, ok := f.stored[name]
	if !ok {
		return rbac.Role{}, switchboard.Errorf(switchboard.CodeNotFound,
			"role %q not found", name)
	}
	return r, f.err
}

func (f *fakeRoles) Assign(_ context.Context, principal, role string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.stored[role]; !ok && !rbac.IsBuiltin(role) {
		return switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", role)
	}
	if f.err != nil {
		return f.err
	}
	f.assigned = append(f.assigned,
		rbac.Assignment{Principal: principal, Role: role, CreatedAt: createdAt})
	f.changes = append(f.changes, "assign "+principal+" "+role)
	return nil
}

func (f *fakeRoles) Revoke(_ context.Context, principal, role string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.assigned, func(a rbac.Assignment) bool {
		return a.Principal == principal && a.Role == role
	})
	if i < 0 {
		return switchboard.Errorf(switchboard.CodeNotFound,
			"%s does not have the role %q", principal, role)
	}
	f.assigned = slices.Delete(f.assigned, i, i+1)
	f.changes = append(f.changes, "revoke "+principal+" "+role)
	return nil
}

func (f *fakeRoles) Assignments(_ context.Context, principal string) ([]rbac.Assignment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []rbac.Assignment
	for _, a := range f.assigned {
		if principal == "" || a.Principal == principal {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeRoles) RemovePrincipal(_ context.Context, principal string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.assigned = slices.DeleteFunc(f.assigned, func(a rbac.Assignment) bool {
		return a.Principal == principal
	})
	f.changes = append(f.changes, "remove "+principal)
	return nil
}

func (f *fakeRoles) changed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.changes)
}

// fakeAudit answers every query with page, or err, and records the
// queries.
type fakeAudit struct {
	mu      sync.Mutex
	page    audit.Page
	err     error
	queries []audit.Query
}

func (f *fakeAudit) List(_ context.Context, q audit.Query) (audit.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	return f.page, f.err
}

func (f *fakeAudit) asked() []audit.Query {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queries)
}

// changed lists every change any fake was asked to make, so that a test
// can check that a refused request made none.
func (e *testEnv) changed() []string {
	e.t.Helper()
	e.reg.mu.Lock()
	var out []string
	for _, id := range e.reg.deploys {
		out = append(out, "deploy "+id)
	}
	for _, u := range e.reg.undeploys {
		out = append(out, "undeploy "+u.ID)
	}
	for range e.reg.uploads {
		out = append(out, "upload")
	}
	for range e.reg.configures {
		out = append(out, "configure")
	}
	e.reg.mu.Unlock()
	for range e.exec.recorded() {
		out = append(out, "call")
	}
	out = append(out, e.keys.changed()...)
	return append(out, e.roles.changed()...)
}
