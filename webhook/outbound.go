package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/rbac"
)

// The defaults of [Retry].
const (
	DefaultRetryBase   = 10 * time.Second
	DefaultRetryMax    = time.Hour
	DefaultRetryWindow = 24 * time.Hour
	DefaultAttemptTime = 15 * time.Second
)

// Retry shapes outbound retries: the nth failed attempt waits about
// Base·2ⁿ⁻¹ (at most Max), a random half of it added as jitter, and a
// delivery whose next attempt would fall after Window from its start is
// marked failed. The zero value takes the defaults.
type Retry struct {
	Base, Max, Window time.Duration
	// AttemptTimeout bounds one attempt.
	AttemptTimeout time.Duration
}

func (r *Retry) defaults() error {
	if r.Base < 0 || r.Max < 0 || r.Window < 0 || r.AttemptTimeout < 0 {
		return errors.New("webhook: Retry durations must not be negative")
	}
	r.Base = cmpOr(r.Base, DefaultRetryBase)
	r.Max = cmpOr(r.Max, DefaultRetryMax)
	r.Window = cmpOr(r.Window, DefaultRetryWindow)
	r.AttemptTimeout = cmpOr(r.AttemptTimeout, DefaultAttemptTime)
	return nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// backoff is how long to wait after the attempts-th failed attempt.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.retry.Base
	for i := 1; i < attempts && d < s.retry.Max; i++ {
		d *= 2
	}
	d = min(d, s.retry.Max)
	half := d / 2
	n, err := rand.Int(s.rand, big.NewInt(int64(half)+1))
	if err != nil {
		return d
	}
	return half + time.Duration(n.Int64())
}

// NewSubscription asks for events of an integration at a URL.
type NewSubscription struct {
	AppID     string
	Events    []string
	URL       string
	Principal switchboard.Principal
}

// Subscribe creates a subscription and returns it with its signing secret
// ("whsec_" and base64), which is shown once and kept only sealed. The
// caller has checked that the principal may read the integration's events.
// It returns CodeInvalidInput naming the field for an event the
// integration does not declare or a URL that is not absolute http(s).
func (s *Service) Subscribe(ctx context.Context, n NewSubscription) (Subscription, string, error) {
	in := s.installed.Snapshot().Integration(n.AppID)
	if in == nil {
		return Subscription{}, "", switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed", n.AppID)
	}
	if err := s.mayOwn(ctx, n); err != nil {
		return Subscription{}, "", err
	}
	declared := s.listener(in, "").Events
	var problems []switchboard.FieldError
	for i, e := range n.Events {
		if !slices.Contains(declared, e) {
			problems = append(problems, switchboard.FieldError{Path: fmt.Sprintf("events[%d]", i),
				Message: fmt.Sprintf("%q is not a webhook of %s", e, n.AppID)})
		}
	}
	if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" || u.User != nil {
		problems = append(problems, switchboard.FieldError{Path: "url",
			Message: "must be an absolute http or https URL without credentials"})
	} else if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		// An address no setting lets the server reach (link-local, cloud
		// metadata, ...) is refused now; names and private addresses are
		// judged when a delivery dials them.
		if err := backend.CheckAddr(ip, true); err != nil {
			problems = append(problems, switchboard.FieldError{Path: "url",
				Message: err.Error()})
		}
	}
	if len(problems) > 0 {
		e := switchboard.Errorf(switchboard.CodeInvalidInput, "the subscription is invalid")
		e.Errors = problems
		return Subscription{}, "", e
	}
	id, secret, err := s.newSubscriptionID()
	if err != nil {
		return Subscription{}, "", err
	}
	sub := Subscription{ID: id, AppID: n.AppID, Events: slices.Clone(n.Events), URL: n.URL,
		Principal: n.Principal.String(), CreatedAt: s.clock.Now().UTC().Truncate(time.Microsecond)}
	if sub.Events == nil {
		sub.Events = []string{}
	}
	sealed, err := s.vault.Seal(ScopeSubscription, id, []byte(secret))
	if err != nil {
		return Subscription{}, "", fmt.Errorf("seal subscription secret: %w", err)
	}
	if err := s.store.CreateSubscription(ctx, sub, sealed); err != nil {
		return Subscription{}, "", err
	}
	return sub, secret, s.record(ctx, audit.Entry{Event: audit.EventSubscriptionCreate,
		Integration: n.AppID, Outcome: audit.OutcomeOK,
		Detail: map[string]string{"subscription": id}})
}

