package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/invopop/jsonschema"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// The built-in tools' names.
const (
	toolListIntegrations = "list_integrations"
	toolCallIntegration  = "call_integration"
)

// listIntegrationsArgs are the arguments of list_integrations.
type listIntegrationsArgs struct {
	IntegrationID string `json:"integration_id,omitempty" jsonschema_description:"Describe only this integration"`
}

// callIntegrationArgs are the arguments of call_integration.
type callIntegrationArgs struct {
	IntegrationID string          `json:"integration_id" jsonschema:"required" jsonschema_description:"Id of an installed integration, as list_integrations shows it"`
	Action        string          `json:"action" jsonschema:"required" jsonschema_description:"Id of one of its actions"`
	Input         json.RawMessage `json:"input,omitempty" jsonschema:"type=object" jsonschema_description:"The action's input, matching its inputSchema"`
	ConnectionID  string          `json:"connection_id,omitempty" jsonschema_description:"Which of the user's connected accounts to use, for actions that run with one; the oldest active one when absent"`
}

// check refuses arguments without an integration and an action, and an
// input that is not an object, naming each problem.
func (a *callIntegrationArgs) check() error {
	var problems []switchboard.FieldError
	if a.IntegrationID == "" {
		problems = append(problems, switchboard.FieldError{Path: "integration_id",
			Message: "required: the id of an installed integration"})
	}
	if a.Action == "" {
		problems = append(problems, switchboard.FieldError{Path: "action",
			Message: "required: the id of one of its actions"})
	}
	if in := bytes.TrimSpace(a.Input); len(in) > 0 && in[0] != '{' && string(in) != "null" {
		problems = append(problems, switchboard.FieldError{Path: "input",
			Message: "must be an object of the action's arguments"})
	}
	if len(problems) == 0 {
		return nil
	}
	e := switchboard.Errorf(switchboard.CodeInvalidInput,
		"call_integration's arguments are incomplete or wrong; "+
			"call list_integrations to see the installed integrations and their ids")
	e.Errors = problems
	return e
}

// input returns the action's input, an empty object when none was given.
// It stays raw, so that numbers keep their exact text.
func (a *callIntegrationArgs) input() json.RawMessage {
	if in := bytes.TrimSpace(a.Input); len(in) > 0 && string(in) != "null" {
		return in
	}
	return json.RawMessage(`{}`)
}

// toolSchema generates a built-in tool's input schema from its Go type.
func toolSchema(v any) json.RawMessage {
	r := jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, Anonymous: true,
		RequiredFromJSONSchemaTags: true}
	s := r.Reflect(v)
	s.Version = ""
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("mcp: schema of %T: %v", v, err)) // a programming error
	}
	return b
}

// tools builds the full tool set for snap.
func (s *Server) tools(snap *registry.Snapshot) []mcpserver.ServerTool {
	out := []mcpserver.ServerTool{
		{Tool: listIntegrationsTool(), Handler: s.listIntegrations},
		{Tool: callIntegrationTool(), Handler: s.callIntegration},
	}
	if s.events != nil {
		out = append(out, mcpserver.ServerTool{Tool: listEventsTool(), Handler: s.listEvents})
	}
	for _, in := range snap.Integrations() {
		for _, act := range in.Actions {
			out = append(out, mcpserver.ServerTool{Tool: actionTool(act), Handler: s.callTool})
		}
	}
	return out
}

func listIntegrationsTool() mcpgo.Tool {
	t := mcpgo.NewToolWithRawSchema(toolListIntegrations,
		"List the installed integrations: their actions (with tool names and input "+
			"schemas), instructions for using them, and whether each is configured. "+
			"Call it first to learn what you can do.",
		toolSchema(&listIntegrationsArgs{}))
	t.Annotations = mcpgo.ToolAnnotation{Title: "List integrations",
		ReadOnlyHint: ptr(true), OpenWorldHint: ptr(false)}
	return t
}

func callIntegrationTool() mcpgo.Tool {
	t := mcpgo.NewToolWithRawSchema(toolCallIntegration,
		"Run one action of an installed integration by integration id and action id. "+
			"Equivalent to calling the action's own tool.",
		toolSchema(&callIntegrationArgs{}))
	t.Annotations = mcpgo.ToolAnnotation{Title: "Call an integration action",
		OpenWorldHint: ptr(true)}
	return t
}

