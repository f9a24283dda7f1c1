package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// BuiltinTools are the MCP tools Switchboard serves itself. An action whose
// plain tool name equals one of them takes the hashed name.
var BuiltinTools = []string{"list_integrations", "call_integration", "list_events"}

// MaxToolName is the longest tool name MCP clients accept.
const MaxToolName = 64

// ToolKey names one action of one integration.
type ToolKey struct {
	AppID    string
	ActionID string
}

// ToolNames names every action's MCP tool. keys must be in deployment
// order: the action deployed earliest first. The registry orders them by
// when each action was first deployed ([Installed.ActionSince]), then by
// its integration's Seq, then manifest order, so that a redeploy never
// takes a name another integration's action already has. The plain name is
// {appId}_{actionId} with every character outside [A-Za-z0-9_-] replaced by
// "_". A plain name longer than [MaxToolName], or one an earlier action or a
// built-in tool already has, becomes a prefix, "_" and 8 hex digits of
// SHA-256 over appId, a zero byte and actionId. The result depends only on
// keys, so it is the same on every restart.
func ToolNames(keys []ToolKey) map[ToolKey]string {
	taken := make(map[string]bool, len(keys)+len(BuiltinTools))
	for _, b := range BuiltinTools {
		taken[b] = true
	}
	names := make(map[ToolKey]string, len(keys))
	for _, k := range keys {
		plain := sanitizeTool(k.AppID + "_" + k.ActionID)
		name := plain
		if len(plain) > MaxToolName || taken[plain] {
			name = hashedTool(plain, k, 8)
			// Two hashes sharing 32 bits is rare; widen until unique.
			for n := 12; taken[name] && n <= 32; n += 4 {
				name = hashedTool(plain, k, n)
			}
		}
		taken[name] = true
		names[k] = name
	}
	return names
}

func hashedTool(plain string, k ToolKey, digits int) string {
	sum := sha256.Sum256([]byte(k.AppID + "\x00" + k.ActionID))
	suffix := "_" + hex.EncodeToString(sum[:])[:digits]
	prefix := plain
	if max := MaxToolName - len(suffix); len(prefix) > max {
		prefix = prefix[:max]
	}
	return prefix + suffix
}

func sanitizeTool(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}