func (s *Service) newSubscriptionID() (id, secret string, err error) {
	b := make([]byte, 8+32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", "", fmt.Errorf("subscription id: %w", err)
	}
	return "sub_" + hex.EncodeToString(b[:8]), "whsec_" + base64.StdEncoding.EncodeToString(b[8:]), nil
}

// Subscriptions lists the subscriptions of appID ("" for all).
func (s *Service) Subscriptions(ctx context.Context, appID string) ([]Subscription, error) {
	return s.store.Subscriptions(ctx, appID)
}

// Subscription returns one subscription without its secret, or
// CodeNotFound.
func (s *Service) Subscription(ctx context.Context, id string) (Subscription, error) {
	sub, _, err := s.store.Subscription(ctx, id)
	return sub, err
}

// Unsubscribe deletes a subscription with its deliveries.
func (s *Service) Unsubscribe(ctx context.Context, id string) error {
	sub, _, err := s.store.Subscription(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSubscription(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, audit.Entry{Event: audit.EventSubscriptionDelete, Integration: sub.AppID,
		Outcome: audit.OutcomeOK, Detail: map[string]string{"subscription": id}})
}

// Deliveries lists a subscription's latest deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, subscriptionID string, limit int) ([]Delivery, error) {
	if limit < 1 || limit > MaxPage {
		return nil, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"limit must be between 1 and %d", MaxPage)
	}
	return s.store.Deliveries(ctx, subscriptionID, limit)
}

// Redeliver makes a delivery of subscriptionID pending again, due now,
// with a fresh retry window; CodeNotFound when it is not that
// subscription's.
func (s *Service) Redeliver(ctx context.Context, subscriptionID string, id int64) (Delivery, error) {
	d, err := s.store.Delivery(ctx, id)
	if err == nil && d.SubscriptionID != subscriptionID {
		err = switchboard.Errorf(switchboard.CodeNotFound, "delivery %d not found", id)
	}
	if err != nil {
		return Delivery{}, err
	}
	now := s.clock.Now()
	d.Status, d.NextAt, d.StartedAt, d.UpdatedAt = StatusPending, now, now, now
	if err := s.store.UpdateDelivery(ctx, d); err != nil {
		return Delivery{}, err
	}
	s.notify()
	return d, s.record(ctx, audit.Entry{Event: audit.EventRedeliver, Outcome: audit.OutcomeOK,
		Detail: map[string]string{"subscription": subscriptionID,
			"delivery": strconv.FormatInt(id, 10)}})
}

// Run sends due deliveries until ctx ends, looking for them every
// PollInterval and whenever this process stores an event.
func (s *Service) Run(ctx context.Context) {
	wake, stop := s.Wait()
	defer stop()
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		if _, err := s.Dispatch(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "webhook deliveries not sent", slog.Any(logkey.Err, err))
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// dispatchBatch is how many deliveries one Dispatch claims at most.
const dispatchBatch = 32

// Dispatch attempts every delivery due now, a batch at a time, and
// returns how many it attempted. Each is claimed for the attempt's
// duration, so that processes sharing a store do not send it twice at
// once.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	if s.client == nil {
		return 0, nil
	}
	total := 0
	for ctx.Err() == nil {
		now := s.clock.Now()
		batch, err := s.store.ClaimDeliveries(ctx, now, now.Add(2*s.retry.AttemptTimeout),
			dispatchBatch)
		if err != nil || len(batch) == 0 {
			return total, err
		}
		done := make(chan error, len(batch))
		for _, c := range batch {
			go func() { done <- s.attempt(ctx, c) }()
		}
		var errs []error
		for range batch {
			errs = append(errs, <-done)
		}
		total += len(batch)
		if err := errors.Join(errs...); err != nil {
			return total, err
		}
	}
	return total, ctx.Err()
}

