package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/webhook"
)

// Webhooks runs listeners, intake, events and subscriptions;
// *webhook.Service satisfies it. Failures meant for clients are
// *switchboard.Error values; no value returned but a Listener's URL and a
// new subscription's secret carries a credential.
type Webhooks interface {
	Provision(ctx context.Context, in *registry.Integration) (webhook.Listener, bool, error)
	Rotate(ctx context.Context, in *registry.Integration) (webhook.Listener, error)
	Target(ctx context.Context, token string) (webhook.Target, error)
	Receive(ctx context.Context, t webhook.Target, h http.Header, body []byte) (webhook.Answer, error)
	Events(ctx context.Context, appID string, after int64, limit int) ([]webhook.Event, error)
	// Wait signals events this process stores; Done ends streams.
	Wait() (<-chan struct{}, func())
	Done() <-chan struct{}
	Subscribe(ctx context.Context, n webhook.NewSubscription) (webhook.Subscription, string, error)
	Subscriptions(ctx context.Context, appID string) ([]webhook.Subscription, error)
	Subscription(ctx context.Context, id string) (webhook.Subscription, error)
	Unsubscribe(ctx context.Context, id string) error
	Deliveries(ctx context.Context, subscriptionID string, limit int) ([]webhook.Delivery, error)
	Redeliver(ctx context.Context, subscriptionID string, id int64) (webhook.Delivery, error)
	// RemovePrincipal deletes the subscriptions p made, for offboarding.
	RemovePrincipal(ctx context.Context, p switchboard.Principal) (int, error)
}

// hookRoutes serves the listener URLs, public: the token is the proof, and
// each delivery is verified against the integration's signature scheme.
func (s *Server) hookRoutes(r chi.Router) {
	r.Post(strings.TrimPrefix(webhook.HookPath, "/api/v1")+"{token}", s.receiveHook)
}

// webhookRoutes serves listeners, events and subscriptions to
// authenticated callers.
func (s *Server) webhookRoutes(r chi.Router) {
	r.With(s.requireManage).Get("/integrations/{id}/webhooks", s.handle(s.getWebhooks))
	r.With(s.requireManage).Post("/integrations/{id}/webhooks/rotate", s.handle(s.rotateWebhooks))
	r.Get("/integrations/{id}/events", s.handle(s.listEvents))
	r.Get("/events/stream", s.handle(s.streamEvents))
	r.Post("/subscriptions", s.handle(s.createSubscription))
	r.Get("/subscriptions", s.handle(s.listSubscriptions))
	r.Get("/subscriptions/{sid}", s.handle(s.getSubscription))
	r.Delete("/subscriptions/{sid}", s.handle(s.deleteSubscription))
	r.Get("/subscriptions/{sid}/deliveries", s.handle(s.listDeliveries))
	r.Post("/subscriptions/{sid}/deliveries/{did}/redeliver", s.handle(s.redeliver))
}

// HookBodyTimeout bounds how long reading one delivery's body may take.
const HookBodyTimeout = 30 * time.Second

// receiveHook takes in one delivery. A body over the integration's cap is
// refused from its Content-Length before it is read, or as soon as a
// chunked body passes the cap. Refusals say nothing of why.
func (s *Server) receiveHook(w http.ResponseWriter, r *http.Request) {
	ctx := audit.WithOrigin(r.Context(), audit.Origin{Surface: audit.SurfaceWebhook,
		RequestID: RequestID(r.Context())})
	t, err := s.hooks.Target(ctx, chi.URLParam(r, "token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.ContentLength > t.MaxBodyBytes {
		s.fail(w, r, tooLarge(t.MaxBodyBytes))
		return
	}
	// A sender that trickles its body holds a connection no longer than
	// this; the deadline goes once the body is read, so the answer is not
	// cut short.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(HookBodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.MaxBodyBytes))
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			s.fail(w, r, tooLarge(t.MaxBodyBytes))
			return
		}
		s.fail(w, r, switchboard.Wrap(switchboard.CodeInvalidRequest, err,
			"the request body could not be read in time"))
		return
	}
	a, err := s.hooks.Receive(ctx, t, r.Header, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// listenerView is an integration's listener as its managers see it.
type listenerView struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Scheme is the signature scheme deliveries are verified with; empty
	// when the manifest declares none and deliveries are accepted unsigned.
	Scheme string `json:"scheme"`
}

