// Package executor is the one path of every action call. MCP tools, the
// call_integration tool, REST action endpoints and the CLI's call all enter
// through [Executor.Call], so they authorize, validate, resolve credentials,
// reach the service and fail the same way.
package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
)

// MaxInputBytes bounds an action's input on every surface.
const MaxInputBytes = 1 << 20

// The surfaces a call comes from, for logs.
const (
	SurfaceREST = "rest"
	SurfaceMCP  = "mcp"
	SurfaceCLI  = "cli"
)

// Installed gives the current installed set.
type Installed interface {
	Snapshot() *registry.Snapshot
}

// Authorizer decides whether a principal holds a permission. It returns nil
// or a *switchboard.Error with CodeForbidden naming the permission.
type Authorizer interface {
	Authorize(ctx context.Context, p switchboard.Principal, permission string) error
	// Allowed reports the same as Authorize without an error to build.
	Allowed(ctx context.Context, p switchboard.Principal, permission string) bool
}

// Secrets opens platform secrets by their platform-wide name.
type Secrets interface {
	PlatformSecret(ctx context.Context, name string) ([]byte, error)
}

// Auditor records each call, durably, before its answer is returned.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
	// InputMAC keys a digest of an input, so that the log can tell two
	// calls' inputs apart without holding them.
	InputMAC(input []byte) string
}

// Connections gives an action the connection it runs with: the caller's
// own (the one named, or its oldest active one), or the platform's for a
// client-credentials grant. It returns a *switchboard.Error with
// CodeNotConnected, carrying a connect link, when there is none.
type Connections interface {
	Resolve(ctx context.Context, act *registry.Action, user switchboard.Principal,
		connectionID string) (map[string]string, error)
	// Refused is told the service answered 401 to a call that ran with the
	// connection Resolve gave: it returns fresh values to try once more,
	// or the error to answer (cause, or not_connected for a connection it
	// found dead).
	Refused(ctx context.Context, act *registry.Action, user switchboard.Principal,
		connectionID string, cause error) (map[string]string, error)
}

// Runner reaches the service for one action.
type Runner interface {
	Run(ctx context.Context, act *registry.Action, v backend.Values) (json.RawMessage, error)
}

// Config configures an [Executor]; every interface is required.
type Config struct {
	Installed  Installed
	Authorizer Authorizer
	Secrets    Secrets
	Runner     Runner
	// Auditor records every call; nil records nothing.
	Auditor Auditor
	// Connections resolves per-user and client-credentials connections;
	// nil refuses actions that need one as not_implemented.
	Connections Connections
	Logger      *slog.Logger
	Now         func() time.Time
}

// Executor runs action calls.
type Executor struct {
	installed Installed
	authz     Authorizer
	secrets   Secrets
	runner    Runner
	audit     Auditor
	conns     Connections
	log       *slog.Logger
	now       func() time.Time
}

