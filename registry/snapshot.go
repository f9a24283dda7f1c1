package registry

import (
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard"
)

// Snapshot is the installed set at one point of the change feed. It is
// immutable and safe for concurrent use.
type Snapshot struct {
	// Change is the change feed id the snapshot reflects.
	Change int64

	list   []*Integration
	byID   map[string]*Integration
	byTool map[string]*Action
}

// Integrations returns the installed integrations in deployment order. The
// slice must not be modified.
func (s *Snapshot) Integrations() []*Integration { return s.list }

// Integration returns the installed integration id, or nil.
func (s *Snapshot) Integration(id string) *Integration { return s.byID[id] }

// Tool returns the action whose MCP tool name is name, or nil.
func (s *Snapshot) Tool(name string) *Action { return s.byTool[name] }

// Action returns an installed action, or a *switchboard.Error with
// CodeNotFound that says what is installed instead.
func (s *Snapshot) Action(appID, actionID string) (*Action, error) {
	in := s.byID[appID]
	if in == nil {
		return nil, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed", appID)
	}
	if a := in.Action(actionID); a != nil {
		return a, nil
	}
	ids := make([]string, 0, len(in.Actions))
	for _, a := range in.Actions {
		ids = append(ids, a.Spec.ID)
	}
	slices.Sort(ids)
	return nil, switchboard.Errorf(switchboard.CodeNotFound,
		"%s has no action %q; its actions are: %s", in.Manifest.Name, actionID, strings.Join(ids, ", "))
}