func newListenerView(in *registry.Integration, l webhook.Listener) listenerView {
	v := listenerView{URL: l.URL, Events: l.Events}
	if wv := in.Manifest.WebhookVerification; wv != nil {
		v.Scheme = wv.Scheme
	}
	return v
}

// getWebhooks answers {id}'s listener URL and events, provisioning the
// listener of an integration deployed before it had one.
func (s *Server) getWebhooks(w http.ResponseWriter, r *http.Request) error {
	in, err := s.installed(r)
	if err != nil {
		return err
	}
	l, ok, err := s.hooks.Provision(r.Context(), in)
	if err != nil {
		return err
	}
	if !ok {
		return switchboard.Errorf(switchboard.CodeNotFound, "integration %q declares no webhooks", in.ID())
	}
	return writeJSON(w, http.StatusOK, newListenerView(in, l))
}

// rotateWebhooks replaces {id}'s listener token: the old URL stops at once.
func (s *Server) rotateWebhooks(w http.ResponseWriter, r *http.Request) error {
	in, err := s.installed(r)
	if err != nil {
		return err
	}
	l, err := s.hooks.Rotate(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newListenerView(in, l))
}

// eventView is one event as subscribers read it.
type eventView struct {
	ID          string          `json:"id"`
	Integration string          `json:"integration"`
	Event       string          `json:"event"`
	DeliveryID  string          `json:"deliveryId"`
	ReceivedAt  time.Time       `json:"receivedAt"`
	Duplicates  int64           `json:"duplicates"`
	Payload     json.RawMessage `json:"payload"`
}

func newEventView(e webhook.Event) eventView {
	return eventView{ID: strconv.FormatInt(e.ID, 10), Integration: e.AppID, Event: e.Name,
		DeliveryID: e.DeliveryID, ReceivedAt: e.ReceivedAt, Duplicates: e.Duplicates,
		Payload: e.Payload}
}

type eventPage struct {
	Events []eventView `json:"events"`
	// Next is the cursor of the following page: the last event's id, or
	// the cursor given when there was none.
	Next string `json:"next"`
}

// defaultEventLimit is the page size of an event listing without limit.
const defaultEventLimit = 100

// listEvents answers {id}'s events after the cursor, to holders of
// integration:{id}:events.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	in, err := s.eventsOf(r, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	after, err := cursorParam(r.URL.Query().Get("after"), "after")
	if err != nil {
		return err
	}
	limit := defaultEventLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return invalidRequest("query parameter limit must be a number between 1 and %d",
				webhook.MaxPage)
		}
	}
	evs, err := s.hooks.Events(r.Context(), in.ID(), after, limit)
	if err != nil {
		return err
	}
	page := eventPage{Events: make([]eventView, 0, len(evs)), Next: strconv.FormatInt(after, 10)}
	for _, e := range evs {
		page.Events = append(page.Events, newEventView(e))
		page.Next = strconv.FormatInt(e.ID, 10)
	}
	return writeJSON(w, http.StatusOK, page)
}

// eventsOf returns the installed integration appID when r's principal may
// read its events: not_found when it is not deployed or declares no
// webhooks, forbidden naming integration:{id}:events otherwise.
func (s *Server) eventsOf(r *http.Request, appID string) (*registry.Integration, error) {
	if appID == "" {
		return nil, invalidRequest("query parameter integration is required: the id of an " +
			"integration that declares webhooks")
	}
	in := s.reg.Snapshot().Integration(appID)
	if in == nil || len(in.Manifest.Webhooks) == 0 {
		return nil, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed with webhooks", appID)
	}
	if err := s.authorize(r, rbac.EventsKey(appID)); err != nil {
		return nil, err
	}
	return in, nil
}

// cursorParam reads an event cursor: "" is the start.
func cursorParam(v, name string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, invalidRequest("%s must be a cursor from an earlier page", name)
	}
	return n, nil
}

