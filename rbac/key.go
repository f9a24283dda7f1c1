package rbac

import (
	"errors"
	"fmt"
	"strings"
)

// The administration keys: each guards a family of operator actions on the
// REST API and the CLI.
const (
	// IntegrationsDeploy allows uploading manifests and deploying and
	// undeploying integrations.
	IntegrationsDeploy = "admin:integrations.deploy"
	// IntegrationsConfigure allows setting the config of any integration.
	IntegrationsConfigure = "admin:integrations.configure"
	// SecretsManage allows setting and deleting platform secrets.
	SecretsManage = "admin:secrets.manage"
	// AuditRead allows reading and verifying the audit log.
	AuditRead = "admin:audit.read"
	// RBACManage allows changing roles and assignments.
	RBACManage = "admin:rbac.manage"
	// KeysManage allows creating and revoking API keys of any principal.
	KeysManage = "admin:keys.manage"
)

// AdminKeys returns the administration keys, in a fresh slice the caller
// may keep.
func AdminKeys() []string {
	return []string{
		IntegrationsDeploy, IntegrationsConfigure, SecretsManage,
		AuditRead, RBACManage, KeysManage,
	}
}

// Wildcard is the key that matches every key, and the last segment that
// matches any rest.
const Wildcard = "*"

// MaxKeyLen bounds the length of a permission key.
const MaxKeyLen = 256

// ActionKey returns the key that allows calling action actionID of
// integration appID: "integration:{appID}:{actionID}".
func ActionKey(appID, actionID string) string {
	return "integration:" + appID + ":" + actionID
}

// ManageKey returns the key that allows configuring integration appID and
// managing the connections of others: "integration:{appID}:manage".
func ManageKey(appID string) string {
	return "integration:" + appID + ":manage"
}

// EventsKey returns the key that allows reading the webhook events of
// integration appID and subscribing to them: "integration:{appID}:events".
func EventsKey(appID string) string {
	return "integration:" + appID + ":events"
}

// ValidKey returns nil when key is a well-formed permission key or pattern,
// and otherwise an error that names the problem. A key is "*", or at least
// two segments separated by ':', each of a-z, 0-9, '_', '.' and '-'; the
// last segment may be "*", matching any rest.
func ValidKey(key string) error {
	switch {
	case key == "":
		return errors.New("permission key is empty")
	case key == Wildcard:
		return nil
	case len(key) > MaxKeyLen:
		return fmt.Errorf("permission key is longer than %d characters", MaxKeyLen)
	}

	segs := strings.Split(key, ":")
	if len(segs) < 2 {
		return fmt.Errorf("permission key %q needs at least two segments separated by ':', "+
			"such as integration:slack:send_message", key)
	}
	for i, seg := range segs {
		if err := validSegment(seg, i == len(segs)-1); err != nil {
			return fmt.Errorf("permission key %q: segment %d %w", key, i+1, err)
		}
	}
	return nil
}

// validSegment checks one segment of a key; last says whether it ends it.
func validSegment(seg string, last bool) error {
	switch {
	case seg == "":
		return errors.New("is empty")
	case seg == Wildcard && last:
		return nil
	case seg == Wildcard:
		return errors.New("is '*', which may only be the last segment")
	}
	for _, r := range seg {
		if !keyChar(r) {
			if r == '*' {
				return fmt.Errorf("%q holds '*', which must be a whole segment", seg)
			}
			return fmt.Errorf("%q holds %q; segments use a-z, 0-9, '_', '.' and '-'", seg, r)
		}
	}
	return nil
}

func keyChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-'
}

// Match reports whether pattern grants key. "*" matches every key; a
// pattern ending in ":*" matches every key that starts with the pattern's
// other segments and has at least one segment more; any other pattern
// matches only itself. Match does not validate either argument.
func Match(pattern, key string) bool {
	if pattern == Wildcard {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, Wildcard); ok && strings.HasSuffix(prefix, ":") {
		return len(key) > len(prefix) && key[:len(prefix)] == prefix
	}
	return pattern == key
}
