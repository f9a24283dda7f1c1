package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard/rbac"
)

// roleView is how clients see a role. Built-in roles have no times.
type roleView struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	Inherits    []string  `json:"inherits"`
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"createdAt,omitzero"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
}

func newRoleView(r rbac.Role) roleView {
	return roleView{Name: r.Name, Description: r.Description,
		Permissions: nonNil(r.Permissions), Inherits: nonNil(r.Inherits),
		Builtin: r.Builtin, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type roleList struct {
	Roles []roleView `json:"roles"`
}

// listRoles answers every role, built-in ones included, by name.
func (s *Server) listRoles(w http.ResponseWriter, _ *http.Request) error {
	roles := s.roles.Roles()
	out := roleList{Roles: make([]roleView, 0, len(roles))}
	for _, r := range roles {
		out.Roles = append(out.Roles, newRoleView(r))
	}
	return writeJSON(w, http.StatusOK, out)
}

type roleRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
	Inherits    []string `json:"inherits"`
}

// createRole creates the role in the body and answers it as stored.
func (s *Server) createRole(w http.ResponseWriter, r *http.Request) error {
	var req roleRequest
	if err := readJSON(r, s.maxBody, &req); err != nil {
		return err
	}
	role, err := s.roles.CreateRole(r.Context(), rbac.Role{Name: req.Name,
		Description: req.Description, Permissions: req.Permissions, Inherits: req.Inherits})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newRoleView(role))
}

// rolePatch is the body of a role's change: each field given replaces the
// role's, an empty one empties it, and null is refused as ambiguous.
type rolePatch struct {
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
	Inherits    *[]string `json:"inherits"`
}

// updateRole changes the fields the body gives of the role {name} and
// answers the role as stored.
func (s *Server) updateRole(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, s.maxBody)
	if err != nil {
		return err
	}
	if isEmpty(body) {
		return invalidRequest("the request body must be a JSON object")
	}
	var req rolePatch
	if err := parseJSON(body, &req); err != nil {
		return err
	}
	if err := checkPatch(body); err != nil {
		return err
	}
	role, err := s.roles.UpdateRole(r.Context(), chi.URLParam(r, "name"), rbac.RolePatch{
		Description: req.Description, Permissions: req.Permissions, Inherits: req.Inherits,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newRoleView(role))
}

// checkPatch refuses a patch, already parsed, that changes nothing or
// sets a field to null.
func checkPatch(body []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return invalidRequest("the request body must be a JSON object")
	}
	if len(fields) == 0 {
		return invalidRequest("the request body must set description, permissions or inherits")
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if string(fields[name]) == "null" {
			return invalidRequest("field %q must not be null: send [] or \"\" to empty it", name)
		}
	}
	return nil
}

// deleteRole deletes the role {name}, its assignments, and it from the
// roles that inherit it; it answers 204.
func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := s.roles.DeleteRole(r.Context(), chi.URLParam(r, "name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// assignmentRequest is the body of an assignment or a revocation, and the
// answer to either.
type assignmentRequest struct {
	Principal string `json:"principal"`
	Role      string `json:"role"`
}

// assignRole gives the body's principal the body's role.
func (s *Server) assignRole(w http.ResponseWriter, r *http.Request) error {
	return s.changeAssignment(w, r, s.roles.Assign)
}

// revokeRole takes the body's role from the body's principal.
func (s *Server) revokeRole(w http.ResponseWriter, r *http.Request) error {
	return s.changeAssignment(w, r, s.roles.Revoke)
}

// changeAssignment applies change to the assignment in the body and
// answers it.
func (s *Server) changeAssignment(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, principal, role string) error) error {
	var req assignmentRequest
	if err := readJSON(r, s.maxBody, &req); err != nil {
		return err
	}
	p, err := bodyPrincipal(req.Principal)
	if err != nil {
		return err
	}
	if req.Role == "" {
		return invalidField("role", "is required")
	}
	if err := change(r.Context(), p.String(), req.Role); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, assignmentRequest{Principal: p.String(), Role: req.Role})
}

type assignmentView struct {
	Principal string    `json:"principal"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

type assignmentList struct {
	Assignments []assignmentView `json:"assignments"`
}

// listAssignments answers the assignments of ?principal=, or all of them,
// by principal and role.
func (s *Server) listAssignments(w http.ResponseWriter, r *http.Request) error {
	p, err := queryPrincipal(r)
	if err != nil {
		return err
	}
	as, err := s.roles.Assignments(r.Context(), p.String())
	if err != nil {
		return err
	}
	out := assignmentList{Assignments: make([]assignmentView, 0, len(as))}
	for _, a := range as {
		out.Assignments = append(out.Assignments,
			assignmentView{Principal: a.Principal, Role: a.Role, CreatedAt: a.CreatedAt})
	}
	return writeJSON(w, http.StatusOK, out)
}
