package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/switchboard-dev/switchboard"
)

// CompileSchema compiles a JSON Schema given by a manifest. References to
// anything but the schema itself and the standard meta-schemas are refused,
// so a manifest can never make the server read a file or a URL.
func CompileSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	c.AssertFormat()
	const loc = "urn:switchboard:schema"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(loc)
	if sve, ok := errors.AsType[*jsonschema.SchemaValidationError](err); ok {
		return nil, &SchemaError{Problems: firstPerPath(violations(sve.Err))}
	}
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), loc, "schema"))
	}
	return sch, nil
}

// DecodeInput decodes an action's input, keeping numbers exact. An empty
// input is the empty object. Invalid UTF-8, nesting deeper than [MaxDepth],
// a key given twice and numbers beyond float64 are refused before any
// schema sees them, as *switchboard.Error with CodeInvalidInput.
func DecodeInput(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	if err := checkJSON(raw); err != nil {
		return nil, switchboard.Errorf(switchboard.CodeInvalidInput, "input is invalid: %s", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, switchboard.Errorf(switchboard.CodeInvalidInput,
			"input is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return v, nil
}

// CheckInput validates a decoded input against sch. It returns nil, or a
// *switchboard.Error with CodeInvalidInput listing every violation at its
// JSON pointer: one entry per missing property, per bad array item.
func CheckInput(sch *jsonschema.Schema, input any) error {
	err := sch.Validate(input)
	if err == nil {
		return nil
	}
	out := violations(err)
	msgs := make([]string, 0, len(out))
	for _, fe := range out {
		msgs = append(msgs, fe.Path+": "+fe.Message)
	}
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "input is invalid: %s",
		strings.Join(msgs, "; "))
	e.Errors = out
	return e
}

// violations flattens a schema validation error into one entry per leaf.
func violations(err error) []switchboard.FieldError {
	ve, ok := errors.AsType[*jsonschema.ValidationError](err)
	if !ok {
		return []switchboard.FieldError{{Path: "/", Message: "does not match the schema"}}
	}
	var out []switchboard.FieldError
	collectViolations(ve, &out)
	if len(out) == 0 {
		out = append(out, switchboard.FieldError{Path: "/", Message: "does not match the schema"})
	}
	return out
}

func collectViolations(ve *jsonschema.ValidationError, out *[]switchboard.FieldError) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collectViolations(c, out)
		}
		return
	}
	ptr := pointer(ve.InstanceLocation)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			*out = append(*out, switchboard.FieldError{
				Path: pointer(append(ve.InstanceLocation, name)), Message: "required"})
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			*out = append(*out, switchboard.FieldError{
				Path: pointer(append(ve.InstanceLocation, name)), Message: "not allowed"})
		}
	default:
		*out = append(*out, switchboard.FieldError{Path: ptr, Message: ve.ErrorKind.LocalizedString(english)})
	}
}

// SchemaError is a schema that breaks the JSON Schema rules, with each
// problem at its JSON pointer inside the schema.
type SchemaError struct {
	Problems []switchboard.FieldError
}

func (e *SchemaError) Error() string {
	parts := make([]string, 0, len(e.Problems))
	for _, fe := range e.Problems {
		parts = append(parts, fe.Path+": "+fe.Message)
	}
	return strings.Join(parts, "; ")
}

// firstPerPath keeps the first violation at each path.
func firstPerPath(v []switchboard.FieldError) []switchboard.FieldError {
	seen := map[string]bool{}
	var out []switchboard.FieldError
	for _, fe := range v {
		if !seen[fe.Path] {
			seen[fe.Path] = true
			out = append(out, fe)
		}
	}
	return out
}

// refCycle reports whether a validation error comes from a schema whose
// references loop, which no input can satisfy.
func refCycle(err error) bool {
	ve, ok := errors.AsType[*jsonschema.ValidationError](err)
	if !ok {
		return false
	}
	if _, ok := ve.ErrorKind.(*kind.RefCycle); ok {
		return true
	}
	for _, c := range ve.Causes {
		if refCycle(c) {
			return true
		}
	}
	return false
}

// keywordViolation describes the first schema violation of err by the
// keyword that failed, never by the value, for values that may be
// confidential (plain config).
func keywordViolation(err error) string {
	ve, ok := errors.AsType[*jsonschema.ValidationError](err)
	for ok && len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	if !ok {
		return "does not match its schema"
	}
	if k, isType := ve.ErrorKind.(*kind.Type); isType {
		return "want " + strings.Join(k.Want, " or ")
	}
	kw := strings.Join(ve.ErrorKind.KeywordPath(), "/")
	if kw == "" {
		return "does not match its schema"
	}
	at := pointer(ve.InstanceLocation)
	if at == "/" {
		return "does not satisfy its schema's " + kw
	}
	return at + " does not satisfy its schema's " + kw
}

// english renders schema violations; it is never written after init.
var english = message.NewPrinter(language.English)

func pointer(loc []string) string {
	if len(loc) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, s := range loc {
		b.WriteByte('/')
		s = strings.ReplaceAll(s, "~", "~0")
		b.WriteString(strings.ReplaceAll(s, "/", "~1"))
	}
	return b.String()
}