// Stream timing: how often a stream looks for events stored by other
// processes, and how often it sends a comment to keep proxies from closing
// it.
const (
	streamPoll      = time.Second
	streamHeartbeat = 15 * time.Second
	streamBatch     = 100
)

// streamEvents sends ?integration=ID's events as server-sent events, from
// Last-Event-ID (or ?after) on, until the client leaves or the server
// stops. Each event's id is its cursor.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	in, err := s.eventsOf(r, r.URL.Query().Get("integration"))
	if err != nil {
		return err
	}
	from := r.Header.Get("Last-Event-ID")
	if from == "" {
		from = r.URL.Query().Get("after")
	}
	cursor, err := cursorParam(from, "Last-Event-ID")
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil // the answer has begun: nothing more to say
	}
	wake, stop := s.hooks.Wait()
	defer stop()
	poll, beat := time.NewTicker(streamPoll), time.NewTicker(streamHeartbeat)
	defer poll.Stop()
	defer beat.Stop()
	ctx := r.Context()
	for {
		evs, err := s.hooks.Events(ctx, in.ID(), cursor, streamBatch)
		if err != nil {
			_ = s.noteFailure(r, err)
			return nil
		}
		if len(evs) > 0 && !s.mayStillRead(r, in.ID()) {
			// The key, delegation or role that opened the stream is gone:
			// it ends before sending more.
			_, _ = io.WriteString(w, ": access revoked\n\n")
			return nil
		}
		for _, e := range evs {
			if err := writeSSE(w, e); err != nil {
				return nil
			}
			cursor = e.ID
		}
		if len(evs) > 0 && rc.Flush() != nil {
			return nil
		}
		if len(evs) == streamBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.hooks.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-beat.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		}
	}
}

// mayStillRead authenticates r's bearer token again and reports whether
// its caller still holds integration:{appID}:events: a stream outlives the
// request that authorized it, and authority only narrows.
func (s *Server) mayStillRead(r *http.Request, appID string) bool {
	c, err := s.caller(r)
	if err != nil {
		return false
	}
	ctx := identity.NewCallerContext(context.WithoutCancel(r.Context()), c)
	return s.authz.Allowed(ctx, c.Principal, rbac.EventsKey(appID))
}

// writeSSE writes one event; its name is kept to one line.
func writeSSE(w io.Writer, e webhook.Event) error {
	data, err := json.Marshal(newEventView(e))
	if err != nil {
		return err
	}
	name := strings.NewReplacer("\r", " ", "\n", " ").Replace(e.Name)
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, name, data)
	return err
}

// subscriptionView is a subscription as clients see it; Secret is set only
// in the answer that creates it.
type subscriptionView struct {
	ID          string    `json:"id"`
	Integration string    `json:"integration"`
	Events      []string  `json:"events"`
	URL         string    `json:"url"`
	Principal   string    `json:"principal"`
	CreatedAt   time.Time `json:"createdAt"`
	Secret      string    `json:"secret,omitempty"`
}

func newSubscriptionView(sub webhook.Subscription) subscriptionView {
	return subscriptionView{ID: sub.ID, Integration: sub.AppID, Events: sub.Events, URL: sub.URL,
		Principal: sub.Principal, CreatedAt: sub.CreatedAt}
}

type subscriptionRequest struct {
	Integration string   `json:"integration"`
	Events      []string `json:"events"`
	URL         string   `json:"url"`
}

// createSubscription subscribes a URL to an integration's events; the
// answer carries the signing secret, once.
func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, s.maxBody)
	if err != nil {
		return err
	}
	var req subscriptionRequest
	if err := parseJSON(body, &req); err != nil {
		return err
	}
	if req.Integration == "" {
		return invalidField("integration", "is required: the id of an installed integration")
	}
	in, err := s.eventsOf(r, req.Integration)
	if err != nil {
		return err
	}
	sub, secret, err := s.hooks.Subscribe(r.Context(), webhook.NewSubscription{AppID: in.ID(),
		Events: req.Events, URL: req.URL, Principal: identity.FromContext(r.Context())})
	if err != nil {
		return err
	}
	v := newSubscriptionView(sub)
	v.Secret = secret
	return writeJSON(w, http.StatusCreated, v)
}

