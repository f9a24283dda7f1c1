package credentials

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// ErrNoUserAuth is the cause of the error that flows and calls return for
// an integration without a userAuth block: its calls use the platform's
// credentials, and what to tell the caller (not_configured, or the config
// schema to an administrator) is the caller's choice. Test with errors.Is.
var ErrNoUserAuth = errors.New("credentials: the integration has no userAuth")

// name is how messages name an integration.
func name(in *registry.Integration) string {
	if in.Manifest.Name != "" {
		return in.Manifest.Name
	}
	return in.ID()
}

func noUserAuth(in *registry.Integration) error {
	return &switchboard.Error{
		Code: switchboard.CodeNotConfigured,
		Message: fmt.Sprintf("%s has no per-user connections: its calls use the "+
			"platform's credentials", name(in)),
		Cause: ErrNoUserAuth,
	}
}

func redirectUnsupported(in *registry.Integration) error {
	return switchboard.Errorf(switchboard.CodeNotImplemented,
		"%s connects accounts through its worker backend (userAuth redirect), which "+
			"needs a worker backend this version does not run", name(in))
}

func platformOnly(in *registry.Integration) error {
	return switchboard.Errorf(switchboard.CodeInvalidRequest,
		"%s uses the platform's own OAuth client (client_credentials): there is no "+
			"account to connect", name(in))
}

func manifestError(in *registry.Integration, field, problem string) error {
	return switchboard.Errorf(switchboard.CodeNotConfigured,
		"%s's userAuth.%s cannot be used: %s", name(in), field, problem)
}

func connectionNotFound(id string) error {
	if len(id) > 64 {
		id = id[:64] + "..." // whatever the caller sent, the answer stays short
	}
	return switchboard.Errorf(switchboard.CodeNotFound, "connection %q not found", id)
}

// notConnected is the error of a call without a usable connection: link
// is where the user connects, dead the connection that stopped working,
// if that is why.
func notConnected(in *registry.Integration, link string, dead *Connection) error {
	msg := fmt.Sprintf("no %s account is connected: open the connect link to connect one",
		name(in))
	if dead != nil {
		why := dead.LastError
		if why == "" {
			why = "refused by the provider"
		}
		msg = fmt.Sprintf("the %s connection %q no longer works (%s): open the connect "+
			"link to connect it again", name(in), dead.Label, why)
	}
	return &switchboard.Error{Code: switchboard.CodeNotConnected, Message: msg, ConnectURL: link}
}

// tokenFailure is the error of a token request that failed: upstream_error
// with the provider's status and code, or timeout.
func tokenFailure(in *registry.Integration, err error) error {
	te, ok := errors.AsType[*tokenError](err)
	if !ok {
		return err
	}
	code := switchboard.CodeUpstream
	if errors.Is(te, context.DeadlineExceeded) {
		code = switchboard.CodeTimeout
	}
	msg := fmt.Sprintf("%s's token endpoint failed: %s", name(in), te.Summary())
	if te.Retryable {
		msg += "; try again"
	}
	return &switchboard.Error{
		Code: code, Message: msg, UpstreamStatus: te.Status, UpstreamCode: te.Code, Cause: te,
	}
}
