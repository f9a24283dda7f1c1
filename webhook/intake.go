package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// Target is the integration a listener token leads to.
type Target struct {
	in    *registry.Integration
	token string
	// MaxBodyBytes bounds the delivery's body.
	MaxBodyBytes int64
}

// Answer is what intake tells the sender: a status and a short JSON body
// that says nothing about why a delivery was refused.
type Answer struct {
	Status int
	Body   json.RawMessage
}

var (
	answerOK      = Answer{http.StatusOK, json.RawMessage(`{"received":true}`)}
	answerRefused = Answer{http.StatusUnauthorized, json.RawMessage(`{"received":false}`)}
	answerBadBody = Answer{http.StatusBadRequest, json.RawMessage(`{"received":false}`)}
)

// Target returns the integration whose listener token is token, or
// CodeNotFound for an unknown token or an integration no longer deployed.
func (s *Service) Target(ctx context.Context, token string) (Target, error) {
	hash := sha256.Sum256([]byte(token))
	appID, err := s.store.ListenerApp(ctx, hash[:])
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return Target{}, switchboard.Errorf(switchboard.CodeNotFound, "no such listener")
	}
	if err != nil {
		return Target{}, err
	}
	in := s.installed.Snapshot().Integration(appID)
	if in == nil || len(in.Manifest.Webhooks) == 0 {
		return Target{}, switchboard.Errorf(switchboard.CodeNotFound, "no such listener")
	}
	t := Target{in: in, token: token, MaxBodyBytes: DefaultMaxBodyBytes}
	if wv := in.Manifest.WebhookVerification; wv != nil && wv.MaxBodyBytes > 0 {
		t.MaxBodyBytes = wv.MaxBodyBytes
	}
	return t, nil
}

// Receive verifies one delivery to t, stores it as an event unless its
// delivery id (or, for schemes that sign the body alone, its body) was
// seen, records it in the audit, and returns what to answer. The event is durable before Receive returns a 2xx answer. A
// refused delivery gets 401 and an audit entry with the reason; an error
// is a fault (of the store, the vault or the audit) and should be answered
// 500, after which the service sends the delivery again.
func (s *Service) Receive(ctx context.Context, t Target, header http.Header, body []byte,
) (Answer, error) {
	start := s.clock.Now()
	ctx = audit.WithOrigin(ctx, withSurface(audit.OriginFrom(ctx)))
	req := Request{Header: header, Body: body, URL: s.public + HookPath + t.token}
	spec := t.in.Manifest.WebhookVerification
	if spec != nil {
		if err := s.verify(ctx, t.in, spec, req, start); err != nil {
			return s.refuse(ctx, t.in, err)
		}
	}
	d, err := read(spec, t.in.Manifest.Webhooks, req)
	if err != nil {
		s.log.WarnContext(ctx, "webhook body unreadable", slog.String(logkey.Integration, t.in.ID()))
		return answerBadBody, s.record(ctx, audit.Entry{Event: audit.EventWebhookReceive,
			Integration: t.in.ID(), Outcome: audit.OutcomeError,
			ErrorCode: switchboard.CodeInvalidRequest, Detail: map[string]string{"reason": err.Error()}})
	}
	if d.isProbe {
		b, _ := json.Marshal(map[string]string{"challenge": d.challenge})
		return Answer{http.StatusOK, b}, s.record(ctx, audit.Entry{Event: audit.EventWebhookReceive,
			Integration: t.in.ID(), Outcome: audit.OutcomeOK,
			Detail: map[string]string{"event": "url_verification"}})
	}
	ev, dup, err := s.store.PutEvent(ctx, Event{AppID: t.in.ID(), Name: d.name,
		DeliveryID: d.deliveryID, Payload: d.payload, ReceivedAt: start,
		Digest: replayDigest(spec, body)})
	if err != nil {
		return Answer{}, fmt.Errorf("store event of %s: %w", t.in.ID(), err)
	}
	if !dup {
		s.notify()
	}
	err = s.record(ctx, audit.Entry{Event: audit.EventWebhookReceive, Integration: t.in.ID(),
		Outcome: audit.OutcomeOK, Latency: s.clock.Now().Sub(start),
		Detail: map[string]string{"event": ev.Name, "delivery": ev.DeliveryID,
			"event_id": strconv.FormatInt(ev.ID, 10), "duplicate": strconv.FormatBool(dup)}})
	if err != nil {
		return Answer{}, err
	}
	return answerOK, nil
}

// verify checks req with the signing secret of in.
func (s *Service) verify(ctx context.Context, in *registry.Integration,
	spec *registry.WebhookVerification, req Request, now time.Time) error {
	prop, _ := in.Manifest.ConfigSchema.Property(spec.Secret)
	secret, err := s.secrets.PlatformSecret(ctx, prop.PlatformSecret)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return &Refusal{"signing secret " + spec.Secret + " is not set"}
	}
	if err != nil {
		return fmt.Errorf("signing secret of %s: %w", in.ID(), err)
	}
	return Verify(spec, req, secret, now)
}

// refuse answers a refused delivery and records why; err that is not a
// Refusal is a fault.
func (s *Service) refuse(ctx context.Context, in *registry.Integration, err error) (Answer, error) {
	r, ok := errors.AsType[*Refusal](err)
	if !ok {
		return Answer{}, err
	}
	s.log.InfoContext(ctx, "webhook refused", slog.String(logkey.Integration, in.ID()),
		slog.String("reason", r.Reason))
	return answerRefused, s.record(ctx, audit.Entry{Event: audit.EventWebhookReceive,
		Integration: in.ID(), Outcome: audit.OutcomeDenied,
		ErrorCode: switchboard.CodeUnauthenticated, Detail: map[string]string{"reason": r.Reason}})
}

func withSurface(o audit.Origin) audit.Origin {
	o.Surface = audit.SurfaceWebhook
	return o
}

// replayDigest is the digest that makes a body one event whatever delivery
// id it claims, for schemes whose signature covers neither the id nor a
// time (see Event.Digest); "" for the others, whose signed id or
// timestamp already stops a replay.
func replayDigest(spec *registry.WebhookVerification, body []byte) string {
	if spec == nil {
		return ""
	}
	switch spec.Scheme {
	case registry.SchemeGitHub, registry.SchemeTwilio, registry.SchemeHMACSHA256:
		sum := sha256.Sum256(body)
		return hex.EncodeToString(sum[:])
	}
	return ""
}
