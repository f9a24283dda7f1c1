package rbac

import (
	"fmt"

	"github.com/switchboard-dev/switchboard/registry"
)

// Permission is a key that can be granted, with what it allows, for people
// composing roles.
type Permission struct {
	Key         string
	Description string
}

// Available returns the keys that can be granted now: the administration
// keys, then, for each integration of snap in deployment order, the key of
// each of its actions, its manage key and, when it declares webhooks, its
// events key. A nil snap has no integrations.
// Patterns ("integration:slack:*", "*") are not listed; any key may also be
// granted through them.
func Available(snap *registry.Snapshot) []Permission {
	out := []Permission{
		{IntegrationsDeploy, "Upload manifests, deploy and undeploy integrations"},
		{IntegrationsConfigure, "Configure any integration"},
		{SecretsManage, "Set and delete platform secrets"},
		{AuditRead, "Read and verify the audit log"},
		{RBACManage, "Create, change and delete roles, and assign them"},
		{KeysManage, "Create and revoke the API keys of any principal"},
	}
	if snap == nil {
		return out
	}
	for _, in := range snap.Integrations() {
		name := in.Manifest.Name
		if name == "" {
			name = in.ID()
		}
		for _, act := range in.Actions {
			title := act.Spec.Name
			if title == "" {
				title = act.Spec.ID
			}
			out = append(out, Permission{
				Key:         ActionKey(in.ID(), act.Spec.ID),
				Description: fmt.Sprintf("Call %s's %s", name, title),
			})
		}
		out = append(out, Permission{
			Key:         ManageKey(in.ID()),
			Description: fmt.Sprintf("Manage %s: configure it and others' connections", name),
		})
		if len(in.Manifest.Webhooks) > 0 {
			out = append(out, Permission{
				Key:         EventsKey(in.ID()),
				Description: fmt.Sprintf("Read %s's webhook events and subscribe to them", name),
			})
		}
	}
	return out
}
