package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/registry"
)

// delivery is what intake reads from a verified request.
type delivery struct {
	name       string
	deliveryID string
	payload    json.RawMessage
	// challenge is Slack's url_verification challenge, answered instead of
	// stored.
	challenge string
	isProbe   bool
}

// errPayload is a body that is neither JSON, a form nor text.
var errPayload = errors.New("body is neither JSON, a form, nor UTF-8 text")

// read turns a verified request into a delivery: its payload as JSON, its
// event name and its delivery id. spec may be nil (unsigned intake).
func read(spec *registry.WebhookVerification, hooks []registry.Webhook, req Request,
) (delivery, error) {
	payload, err := payloadOf(req)
	if err != nil {
		return delivery{}, err
	}
	var doc any
	_ = json.Unmarshal(payload, &doc)
	d := delivery{payload: payload}
	scheme := ""
	if spec != nil {
		scheme = spec.Scheme
	}
	if scheme == registry.SchemeSlack && lookup(doc, "type") == "url_verification" {
		d.isProbe, d.challenge = true, lookup(doc, "challenge")
		return d, nil
	}
	d.name = eventName(spec, req.Header, doc)
	if d.name == "" && len(hooks) == 1 {
		d.name = hooks[0].Name
	}
	d.deliveryID = deliveryID(spec, req, doc)
	return d, nil
}

// payloadOf returns the body as JSON: JSON as is; a form's "payload"
// field when it holds JSON (Slack's interactive messages), or else the form
// as an object of strings (arrays for repeated names); other UTF-8 text as
// a JSON string.
func payloadOf(req Request) (json.RawMessage, error) {
	body := bytes.TrimSpace(req.Body)
	if isForm(req.Header) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errPayload
		}
		if p := form.Get("payload"); len(form) == 1 && json.Valid([]byte(p)) {
			return json.RawMessage(p), nil
		}
		return formJSON(form)
	}
	if json.Valid(body) && len(body) > 0 {
		return json.RawMessage(body), nil
	}
	if !utf8.Valid(req.Body) {
		return nil, errPayload
	}
	return json.Marshal(string(req.Body))
}

func formJSON(form url.Values) (json.RawMessage, error) {
	obj := make(map[string]any, len(form))
	for k, vs := range form {
		if len(vs) == 1 {
			obj[k] = vs[0]
		} else {
			obj[k] = vs
		}
	}
	return json.Marshal(obj)
}

// defaultEventPaths are where each scheme's services put the event name
// when the manifest says nothing.
var defaultEventPaths = map[string][]string{
	registry.SchemeSlack:    {"event.type", "type"},
	registry.SchemeStripe:   {"type"},
	registry.SchemeStandard: {"type"},
}

func eventName(spec *registry.WebhookVerification, h http.Header, doc any) string {
	if spec == nil {
		return ""
	}
	if spec.EventPath != "" {
		return lookup(doc, spec.EventPath)
	}
	if spec.Scheme == registry.SchemeGitHub {
		return h.Get("X-GitHub-Event")
	}
	for _, p := range defaultEventPaths[spec.Scheme] {
		if v := lookup(doc, p); v != "" {
			return v
		}
	}
	return ""
}

// deliveryID is the provider's id of a delivery: at idPath when the
// manifest gives one, else where the scheme's service puts it, else a
// digest of the body.
func deliveryID(spec *registry.WebhookVerification, req Request, doc any) string {
	var id string
	switch {
	case spec == nil:
	case spec.IDPath != "":
		id = lookup(doc, spec.IDPath)
	case spec.Scheme == registry.SchemeGitHub:
		id = req.Header.Get("X-GitHub-Delivery")
	case spec.Scheme == registry.SchemeSlack:
		id = lookup(doc, "event_id")
	case spec.Scheme == registry.SchemeStripe:
		id = lookup(doc, "id")
	case spec.Scheme == registry.SchemeStandard:
		id = req.Header.Get("webhook-id")
	case spec.Scheme == registry.SchemeTwilio:
		id = req.Header.Get("I-Twilio-Idempotency-Token")
	}
	if id != "" && len(id) <= maxDeliveryID {
		return id
	}
	sum := sha256.Sum256(req.Body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// maxDeliveryID bounds a provider's delivery id; a longer one is replaced
// by a digest of the body.
const maxDeliveryID = 200

// lookup returns the string or number at a dotted path of doc, or "".
func lookup(doc any, path string) string {
	cur := doc
	for seg := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = obj[seg]
	}
	switch v := cur.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}
