package mcp

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/webhook"
)

// toolListEvents is the built-in tool that reads webhook events.
const toolListEvents = "list_events"

// Events reads the webhook events of an integration; *webhook.Service
// implements it.
type Events interface {
	Events(ctx context.Context, appID string, after int64, limit int) ([]webhook.Event, error)
}

// listEventsArgs are the arguments of list_events.
type listEventsArgs struct {
	IntegrationID string `json:"integration_id" jsonschema:"required" jsonschema_description:"Id of an installed integration that declares webhooks"`
	After         string `json:"after,omitempty" jsonschema_description:"The next cursor of an earlier answer; the oldest events when absent"`
	Limit         int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100" jsonschema_description:"How many events at most; 20 when absent"`
}

func listEventsTool() mcpgo.Tool {
	t := mcpgo.NewToolWithRawSchema(toolListEvents,
		"List the webhook events an integration received (verified deliveries from the "+
			"service, oldest first), after a cursor. Pass the answer's next as after to "+
			"read on.",
		toolSchema(&listEventsArgs{}))
	t.Annotations = mcpgo.ToolAnnotation{Title: "List webhook events",
		ReadOnlyHint: ptr(true), OpenWorldHint: ptr(false)}
	return t
}

type eventList struct {
	Events []listedEvent `json:"events"`
	Next   string        `json:"next"`
}

type listedEvent struct {
	ID         string          `json:"id"`
	Event      string          `json:"event"`
	DeliveryID string          `json:"deliveryId"`
	ReceivedAt time.Time       `json:"receivedAt"`
	Payload    json.RawMessage `json:"payload"`
}

// mayListEvents reports whether caller may read the events of some
// installed integration, and so sees list_events.
func (s *Server) mayListEvents(ctx context.Context, caller switchboard.Principal,
	snap *registry.Snapshot) bool {
	for _, in := range snap.Integrations() {
		if len(in.Manifest.Webhooks) > 0 &&
			(s.policy == nil || s.policy.Allowed(ctx, caller, rbac.EventsKey(in.ID()))) {
			return true
		}
	}
	return false
}

// listEvents answers a page of events to a caller holding
// integration:{id}:events.
func (s *Server) listEvents(ctx context.Context,
	req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
	ctx, caller, err := s.caller(ctx)
	if err != nil {
		return s.failure(ctx, req, err)
	}
	var args listEventsArgs
	if err := bindArguments(req.GetRawArguments(), &args); err != nil {
		return s.failure(ctx, req, err)
	}
	after, limit, err := args.page()
	if err != nil {
		return s.failure(ctx, req, err)
	}
	in := s.reg.Snapshot().Integration(args.IntegrationID)
	if in == nil || len(in.Manifest.Webhooks) == 0 {
		return s.failure(ctx, req, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed with webhooks; call list_integrations to see "+
				"what is installed", args.IntegrationID))
	}
	key := rbac.EventsKey(in.ID())
	if s.policy != nil && !s.policy.Allowed(ctx, caller, key) {
		e := switchboard.Errorf(switchboard.CodeForbidden,
			"%s lacks the permission %s: an administrator can grant it", caller, key)
		e.Permission = key
		return s.failure(ctx, req, e)
	}
	evs, err := s.events.Events(ctx, in.ID(), after, limit)
	if err != nil {
		return s.failure(ctx, req, err)
	}
	out := eventList{Events: []listedEvent{}, Next: strconv.FormatInt(after, 10)}
	for _, e := range evs {
		out.Events = append(out.Events, listedEvent{ID: strconv.FormatInt(e.ID, 10),
			Event: e.Name, DeliveryID: e.DeliveryID, ReceivedAt: e.ReceivedAt, Payload: e.Payload})
		out.Next = strconv.FormatInt(e.ID, 10)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return s.failure(ctx, req, err)
	}
	return success(b), nil
}

// page reads the cursor and the limit, naming a bad one.
func (a *listEventsArgs) page() (after int64, limit int, err error) {
	if a.After != "" {
		after, err = strconv.ParseInt(a.After, 10, 64)
		if err != nil || after < 0 {
			return 0, 0, argError("after", "must be the next cursor of an earlier answer")
		}
	}
	limit = a.Limit
	switch {
	case limit == 0:
		limit = 20
	case limit < 1 || limit > 100:
		return 0, 0, argError("limit", "must be between 1 and 100")
	}
	return after, limit, nil
}

func argError(path, msg string) error {
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "list_events: %s %s", path, msg)
	e.Errors = []switchboard.FieldError{{Path: path, Message: msg}}
	return e
}