// New returns an Executor.
func New(cfg Config) (*Executor, error) {
	if cfg.Installed == nil || cfg.Authorizer == nil || cfg.Secrets == nil || cfg.Runner == nil {
		return nil, errors.New("executor: Installed, Authorizer, Secrets and Runner are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Executor{
		installed: cfg.Installed, authz: cfg.Authorizer, secrets: cfg.Secrets,
		runner: cfg.Runner, audit: cfg.Auditor, conns: cfg.Connections, log: cfg.Logger, now: cfg.Now,
	}, nil
}

// Call is one request to run an action. Tool, when set, names the action by
// its MCP tool name instead of Integration and Action.
type Call struct {
	Caller      switchboard.Principal
	Integration string
	Action      string
	Tool        string
	Input       json.RawMessage
	Surface     string
	// ConnectionID names the caller's connection to run with; empty picks
	// its oldest active one.
	ConnectionID string
	// Refusal, when set, is why the surface could not make the call at all
	// (arguments that do not parse, a body too large): Call records the
	// attempt, so that the audit holds every one, and returns Refusal.
	Refusal error
}

// Result is a successful call's output, the action's answer as JSON.
type Result struct {
	Output json.RawMessage
	Action *registry.Action
}

// Call runs c and records it in the audit, refused calls (c.Refusal)
// included; a call whose entry cannot be written fails as internal.
// Failures are *switchboard.Error values whose message tells the caller
// what to do: not_found, forbidden, too_large, invalid_input (with every
// violation), not_configured (with the missing properties), not_connected
// (with a connect link), not_implemented, upstream_error, timeout. No
// credential is decrypted and no service contacted before the caller is
// authorized and the input valid. Any other error is internal: the surface
// answers "internal error" and logs the cause, since the executor's own
// record of the call carries only the code.
func (e *Executor) Call(ctx context.Context, c Call) (Result, error) {
	start := e.now()
	var act *registry.Action
	var out json.RawMessage
	err := c.Refusal
	if err == nil {
		act, err = e.lookup(ctx, c)
	}
	if err == nil {
		out, err = e.run(ctx, c, act)
	}
	e.logCall(ctx, c, act, start, err)
	if aerr := e.record(ctx, c, act, start, err); aerr != nil {
		return Result{Action: act}, aerr
	}
	if err != nil {
		return Result{Action: act}, err
	}
	return Result{Output: out, Action: act}, nil
}

// record writes the call's audit entry and returns once it is durable. A
// call whose entry cannot be written fails: an unrecorded call must not
// look like a successful one, though the service may have acted.
func (e *Executor) record(ctx context.Context, c Call, act *registry.Action, start time.Time, err error) error {
	if e.audit == nil {
		return nil
	}
	entry := audit.Entry{
		Actor: c.Caller.String(),
		// Empty unless the call is delegated.
		OnBehalfOf: onBehalfOf(ctx).String(),
		Surface:    audit.Surface(c.Surface),
		Event:      audit.EventCall,
		Latency:    e.now().Sub(start),
		InputMAC:   e.audit.InputMAC(c.Input),
	}
	entry.Outcome, entry.ErrorCode = audit.OutcomeOf(err)
	if errors.Is(err, errHidden) {
		entry.Outcome, entry.ErrorCode = audit.OutcomeDenied, switchboard.CodeForbidden
	}
	if act != nil {
		entry.Integration, entry.Action = act.Integration.ID(), act.Spec.ID
	} else {
		entry.Integration, entry.Action = c.Integration, c.Action
		if c.Tool != "" {
			entry.Detail = map[string]string{"tool": c.Tool}
		}
	}
	// The entry is written even when the caller has gone away.
	if aerr := e.audit.Record(context.WithoutCancel(ctx), entry); aerr != nil {
		return switchboard.Wrap(switchboard.CodeInternal, aerr,
			"the call's audit entry could not be written; the service may have acted")
	}
	return nil
}

func (e *Executor) lookup(ctx context.Context, c Call) (*registry.Action, error) {
	snap := e.installed.Snapshot()
	if c.Tool != "" {
		notFound := switchboard.Errorf(switchboard.CodeNotFound,
			"no tool %q is installed that you may call: call list_integrations to see what you may use",
			c.Tool)
		act := snap.Tool(c.Tool)
		if act == nil {
			return nil, notFound
		}
		if !e.visible(ctx, c.Caller, act.Integration) {
			return nil, hidden(notFound)
		}
		return act, nil
	}
	// A caller that may do nothing with an integration learns nothing of
	// it, not even that it is installed; the audit records a denial.
	notFound := switchboard.Errorf(switchboard.CodeNotFound,
		"integration %q is not deployed, or you have no permission to use it", c.Integration)
	in := snap.Integration(c.Integration)
	if in == nil {
		return nil, notFound
	}
	if !e.visible(ctx, c.Caller, in) {
		return nil, hidden(notFound)
	}
	if act := in.Action(c.Action); act != nil {
		return act, nil
	}
	var ids []string
	for _, a := range in.Actions {
		if e.authz.Allowed(ctx, c.Caller, a.Permission) {
			ids = append(ids, a.Spec.ID)
		}
	}
	slices.Sort(ids)
	return nil, switchboard.Errorf(switchboard.CodeNotFound,
		"%s has no action %q; the actions you may call are: %s",
		in.Manifest.Name, c.Action, strings.Join(ids, ", "))
}

// errHidden marks a not_found that hides an integration from a caller with
// no right to it: the caller is told it is not there, the audit that it was
// denied.
var errHidden = errors.New("hidden from a caller without rights to it")

func hidden(e *switchboard.Error) *switchboard.Error {
	e.Cause = errHidden
	return e
}

// visible reports whether caller may call at least one action of in, or
// manage it.
func (e *Executor) visible(ctx context.Context, caller switchboard.Principal, in *registry.Integration) bool {
	if e.authz.Allowed(ctx, caller, rbac.ManageKey(in.ID())) {
		return true
	}
	for _, a := range in.Actions {
		if e.authz.Allowed(ctx, caller, a.Permission) {
			return true
		}
	}
	return false
}

func (e *Executor) run(ctx context.Context, c Call, act *registry.Action) (json.RawMessage, error) {
	if err := e.authz.Authorize(ctx, c.Caller, act.Permission); err != nil {
		return nil, err
	}
	if len(c.Input) > MaxInputBytes {
		return nil, switchboard.Errorf(switchboard.CodeTooLarge,
			"input is larger than %d bytes", MaxInputBytes)
	}
	// Input is checked before any credential is decrypted.
	input, err := registry.DecodeInput(c.Input)
	if err != nil {
		return nil, err
	}
	if err := registry.CheckInput(act.Input, input); err != nil {
		return nil, err
	}
	in := act.Integration
	if !in.Configured() {
		return nil, in.NotConfigured(in.Missing)
	}
	if act.Request == nil {
		return nil, switchboard.Errorf(switchboard.CodeNotImplemented,
			"%s's action %s has no implementation yet: its manifest needs a request block",
			in.Manifest.Name, act.Spec.ID)
	}
	values, err := e.values(ctx, c, act, input)
	if err != nil {
		return nil, err
	}
	out, err := e.runner.Run(ctx, act, values)
	if err == nil || values.Connection == nil || switchboard.AsError(err).UpstreamStatus != 401 {
		return out, err
	}
	// The service refused the connection's credentials, and did nothing:
	// a renewed token gets one more try; a connection that cannot be
	// renewed is found dead and the caller told how to reconnect.
	fresh, rerr := e.conns.Refused(ctx, act, callUser(ctx, c), c.ConnectionID, err)
	if rerr != nil || fresh == nil {
		return nil, rerr
	}
	values.Connection = fresh
	return e.runner.Run(ctx, act, values)
}

// values gathers what the request templates read; only the secrets the
// action names are decrypted.
func (e *Executor) values(ctx context.Context, c Call, act *registry.Action,
	input any) (backend.Values, error) {
	in := act.Integration
	obj, _ := input.(map[string]any)
	v := backend.Values{Input: obj, Config: in.Config, Secrets: map[string][]byte{}}
	// A delegated call runs as its user: with their connections, as their
	// {{user.id}}.
	user := callUser(ctx, c)
	if user.Kind == switchboard.KindUser {
		v.UserID = user.ID
	}
	if act.Credentials == registry.CredentialsUser || act.Connection {
		if e.conns == nil {
			return v, switchboard.Errorf(switchboard.CodeNotImplemented,
				"%s's action %s needs a connection (a connected account), which this server does not offer",
				in.Manifest.Name, act.Spec.ID)
		}
		conn, err := e.conns.Resolve(ctx, act, user, c.ConnectionID)
		if err != nil {
			return v, err
		}
		v.Connection = conn
	}
	for _, prop := range act.Secrets {
		p, _ := in.Manifest.ConfigSchema.Property(prop)
		secret, err := e.secrets.PlatformSecret(ctx, p.PlatformSecret)
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			// Deleted since the snapshot was taken.
			return v, in.NotConfigured([]string{prop})
		}
		if err != nil {
			return v, fmt.Errorf("open secret of %s: %w", in.ID(), err)
		}
		v.Secrets[prop] = secret
	}
	return v, nil
}

