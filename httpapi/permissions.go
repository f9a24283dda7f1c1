package httpapi

import (
	"net/http"

	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
)

type permissionSet struct {
	Principal   string   `json:"principal"`
	Permissions []string `json:"permissions"`
}

// listPermissions answers the patterns the caller holds, through its
// roles and those its token claims; any authenticated caller may ask.
func (s *Server) listPermissions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := identity.FromContext(ctx)
	return writeJSON(w, http.StatusOK, permissionSet{Principal: p.String(),
		Permissions: nonNil(s.authz.Permissions(ctx, p))})
}

type permissionView struct {
	Key         string `json:"key"`
	Description string `json:"description"`
}

type permissionList struct {
	Permissions []permissionView `json:"permissions"`
}

// availablePermissions answers the keys that can be granted now, for
// composing roles: the administration keys, then each installed
// integration's.
func (s *Server) availablePermissions(w http.ResponseWriter, _ *http.Request) error {
	avail := rbac.Available(s.reg.Snapshot())
	out := permissionList{Permissions: make([]permissionView, 0, len(avail))}
	for _, p := range avail {
		out.Permissions = append(out.Permissions,
			permissionView{Key: p.Key, Description: p.Description})
	}
	return writeJSON(w, http.StatusOK, out)
}