type subscriptionList struct {
	Subscriptions []subscriptionView `json:"subscriptions"`
}

// listSubscriptions answers the subscriptions of ?integration=ID, or of
// every integration whose events the caller may read.
func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	appID := r.URL.Query().Get("integration")
	if appID != "" {
		if _, err := s.eventsOf(r, appID); err != nil {
			return err
		}
	}
	subs, err := s.hooks.Subscriptions(r.Context(), appID)
	if err != nil {
		return err
	}
	out := subscriptionList{Subscriptions: []subscriptionView{}}
	for _, sub := range subs {
		if s.mayHandle(r, sub) {
			out.Subscriptions = append(out.Subscriptions, newSubscriptionView(sub))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// mayHandle reports whether r's principal may see and change sub: its
// owner, while it may read the integration's events, or a manager of the
// integration. Another reader of the events learns nothing of it: its URL
// may hold a secret of the owner's.
func (s *Server) mayHandle(r *http.Request, sub webhook.Subscription) bool {
	if s.allowed(r, rbac.ManageKey(sub.AppID)) {
		return true
	}
	return sub.Principal == identity.FromContext(r.Context()).String() &&
		s.allowed(r, rbac.EventsKey(sub.AppID))
}

// subscription returns the subscription {sid} names when r's principal
// may handle it (see mayHandle); any other is not_found.
func (s *Server) subscription(r *http.Request) (webhook.Subscription, error) {
	id := chi.URLParam(r, "sid")
	sub, err := s.hooks.Subscription(r.Context(), id)
	if err == nil && !s.mayHandle(r, sub) {
		s.noteDenied(r, rbac.EventsKey(sub.AppID))
		err = switchboard.Errorf(switchboard.CodeNotFound, "subscription %s not found", id)
	}
	return sub, err
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newSubscriptionView(sub))
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := s.hooks.Unsubscribe(r.Context(), sub.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deliveryView is one delivery of an event to a subscription.
type deliveryView struct {
	ID           string     `json:"id"`
	Subscription string     `json:"subscription"`
	EventID      string     `json:"eventId"`
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	NextAt       *time.Time `json:"nextAt,omitempty"`
	StartedAt    time.Time  `json:"startedAt"`
	LastError    string     `json:"lastError,omitempty"`
	DeliveredAt  *time.Time `json:"deliveredAt,omitempty"`
	UpdatedAt    time.Time  `json:"updatedAt"`
}

func newDeliveryView(d webhook.Delivery) deliveryView {
	v := deliveryView{ID: strconv.FormatInt(d.ID, 10), Subscription: d.SubscriptionID,
		EventID: strconv.FormatInt(d.EventID, 10), Status: string(d.Status), Attempts: d.Attempts,
		StartedAt: d.StartedAt, LastError: d.LastError, UpdatedAt: d.UpdatedAt}
	if d.Status == webhook.StatusPending {
		v.NextAt = &d.NextAt
	}
	if !d.DeliveredAt.IsZero() {
		v.DeliveredAt = &d.DeliveredAt
	}
	return v
}

type deliveryList struct {
	Deliveries []deliveryView `json:"deliveries"`
}

// listDeliveries answers a subscription's latest deliveries, newest first.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	ds, err := s.hooks.Deliveries(r.Context(), sub.ID, defaultEventLimit)
	if err != nil {
		return err
	}
	out := deliveryList{Deliveries: make([]deliveryView, 0, len(ds))}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, newDeliveryView(d))
	}
	return writeJSON(w, http.StatusOK, out)
}

// redeliver sends a delivery again, now, with a fresh retry window.
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "did"), 10, 64)
	if err != nil {
		return switchboard.Errorf(switchboard.CodeNotFound, "delivery %s not found",
			chi.URLParam(r, "did"))
	}
	d, err := s.hooks.Redeliver(r.Context(), sub.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, newDeliveryView(d))
}
