package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard"
)

// MaxManifestBytes bounds a manifest's size.
const MaxManifestBytes = 1 << 20

// unusedFields are top-level fields of the product's manifest format that
// this version keeps but does not act on.
var unusedFields = []string{"crons", "dataContract", "permissions", "entities", "icon", "public"}

// Parse decodes raw into a manifest and validates it. Fields Switchboard does
// not use are kept and reported as warnings. Every problem is reported at
// once, in a *switchboard.Error with CodeInvalidInput whose Errors name each
// JSON path.
func Parse(raw []byte) (*Manifest, []string, error) {
	p := &parser{}
	m := p.manifest(raw)
	if m != nil {
		// A field that did not decode is reported once, by the parser.
		for _, vp := range validate(m) {
			if !p.reported(vp.Path) {
				p.problems = append(p.problems, vp)
			}
		}
	}
	if len(p.problems) > 0 {
		return nil, p.warnings, invalid(m, p.problems)
	}
	return m, p.warnings, nil
}

func invalid(m *Manifest, problems []Problem) *switchboard.Error {
	subject := "manifest"
	if m != nil && m.AppID != "" {
		subject = "manifest " + m.AppID
	}
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "%s is invalid: %s",
		subject, summarize(problems))
	for _, p := range problems {
		e.Errors = append(e.Errors, switchboard.FieldError{Path: p.Path, Message: p.Message})
	}
	return e
}

func summarize(problems []Problem) string {
	parts := make([]string, 0, len(problems))
	for _, p := range problems {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

type parser struct {
	problems []Problem
	warnings []string
}

func (p *parser) fail(path, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) reported(path string) bool {
	for _, q := range p.problems {
		if q.Path == path || strings.HasPrefix(path, q.Path+".") || strings.HasPrefix(path, q.Path+"[") {
			return true
		}
	}
	return false
}

func (p *parser) warn(path, msg string) {
	p.warnings = append(p.warnings, path+": "+msg)
}

func (p *parser) manifest(raw []byte) *Manifest {
	if len(raw) > MaxManifestBytes {
		p.fail("", "manifest is larger than %d bytes", MaxManifestBytes)
		return nil
	}
	if json.Valid(raw) {
		if err := checkJSON(raw); err != nil {
			p.fail("", "%s", err)
			return nil
		}
	}
	fields, ok := p.object("", raw)
	if !ok {
		return nil
	}
	m := &Manifest{}
	for _, key := range sortedKeys(fields) {
		v := fields[key]
		switch key {
		case "appId":
			p.str(key, v, &m.AppID)
		case "name":
			p.str(key, v, &m.Name)
		case "version":
			p.str(key, v, &m.Version)
		case "type":
			p.str(key, v, &m.Type)
		case "description":
			p.str(key, v, &m.Description)
		case "instructions":
			p.str(key, v, &m.Instructions)
		case "configSchema":
			m.ConfigSchema = p.configSchema(key, v)
		case "userAuth":
			m.UserAuth = p.userAuth(key, v)
		case "actions":
			m.Actions = p.actions(key, v)
		case "webhooks":
			m.Webhooks = p.webhooks(key, v)
		case "webhookVerification":
			if _, ok := p.object(key, v); ok {
				m.WebhookVerification = &WebhookVerification{}
				p.strict(key, v, m.WebhookVerification)
			}
		case "backend":
			m.Backend = &Backend{}
			p.strict(key, v, m.Backend)
		default:
			if m.Extra == nil {
				m.Extra = map[string]json.RawMessage{}
			}
			m.Extra[key] = v
			if slices.Contains(unusedFields, key) {
				p.warn(key, "kept; not used by this version")
			} else {
				p.warn(key, "unknown field kept; not used")
			}
		}
	}
	if len(m.Webhooks) > 0 && m.WebhookVerification == nil {
		p.warn("webhooks", unsignedWarning)
	}
	return m
}

// unsignedWarning is the warning of a manifest that declares webhooks
// without saying how they are signed.
const unsignedWarning = "deliveries will be accepted unsigned; " +
	"declare webhookVerification so that each one is verified"

// object decodes raw as a JSON object, reporting a syntax error with its
// line and column.
func (p *parser) object(path string, raw []byte) (map[string]json.RawMessage, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		p.fail(path, "%s", jsonProblem(raw, err))
		return nil, false
	}
	if fields == nil {
		p.fail(path, "must be an object, not null")
		return nil, false
	}
	return fields, true
}

func (p *parser) str(path string, raw json.RawMessage, dst *string) {
	if err := json.Unmarshal(raw, dst); err != nil {
		p.fail(path, "must be a string")
	}
}

func (p *parser) webhooks(path string, raw json.RawMessage) []Webhook {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		p.fail(path, "must be an array of names or {\"name\", \"method\"} objects")
		return nil
	}
	out := make([]Webhook, len(items))
	for i, item := range items {
		p.strict(fmt.Sprintf("%s[%d]", path, i), item, &out[i])
	}
	return out
}

