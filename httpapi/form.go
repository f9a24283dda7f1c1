package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// formField is one input of a credential form, from one property of the
// form's JSON Schema.
type formField struct {
	Name        string
	Label       string
	Description string
	// Input is the kind of control: text, password, number, checkbox,
	// select or textarea (for an object or array, typed as JSON).
	Input    string
	Options  []formOption
	Required bool
	// Error is what was wrong with the value posted, shown beside it.
	Error string
}

// formOption is one value of an enum: Value is its JSON text, which the
// browser posts back; Label is how it is shown.
type formOption struct {
	Value string
	Label string
}

// formProperty is what a form reads of one property schema.
type formProperty struct {
	Type        json.RawMessage   `json:"type"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Enum        []json.RawMessage `json:"enum"`
	Format      string            `json:"format"`
	WriteOnly   bool              `json:"writeOnly"`
}

// formFields returns the fields of in's credential form, in the order its
// schema lists them. An integration without a credential form is
// invalid_request.
func formFields(in *registry.Integration) ([]formField, error) {
	ua := in.Manifest.UserAuth
	if ua == nil || ua.Type != registry.UserAuthCredentials {
		return nil, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"%s has no credential form: open the connect link instead of posting to it",
			displayName(in))
	}
	var schema struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(ua.Schema, &schema); err != nil {
		return nil, formSchemaError(in, err)
	}
	names, props, err := orderedProperties(schema.Properties)
	if err != nil {
		return nil, formSchemaError(in, err)
	}
	fields := make([]formField, 0, len(names))
	for _, name := range names {
		fields = append(fields, newFormField(name, props[name],
			slices.Contains(schema.Required, name)))
	}
	return fields, nil
}

func formSchemaError(in *registry.Integration, err error) error {
	return switchboard.Wrap(switchboard.CodeNotConfigured, err,
		displayName(in)+"'s credential form cannot be shown: its schema is not usable")
}

// orderedProperties decodes a JSON object of property schemas, keeping the
// order of its keys.
func orderedProperties(raw json.RawMessage) ([]string, map[string]formProperty, error) {
	props := map[string]formProperty{}
	if len(raw) == 0 {
		return nil, props, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("properties is not an object")
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("read property name: %w", err)
		}
		name, _ := tok.(string)
		var p formProperty
		if err := dec.Decode(&p); err != nil {
			return nil, nil, fmt.Errorf("read property %q: %w", name, err)
		}
		if _, seen := props[name]; !seen {
			names = append(names, name)
		}
		props[name] = p
	}
	return names, props, nil
}

func newFormField(name string, p formProperty, required bool) formField {
	f := formField{Name: name, Label: p.Title, Description: p.Description, Required: required}
	if f.Label == "" {
		f.Label = name
	}
	switch typ := schemaType(p.Type); {
	case len(p.Enum) > 0:
		f.Input = "select"
		for _, v := range p.Enum {
			f.Options = append(f.Options, formOption{Value: string(v), Label: enumLabel(v)})
		}
	case typ == "boolean":
		f.Input = "checkbox"
	case typ == "number" || typ == "integer":
		f.Input = "number"
	case typ == "object" || typ == "array":
		f.Input = "textarea"
	case p.WriteOnly || p.Format == "password":
		f.Input = "password"
	default:
		f.Input = "text"
	}
	return f
}

// schemaType returns the first type other than null that a property's
// "type" names, as a string or a list.
func schemaType(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	for _, t := range many {
		if t != "null" {
			return t
		}
	}
	return ""
}

// enumLabel shows a string enum value as it is, any other as JSON.
func enumLabel(v json.RawMessage) string {
	var s string
	if bytes.HasPrefix(v, []byte(`"`)) && json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// formValues turns a posted form into the JSON object the credential
// schema checks. An empty input is left out, so that a required field is
// reported missing; a value of the wrong kind is kept as a string, so that
// the schema names what is wrong with it.
func formValues(fields []formField, form url.Values) json.RawMessage {
	obj := make(map[string]any, len(fields))
	for _, f := range fields {
		v := form.Get(f.Name)
		switch {
		case f.Input == "checkbox":
			obj[f.Name] = v != ""
		case v == "":
		case f.Input == "select":
			obj[f.Name] = optionValue(f.Options, v)
		case f.Input == "number" && isJSONNumber(v):
			obj[f.Name] = json.RawMessage(v)
		case f.Input == "textarea" && json.Valid([]byte(v)):
			obj[f.Name] = json.RawMessage(v)
		default:
			obj[f.Name] = v
		}
	}
	// Strings, booleans and valid JSON texts always encode.
	b, _ := json.Marshal(obj)
	return b
}

func optionValue(options []formOption, v string) any {
	for _, o := range options {
		if o.Value == v {
			return json.RawMessage(o.Value)
		}
	}
	return v
}

func isJSONNumber(v string) bool {
	_, err := strconv.ParseFloat(v, 64)
	return err == nil && json.Valid([]byte(v))
}

// placeErrors puts each problem at the JSON pointer of a field beside that
// field, and returns the others as the form's own errors.
func placeErrors(fields []formField, errs []switchboard.FieldError) []string {
	var rest []string
	for _, fe := range errs {
		i := slices.IndexFunc(fields, func(f formField) bool {
			return fe.Path == "/"+pointerToken(f.Name)
		})
		switch {
		case i < 0:
			rest = append(rest, strings.TrimPrefix(fe.Path+": ", ": ")+fe.Message)
		case fields[i].Error == "":
			fields[i].Error = fe.Message
		default:
			fields[i].Error += "; " + fe.Message
		}
	}
	return rest
}

// pointerToken escapes name as one JSON pointer token.
func pointerToken(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}
