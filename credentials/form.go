package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// SaveCredentials checks values against the form schema of in's
// credentials userAuth and stores them, sealed, as a new connection of
// user labelled label ("" gives the integration's name). Values that do
// not match are invalid_input with every violation at its JSON pointer;
// no message repeats a value given. An integration that connects
// otherwise is invalid_request.
func (m *Manager) SaveCredentials(ctx context.Context, in *registry.Integration,
	user switchboard.Principal, values json.RawMessage, label string,
) (Connection, error) {
	if user.IsZero() {
		return Connection{}, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"connecting an account needs a user")
	}
	fields, err := m.checkForm(in, values)
	if err != nil {
		return Connection{}, err
	}
	if err := checkLabel(strings.TrimSpace(label)); err != nil {
		return Connection{}, err
	}
	s := secret{Fields: fields, ObtainedAt: m.clock()}
	return m.save(ctx, in, user.String(), "", KindCredentials, s, label)
}

// checkForm validates values against in's credential form and returns
// them by field.
func (m *Manager) checkForm(in *registry.Integration, values json.RawMessage,
) (map[string]json.RawMessage, error) {
	ua, err := userAuth(in)
	if err != nil {
		return nil, err
	}
	if ua.Type != registry.UserAuthCredentials {
		return nil, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"%s connects with OAuth: start the flow instead of posting credentials", name(in))
	}
	sch, err := m.formSchema(in, ua.Schema)
	if err != nil {
		return nil, err
	}
	v, err := registry.DecodeInput(values)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, switchboard.Errorf(switchboard.CodeInvalidInput,
			"the credentials must be a JSON object")
	}
	if err := registry.CheckInput(sch, v); err != nil {
		return nil, withoutValues(err, obj)
	}
	fields := make(map[string]json.RawMessage, len(obj))
	total := 0
	for k, val := range obj {
		b, err := json.Marshal(val)
		if err != nil {
			return nil, switchboard.Errorf(switchboard.CodeInvalidInput,
				"credentials field %q cannot be stored", k)
		}
		if len(b) > MaxCredentialField {
			return nil, &switchboard.Error{Code: switchboard.CodeInvalidInput,
				Message: "the credentials are invalid", Errors: []switchboard.FieldError{{
					Path:    "/" + k,
					Message: fmt.Sprintf("longer than %d bytes", MaxCredentialField)}}}
		}
		total += len(b)
		fields[k] = b
	}
	if total > MaxCredentials {
		return nil, switchboard.Errorf(switchboard.CodeInvalidInput,
			"the credentials hold more than %d bytes in all", MaxCredentials)
	}
	return fields, nil
}

// Bounds on what a credential form stores.
const (
	// MaxCredentialField is the most bytes one field may hold, as JSON.
	MaxCredentialField = 16 << 10
	// MaxCredentials is the most bytes a form's fields may hold together.
	MaxCredentials = 64 << 10
)

// formSchema compiles a form schema once per schema.
func (m *Manager) formSchema(in *registry.Integration, raw json.RawMessage,
) (*jsonschema.Schema, error) {
	if len(raw) == 0 {
		return nil, manifestError(in, "schema", "the credentials form has no schema")
	}
	key := sha256.Sum256(raw)
	if sch, ok := m.forms.Load(key); ok {
		return sch.(*jsonschema.Schema), nil
	}
	sch, err := registry.CompileSchema(raw)
	if err != nil {
		return nil, manifestError(in, "schema", err.Error())
	}
	m.forms.Store(key, sch)
	return sch, nil
}

// withoutValues returns the invalid_input err with every string of values
// taken out of its messages: a schema's messages may quote a value given
// ("'hunter2' does not match pattern"), and a form's values are secrets.
func withoutValues(err error, values map[string]any) error {
	e, ok := errors.AsType[*switchboard.Error](err)
	if !ok {
		return err
	}
	var given []string
	collectStrings(values, &given)
	out := &switchboard.Error{Code: e.Code, Errors: make([]switchboard.FieldError, len(e.Errors))}
	msgs := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		for _, s := range given {
			fe.Message = strings.ReplaceAll(fe.Message, quote(s), "the value given")
			if len(s) >= 4 {
				fe.Message = strings.ReplaceAll(fe.Message, s, "the value given")
			}
		}
		out.Errors[i] = fe
		msgs[i] = fe.Path + ": " + fe.Message
	}
	out.Message = "credentials are invalid: " + strings.Join(msgs, "; ")
	return out
}

// collectStrings appends every string inside v.
func collectStrings(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		if v != "" {
			*out = append(*out, v)
		}
	case map[string]any:
		for _, x := range v {
			collectStrings(x, out)
		}
	case []any:
		for _, x := range v {
			collectStrings(x, out)
		}
	}
}

// quote writes s as schema messages quote strings: in single quotes, Go
// escapes inside.
func quote(s string) string {
	q := fmt.Sprintf("%q", s)
	q = strings.ReplaceAll(q, `\"`, `"`)
	q = strings.ReplaceAll(q, `'`, `\'`)
	return "'" + q[1:len(q)-1] + "'"
}