// withConnectionArgument adds the optional _connection argument to the
// input schema of an action that runs with the caller's connection, so
// that clients which check arguments against the schema may send it. A
// schema that is not an object with properties is returned as it is.
func withConnectionArgument(schema json.RawMessage) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(schema, &obj) != nil {
		return schema
	}
	var props map[string]json.RawMessage
	if raw, ok := obj["properties"]; ok && json.Unmarshal(raw, &props) != nil {
		return schema
	}
	if props == nil {
		props = map[string]json.RawMessage{}
	}
	if _, taken := props[connectionArgument]; taken {
		return schema
	}
	props[connectionArgument] = json.RawMessage(`{"type":"string","description":` +
		`"Which of the user's connected accounts to use (a connection id); the oldest active one when absent"}`)
	b, err := json.Marshal(props)
	if err != nil {
		return schema
	}
	obj["properties"] = b
	out, err := json.Marshal(obj)
	if err != nil {
		return schema
	}
	return out
}

func actionTool(act *registry.Action) mcpgo.Tool {
	in := act.Integration.Manifest
	desc := act.Spec.Description
	if desc == "" {
		desc = act.Spec.Name
	}
	if desc == "" {
		desc = act.Spec.ID
	}
	desc = in.Name + ": " + desc
	if act.Request == nil {
		desc += " (not implemented yet: the manifest has no request block)"
	}
	schema := act.InputSchema
	if act.Credentials == registry.CredentialsUser || act.Connection {
		schema = withConnectionArgument(schema)
	}
	t := mcpgo.NewToolWithRawSchema(act.Tool, desc, schema)
	if len(act.Spec.OutputSchema) > 0 {
		t.RawOutputSchema = act.Spec.OutputSchema
	}
	title := act.Spec.Name
	if title != "" {
		title = in.Name + ": " + title
	}
	t.Annotations = mcpgo.ToolAnnotation{Title: title}
	if a := act.Spec.Annotations; a != nil {
		if a.Title != "" {
			t.Annotations.Title = a.Title
		}
		t.Annotations.ReadOnlyHint = a.ReadOnlyHint
		t.Annotations.DestructiveHint = a.DestructiveHint
		t.Annotations.IdempotentHint = a.IdempotentHint
		t.Annotations.OpenWorldHint = a.OpenWorldHint
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// callTool runs the action behind a tool.
func (s *Server) callTool(ctx context.Context,
	req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	ctx, caller, err := s.caller(ctx)
	if err != nil {
		return s.failure(ctx, req, err)
	}
	input, err := rawArguments(req.GetRawArguments())
	var connection string
	if err == nil {
		input, connection, err = takeConnection(input)
	}
	res, err := s.exec.Call(ctx, executor.Call{
		Caller: caller, Tool: req.Params.Name, Input: input, Surface: executor.SurfaceMCP,
		Refusal: err, ConnectionID: connection,
	})
	if err != nil {
		return s.failure(ctx, req, err)
	}
	return success(res.Output), nil
}

// callIntegration runs any action by integration id and action id.
func (s *Server) callIntegration(ctx context.Context,
	req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	ctx, caller, err := s.caller(ctx)
	if err != nil {
		return s.failure(ctx, req, err)
	}
	var args callIntegrationArgs
	err = bindArguments(req.GetRawArguments(), &args)
	if err == nil {
		err = args.check()
	}
	// A refused call still goes through the executor, which records it.
	res, err := s.exec.Call(ctx, executor.Call{
		Caller: caller, Integration: args.IntegrationID, Action: args.Action,
		Input: args.input(), Surface: executor.SurfaceMCP, Refusal: err,
		ConnectionID: args.ConnectionID,
	})
	if err != nil {
		return s.failure(ctx, req, err)
	}
	return success(res.Output), nil
}

// listIntegrations describes the installed set, or one integration of it.
func (s *Server) listIntegrations(ctx context.Context,
	req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	ctx, caller, err := s.caller(ctx)
	if err != nil {
		return s.failure(ctx, req, err)
	}
	var args listIntegrationsArgs
	if err := bindArguments(req.GetRawArguments(), &args); err != nil {
		return s.failure(ctx, req, err)
	}
	// Only what the caller may call: integrations with at least one
	// allowed action, and of those only the allowed actions.
	keep := func(act *registry.Action) bool { return s.allowed(ctx, caller, act) }
	list := []registry.Description{}
	for _, in := range s.reg.Snapshot().Integrations() {
		if args.IntegrationID != "" && in.ID() != args.IntegrationID {
			continue
		}
		if d := in.Describe(keep); len(d.Actions) > 0 || len(in.Actions) == 0 && s.policy == nil {
			list = append(list, d)
		}
	}
	if args.IntegrationID != "" && len(list) == 0 {
		return s.failure(ctx, req, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not installed, or you may call none of its actions; "+
				"call list_integrations without arguments to see what you can use",
			args.IntegrationID))
	}
	out, err := json.Marshal(map[string]any{"integrations": list})
	if err != nil {
		return s.failure(ctx, req, fmt.Errorf("encode integrations: %w", err))
	}
	return success(out), nil
}

// connectionArgument is the tool argument that names the caller's
// connection an action runs with; it is taken out before the input is
// validated against the action's schema.
const connectionArgument = "_connection"

// takeConnection removes the _connection argument from input and returns
// it.
func takeConnection(input json.RawMessage) (json.RawMessage, string, error) {
	if !bytes.Contains(input, []byte(connectionArgument)) {
		return input, "", nil
	}
	var args map[string]json.RawMessage
	if err := json.Unmarshal(input, &args); err != nil {
		return input, "", nil // the executor reports what is wrong with it
	}
	raw, ok := args[connectionArgument]
	if !ok {
		return input, "", nil
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		return input, "", switchboard.Errorf(switchboard.CodeInvalidInput,
			"%s must be the id of one of your connections, a string", connectionArgument)
	}
	delete(args, connectionArgument)
	out, err := json.Marshal(args)
	if err != nil {
		return input, "", fmt.Errorf("encode arguments: %w", err)
	}
	return out, id, nil
}

func rawArguments(args any) (json.RawMessage, error) {
	if args == nil {
		return json.RawMessage(`{}`), nil
	}
	if raw, ok := args.(json.RawMessage); ok {
		return raw, nil
	}
	b, err := json.Marshal(args)
	if err != nil {
		return nil, switchboard.Errorf(switchboard.CodeInvalidInput, "arguments are not JSON")
	}
	return b, nil
}

func bindArguments(args any, dst any) error {
	raw, err := rawArguments(args)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return switchboard.Errorf(switchboard.CodeInvalidInput, "arguments are invalid: %s", msg)
	}
	return nil
}

