package rbac_test

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

// memStore is an rbac.Store in memory, for the package's own tests; the
// real stores pass storetest.RunRBAC. fail, when set, is returned by every
// method.
type memStore struct {
	mu       sync.Mutex
	roles    map[string]rbac.Role
	assigned map[[2]string]rbac.Assignment
	fail     error
	loads    int
}

var _ rbac.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{roles: map[string]rbac.Role{}, assigned: map[[2]string]rbac.Assignment{}}
}

func (s *memStore) exists(name string) bool {
	_, ok := s.roles[name]
	return ok || rbac.IsBuiltin(name)
}

func (s *memStore) Roles(context.Context) ([]rbac.Role, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.fail != nil {
		return nil, s.fail
	}
	out := make([]rbac.Role, 0, len(s.roles))
	for _, r := range s.roles {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b rbac.Role) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *memStore) CreateRole(_ context.Context, r rbac.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.exists(r.Name) {
		return switchboard.Errorf(switchboard.CodeConflict, "role %q exists already", r.Name)
	}
	for _, p := range r.Inherits {
		if !s.exists(p) {
			return switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", p)
		}
	}
	s.roles[r.Name] = r
	return nil
}

func (s *memStore) UpdateRole(_ context.Context, r rbac.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	cur, ok := s.roles[r.Name]
	if !ok {
		return switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", r.Name)
	}
	r.CreatedAt = cur.CreatedAt
	s.roles[r.Name] = r
	return nil
}

func (s *memStore) DeleteRole(_ context.Context, name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if _, ok := s.roles[name]; !ok {
		return switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", name)
	}
	delete(s.roles, name)
	for k := range s.assigned {
		if k[1] == name {
			delete(s.assigned, k)
		}
	}
	for n, r := range s.roles {
		if i := slices.Index(r.Inherits, name); i >= 0 {
			r.Inherits = slices.Delete(slices.Clone(r.Inherits), i, i+1)
			if len(r.Inherits) == 0 {
				r.Inherits = nil
			}
			r.UpdatedAt = at
			s.roles[n] = r
		}
	}
	return nil
}

func (s *memStore) Assignments(_ context.Context, principal string) ([]rbac.Assignment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	var out []rbac.Assignment
	for k, a := range s.assigned {
		if principal == "" || k[0] == principal {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b rbac.Assignment) int {
		return cmp.Or(cmp.Compare(a.Principal, b.Principal), cmp.Compare(a.Role, b.Role))
	})
	return out, nil
}

func (s *memStore) Assign(_ context.Context, a rbac.Assignment) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return false, s.fail
	}
	if !s.exists(a.Role) {
		return false, switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", a.Role)
	}
	k := [2]string{a.Principal, a.Role}
	if _, ok := s.assigned[k]; ok {
		return false, nil
	}
	s.assigned[k] = a
	return true, nil
}

func (s *memStore) Unassign(_ context.Context, principal, role string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	k := [2]string{principal, role}
	if _, ok := s.assigned[k]; !ok {
		return switchboard.Errorf(switchboard.CodeNotFound,
			"%s does not have role %q", principal, role)
	}
	delete(s.assigned, k)
	return nil
}

func (s *memStore) DeleteAssignments(_ context.Context, principal string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	n := 0
	for k := range s.assigned {
		if k[0] == principal {
			delete(s.assigned, k)
			n++
		}
	}
	return n, nil
}