// strict decodes one of Switchboard's own blocks, refusing unknown fields.
func (p *parser) strict(path string, raw json.RawMessage, dst any) {
	if err := strictUnmarshal(raw, dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
			p.fail(path+"."+te.Field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
			return
		}
		p.fail(path, "%s", jsonProblem(raw, err))
	}
}

func (p *parser) configSchema(path string, raw json.RawMessage) *ConfigSchema {
	fields, ok := p.object(path, raw)
	if !ok {
		return nil
	}
	cs := &ConfigSchema{Raw: raw, byName: map[string]int{}}
	if v, ok := fields["type"]; ok {
		p.str(path+".type", v, &cs.Type)
		if cs.Type != "" && cs.Type != "object" {
			p.fail(path+".type", "must be \"object\"")
		}
	}
	if v, ok := fields["required"]; ok {
		if err := json.Unmarshal(v, &cs.Required); err != nil {
			p.fail(path+".required", "must be an array of property names")
		}
	}
	if v, ok := fields["anyOf"]; ok {
		if err := json.Unmarshal(v, &cs.AnyOf); err != nil {
			p.fail(path+".anyOf", "must be an array of {\"required\": [...]}")
		}
	}
	if v, ok := fields["properties"]; ok {
		cs.Properties = p.configProperties(path+".properties", v)
	}
	for i, prop := range cs.Properties {
		cs.byName[prop.Name] = i
	}
	return cs
}

func (p *parser) configProperties(path string, raw json.RawMessage) []ConfigProperty {
	props, ok := p.object(path, raw)
	if !ok {
		return nil
	}
	var out []ConfigProperty
	for _, name := range objectKeys(raw) {
		ppath := path + "." + name
		var prop struct {
			Type           any             `json:"type"`
			Description    string          `json:"description"`
			Default        json.RawMessage `json:"default"`
			PlatformSecret *string         `json:"platformSecret"`
		}
		if err := json.Unmarshal(props[name], &prop); err != nil {
			p.fail(ppath, "%s", jsonProblem(props[name], err))
			continue
		}
		cp := ConfigProperty{Name: name, Description: prop.Description,
			Default: prop.Default, Raw: props[name]}
		if t, ok := prop.Type.(string); ok {
			cp.Type = t
		}
		if prop.PlatformSecret != nil {
			cp.PlatformSecret = *prop.PlatformSecret
			if cp.PlatformSecret == "" {
				p.fail(ppath+".platformSecret", "must name the secret, as in \"SLACK_BOT_TOKEN\"")
			}
		}
		out = append(out, cp)
	}
	return out
}

// userAuth decodes the userAuth block: one of type oauth2 strictly, as
// Switchboard's own block; the others as the product's format gives them.
func (p *parser) userAuth(path string, raw json.RawMessage) *UserAuth {
	fields, ok := p.object(path, raw)
	if !ok {
		return nil
	}
	ua := &UserAuth{Raw: raw}
	if v, ok := fields["type"]; ok {
		p.str(path+".type", v, &ua.Type)
	}
	switch ua.Type {
	case UserAuthOAuth2:
		ua.OAuth = p.oauth(path, fields)
	case UserAuthCredentials:
		ua.Schema = p.credentialsForm(path, fields)
	case UserAuthRedirect:
		p.warn(path, "kept; a redirect userAuth needs a worker backend, "+
			"which this version does not run")
	case "":
		if !p.reported(path + ".type") {
			p.fail(path+".type", "required: oauth2, credentials or redirect")
		}
	default:
		p.fail(path+".type", "must be oauth2, credentials or redirect, not %q", ua.Type)
	}
	return ua
}

// oauth decodes an oauth2 userAuth block, refusing fields it does not know.
func (p *parser) oauth(path string, fields map[string]json.RawMessage) *OAuthSpec {
	o := &OAuthSpec{}
	p.members(path, fields, map[string]any{
		"type":             &o.Type,
		"authorizationUrl": &o.AuthorizationURL,
		"tokenUrl":         &o.TokenURL,
		"scopes":           &o.Scopes,
		"scopeSeparator":   &o.ScopeSeparator,
		"pkce":             &o.PKCE,
		"clientId":         &o.ClientID,
		"clientSecret":     &o.ClientSecret,
		"authorizationParams": func(at string, raw json.RawMessage) {
			o.AuthorizationParams = p.stringMap(at, raw)
		},
		"grant": &o.Grant,
		"tokenFields": func(at string, raw json.RawMessage) {
			o.TokenFields = p.tokenFields(at, raw)
		},
		"refresh":       &o.Refresh,
		"refreshMargin": &o.RefreshMargin,
		"clientAuth":    &o.ClientAuth,
	})
	return o
}