// success returns an action's output as text, and as structuredContent when
// it is a JSON object.
func success(out json.RawMessage) *mcpgo.CallToolResult {
	res := mcpgo.NewToolResultText(string(out))
	if t := bytes.TrimSpace(out); len(t) > 0 && t[0] == '{' {
		res.StructuredContent = out
	}
	return res
}

// failure turns an error into a result the model can act on. An internal
// fault stays a Go error that says only "internal error"; its cause is
// logged here, the one place the MCP surface renders it.
func (s *Server) failure(ctx context.Context, req mcpgo.CallToolRequest,
	err error) (*mcpgo.CallToolResult, error) {
	e := switchboard.AsError(err)
	if e.Code == switchboard.CodeInternal {
		s.log.LogAttrs(ctx, slog.LevelError, "mcp tool call failed",
			slog.String(logkey.Tool, req.Params.Name),
			slog.String(logkey.Code, string(e.Code)),
			slog.Any(logkey.Err, withCause(err)))
		return nil, errors.New("internal error")
	}
	return mcpgo.NewToolResultError(errorText(e)), nil
}

// withCause returns err joined with the cause that a *switchboard.Error in
// its chain keeps out of its message.
func withCause(err error) error {
	if e, ok := errors.AsType[*switchboard.Error](err); ok && e.Cause != nil {
		return fmt.Errorf("%w: %w", err, e.Cause)
	}
	return err
}
