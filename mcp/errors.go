package mcp

import (
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard"
)

// errorText is what the model reads when a call fails: what went wrong, in
// the executor's own words, and what to do about it.
func errorText(e *switchboard.Error) string {
	var b strings.Builder
	b.WriteString(e.Message)
	switch e.Code {
	case switchboard.CodeInvalidInput:
		if len(e.Errors) > 0 && !strings.Contains(e.Message, e.Errors[0].Path) {
			for _, fe := range e.Errors {
				fmt.Fprintf(&b, "\n- %s: %s", fe.Path, fe.Message)
			}
		}
		b.WriteString("\nFix the arguments to match the tool's input schema and call again.")
	case switchboard.CodeNotConnected:
		if e.ConnectURL != "" {
			fmt.Fprintf(&b, "\nAsk the user to open this link to connect their account "+
				"(it works once, for ten minutes), then call again: %s", e.ConnectURL)
		} else {
			b.WriteString("\nAsk the user to connect their account, then call again.")
		}
	case switchboard.CodeNotConfigured:
		b.WriteString("\nTell the user; retrying will not help until it is configured.")
	case switchboard.CodeForbidden:
		if !strings.Contains(e.Message, "administrator") {
			b.WriteString("\nAn administrator can grant the permission.")
		}
	case switchboard.CodeNotFound:
		if !strings.Contains(e.Message, "list_integrations") {
			b.WriteString("\nCall list_integrations to see what is installed.")
		}
	case switchboard.CodeUpstream:
		upstreamText(&b, e)
	case switchboard.CodeTimeout:
		b.WriteString("\nThe service may still have acted; check before retrying.")
	case switchboard.CodeNotImplemented:
		b.WriteString("\nTell the user; this action cannot run until its integration " +
			"implements it.")
	case switchboard.CodeTooLarge:
		b.WriteString("\nSend a smaller input.")
	case switchboard.CodeUnauthenticated:
		b.WriteString("\nThe Switchboard token is missing or no longer valid; " +
			"the user must provide a new one.")
	}
	return b.String()
}

// upstreamText adds what the service answered and whether trying again can
// help: a refusal needs different arguments, a failure (5xx, or no answer)
// may pass.
func upstreamText(b *strings.Builder, e *switchboard.Error) {
	if e.UpstreamStatus != 0 {
		fmt.Fprintf(b, "\n(the service answered HTTP %d", e.UpstreamStatus)
		if e.UpstreamCode != "" {
			fmt.Fprintf(b, ", error code %s", e.UpstreamCode)
		}
		b.WriteString(")")
	}
	switch s := e.UpstreamStatus; {
	case s == 429:
		b.WriteString("\nThe service is limiting requests; wait before calling again.")
	case s == 0 || s >= 500:
		b.WriteString("\nThe service failed or could not be reached; try again later, " +
			"or tell the user if it keeps failing.")
	default:
		b.WriteString("\nThe service refused the request: change the arguments if they " +
			"caused it, otherwise tell the user.")
	}
}