// callUser is whose connections and {{user.id}} c runs with: the user a
// delegated call acts for, else the caller.
func callUser(ctx context.Context, c Call) switchboard.Principal {
	if u := onBehalfOf(ctx); !u.IsZero() {
		return u
	}
	return c.Caller
}

// onBehalfOf is the user a delegated call acts for, or the zero Principal.
func onBehalfOf(ctx context.Context) switchboard.Principal {
	d, _ := switchboard.DelegationFrom(ctx)
	return d.User
}

// logCall records one call at Info: who, what, from where, how long, and
// the error code of a failure. The internal cause of a failure is not here:
// the surface that renders the error logs it, once.
func (e *Executor) logCall(ctx context.Context, c Call, act *registry.Action, start time.Time,
	err error) {
	attrs := []slog.Attr{
		slog.String(logkey.Principal, c.Caller.String()),
		slog.String(logkey.Surface, c.Surface),
		slog.Int64(logkey.Duration, e.now().Sub(start).Milliseconds()),
	}
	if act != nil {
		attrs = append(attrs, slog.String(logkey.Integration, act.Integration.ID()),
			slog.String(logkey.Action, act.Spec.ID))
	} else {
		attrs = append(attrs, slog.String(logkey.Integration, c.Integration),
			slog.String(logkey.Action, c.Action), slog.String(logkey.Tool, c.Tool))
	}
	if err == nil {
		e.log.LogAttrs(ctx, slog.LevelInfo, "action called", attrs...)
		return
	}
	attrs = append(attrs, slog.String(logkey.Code, string(switchboard.ErrorCode(err))))
	e.log.LogAttrs(ctx, slog.LevelInfo, "action failed", attrs...)
}