// attempt sends one delivery and records how it went.
func (s *Service) attempt(ctx context.Context, c Claimed) error {
	d := c.Delivery
	sub, sealed, err := s.store.Subscription(ctx, d.SubscriptionID)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return nil // deleted meanwhile, with its deliveries
	}
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if why := s.unauthorized(ctx, sub); why != "" {
		// Authority only narrows: an owner who lost the right to read the
		// events (or was offboarded) receives no more of them.
		d.Status, d.LastError, d.UpdatedAt = StatusFailed, why, now
		s.log.WarnContext(ctx, "webhook delivery refused", slog.String("subscription", sub.ID),
			slog.Int64("delivery", d.ID), slog.String("reason", why))
		err = s.store.UpdateDelivery(ctx, d)
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			return nil
		}
		return err
	}
	secret, err := s.vault.Open(ctx, ScopeSubscription, sub.ID, sealed)
	if err != nil {
		return fmt.Errorf("open subscription secret: %w", err)
	}
	sendErr := s.send(ctx, sub, secret, c.Event)
	now = s.clock.Now()
	d.Attempts++
	d.UpdatedAt = now
	switch {
	case sendErr == nil:
		d.Status, d.DeliveredAt, d.LastError = StatusDelivered, now, ""
	default:
		d.LastError = sendErr.Error()
		next := now.Add(s.backoff(d.Attempts))
		if next.After(d.StartedAt.Add(s.retry.Window)) {
			d.Status = StatusFailed
			s.log.WarnContext(ctx, "webhook delivery failed", slog.String("subscription", sub.ID),
				slog.Int64("delivery", d.ID), slog.Int("attempts", d.Attempts))
		} else {
			d.NextAt = next
		}
	}
	err = s.store.UpdateDelivery(ctx, d)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return nil
	}
	return err
}

// mayOwn refuses a subscription its owner could not keep: one made with a
// delegation (it would outlive it), or by an owner who holds the events
// permission only through roles a login claims. Deliveries check the
// owner's assigned roles each time (see unauthorized), so such a
// permission would not last past this request.
func (s *Service) mayOwn(ctx context.Context, n NewSubscription) error {
	if _, delegated := switchboard.DelegationFrom(ctx); delegated {
		return switchboard.Errorf(switchboard.CodeForbidden,
			"a delegation token cannot make a subscription: it would outlive the delegation; "+
				"use the agent's own key")
	}
	key := rbac.EventsKey(n.AppID)
	// A context of nothing but the principal: assigned roles only.
	if s.authz != nil && !s.authz.Allowed(context.Background(), n.Principal, key) {
		return switchboard.Errorf(switchboard.CodeForbidden,
			"a subscription needs %s assigned to %s (a role your login claims is not enough): "+
				"an administrator can assign it", key, n.Principal)
	}
	return nil
}

// unauthorized says why sub's owner may no longer receive its events, or
// "" when it may.
func (s *Service) unauthorized(ctx context.Context, sub Subscription) string {
	if s.authz == nil {
		return ""
	}
	key := rbac.EventsKey(sub.AppID)
	p, err := switchboard.ParsePrincipal(sub.Principal)
	if err == nil && s.authz.Allowed(ctx, p, key) {
		return ""
	}
	return "the subscription's owner " + sub.Principal + " no longer holds " + key
}

// RemovePrincipal deletes every subscription p made, for offboarding, and
// returns how many.
func (s *Service) RemovePrincipal(ctx context.Context, p switchboard.Principal) (int, error) {
	subs, err := s.store.Subscriptions(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("list subscriptions: %w", err)
	}
	n := 0
	for _, sub := range subs {
		if sub.Principal != p.String() {
			continue
		}
		if err := s.Unsubscribe(ctx, sub.ID); err != nil &&
			switchboard.ErrorCode(err) != switchboard.CodeNotFound {
			return n, err
		}
		n++
	}
	return n, nil
}

// Message is the body of an outbound delivery.
type Message struct {
	// ID is the webhook-id: the same on every attempt of one event.
	ID          string          `json:"id"`
	Integration string          `json:"integration"`
	Event       string          `json:"event"`
	EventID     int64           `json:"eventId"`
	DeliveryID  string          `json:"deliveryId"`
	ReceivedAt  time.Time       `json:"receivedAt"`
	Payload     json.RawMessage `json:"payload"`
}

// MessageID is the webhook-id of event id's deliveries.
func MessageID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }

// maxAnswer is how much of a subscriber's answer is read.
const maxAnswer = 64 << 10

// send posts ev to sub, signed as Standard Webhooks; a non-2xx answer is
// an error whose text names the status only.
func (s *Service) send(ctx context.Context, sub Subscription, secret []byte, ev Event) error {
	key, err := StandardKey(secret)
	if err != nil {
		return errors.New("subscription secret unreadable")
	}
	msg := Message{ID: MessageID(ev.ID), Integration: ev.AppID, Event: ev.Name, EventID: ev.ID,
		DeliveryID: ev.DeliveryID, ReceivedAt: ev.ReceivedAt, Payload: ev.Payload}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.retry.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("subscription URL unusable")
	}
	now := s.clock.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Switchboard-Webhooks")
	req.Header.Set("webhook-id", msg.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", SignStandard(key, msg.ID, now, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to subscriber: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("subscriber answered %d", resp.StatusCode)
	}
	return nil
}

// unwrapURL drops the URL that *url.Error repeats, which may carry a
// subscriber's query token.
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