func (p *parser) tokenFields(path string, raw json.RawMessage) *TokenFields {
	fields, ok := p.object(path, raw)
	if !ok {
		return nil
	}
	tf := &TokenFields{}
	targets := map[string]any{
		"accessToken":  &tf.AccessToken,
		"refreshToken": &tf.RefreshToken,
		"expiresIn":    &tf.ExpiresIn,
		"tokenType":    &tf.TokenType,
		"scope":        &tf.Scope,
	}
	p.members(path, fields, targets)
	// An empty path would read as "the standard name"; say so instead.
	for _, key := range sortedKeys(fields) {
		if _, known := targets[key]; known && string(bytes.TrimSpace(fields[key])) == `""` {
			p.fail(path+"."+key, "must be a dotted path such as access_token or data.token; "+
				"leave the field out for the standard name")
		}
	}
	return tf
}

// stringMap decodes an object of strings, each problem at its member's path.
func (p *parser) stringMap(path string, raw json.RawMessage) map[string]string {
	fields, ok := p.object(path, raw)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(fields))
	for _, key := range sortedKeys(fields) {
		var s string
		p.str(path+"."+key, fields[key], &s)
		out[key] = s
	}
	return out
}

// members decodes the fields of one of Switchboard's own objects into
// targets, by JSON name: a pointer is decoded into, a
// func(path string, raw json.RawMessage) decodes for itself. A field with
// no target is refused. Each problem is reported at the field's own path.
func (p *parser) members(path string, fields map[string]json.RawMessage, targets map[string]any) {
	for _, key := range sortedKeys(fields) {
		at := path + "." + key
		switch dst := targets[key].(type) {
		case nil:
			p.fail(at, "unknown field%s", suggest(key, targets))
		case func(string, json.RawMessage):
			dst(at, fields[key])
		default:
			p.strict(at, fields[key], dst)
		}
	}
}

// suggest names the known field that key misspells by case, or lists them.
func suggest[V any](key string, known map[string]V) string {
	names := sortedNames(known)
	for _, name := range names {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf(": did you mean %q?", name)
		}
	}
	return ": want one of " + strings.Join(names, ", ")
}

// credentialsForm returns the form schema of a credentials userAuth; the
// validator checks it. Fields of the product's format it does not know are
// kept.
func (p *parser) credentialsForm(path string, fields map[string]json.RawMessage) json.RawMessage {
	for _, key := range sortedKeys(fields) {
		if key != "type" && key != "schema" {
			p.warn(path+"."+key, "unknown field kept; not used")
		}
	}
	raw, ok := fields["schema"]
	if !ok {
		return nil
	}
	if _, ok := p.object(path+".schema", raw); !ok {
		return nil
	}
	return raw
}

func (p *parser) actions(path string, raw json.RawMessage) []ActionSpec {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		p.fail(path, "must be an array of actions")
		return nil
	}
	if len(items) > MaxActions {
		p.fail(path, "at most %d actions, not %d", MaxActions, len(items))
		return nil
	}
	out := make([]ActionSpec, len(items))
	for i, item := range items {
		p.action(fmt.Sprintf("%s[%d]", path, i), item, &out[i])
	}
	return out
}

func (p *parser) action(path string, raw json.RawMessage, a *ActionSpec) {
	fields, ok := p.object(path, raw)
	if !ok {
		return
	}
	for _, key := range sortedKeys(fields) {
		v := fields[key]
		kpath := path + "." + key
		switch key {
		case "id":
			p.str(kpath, v, &a.ID)
		case "name":
			p.str(kpath, v, &a.Name)
		case "description":
			p.str(kpath, v, &a.Description)
		case "inputSchema":
			a.InputSchema = v
		case "outputSchema":
			a.OutputSchema = v
		case "credentials":
			p.str(kpath, v, &a.Credentials)
		case "timeout":
			if err := a.Timeout.UnmarshalJSON(v); err != nil {
				p.fail(kpath, "%s", err)
			}
		case "annotations":
			a.Annotations = &Annotations{}
			p.strict(kpath, v, a.Annotations)
		case "request":
			a.Request = &RequestSpec{}
			p.strict(kpath, v, a.Request)
		case "response":
			a.Response = &ResponseSpec{}
			p.strict(kpath, v, a.Response)
		default:
			if a.Extra == nil {
				a.Extra = map[string]json.RawMessage{}
			}
			a.Extra[key] = v
			p.warn(kpath, "unknown field kept; not used")
		}
	}
}

// jsonProblem describes a decoding error; syntax errors get a line and
// column, type errors the field.
func jsonProblem(raw []byte, err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		line, col := position(raw, se.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, se.Error())
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field != "" {
			return fmt.Sprintf("%s: must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Sprintf("must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return msg
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "ptr", "interface":
		return "a value"
	default:
		return "a number"
	}
}

func position(raw []byte, offset int64) (line, col int) {
	if offset > int64(len(raw)) {
		offset = int64(len(raw))
	}
	before := raw[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// objectKeys returns the keys of a JSON object in document order; raw has
// already been checked to be an object.
func objectKeys(raw []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		key, _ := tok.(string)
		keys = append(keys, key)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
