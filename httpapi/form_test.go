package httpapi

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// formIntegration returns an integration whose credential form has schema.
func formIntegration(t *testing.T, schema string) *registry.Integration {
	t.Helper()
	m := &registry.Manifest{AppID: "form", Name: "Form",
		UserAuth: &registry.UserAuth{Type: registry.UserAuthCredentials,
			Schema: json.RawMessage(schema)}}
	return &registry.Integration{Manifest: m}
}

func TestFormFields(t *testing.T) {
	t.Parallel()
	in := formIntegration(t, `{"type":"object","required":["key"],"properties":{
	  "key":{"type":"string","format":"password"},
	  "region":{"type":["string","null"],"title":"Region"},
	  "tries":{"type":"number"},
	  "opts":{"type":"object"},
	  "mode":{"enum":[1,"two",null]},
	  "a/b~c":{"type":"boolean"}}}`)
	fields, err := formFields(in)
	require.NoError(t, err)
	require.Equal(t, []formField{
		{Name: "key", Label: "key", Input: "password", Required: true},
		{Name: "region", Label: "Region", Input: "text"},
		{Name: "tries", Label: "tries", Input: "number"},
		{Name: "opts", Label: "opts", Input: "textarea"},
		{Name: "mode", Label: "mode", Input: "select", Options: []formOption{
			{Value: "1", Label: "1"}, {Value: `"two"`, Label: "two"},
			{Value: "null", Label: "null"}}},
		{Name: "a/b~c", Label: "a/b~c", Input: "checkbox"},
	}, fields)

	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{name: "typed values", form: url.Values{"key": {"k"}, "region": {"eu"},
			"tries": {"2.5"}, "opts": {`{"a":1}`}, "mode": {"1"}, "a/b~c": {"true"}},
			want: `{"key":"k","region":"eu","tries":2.5,"opts":{"a":1},"mode":1,"a/b~c":true}`},
		{name: "empty inputs left out", form: url.Values{"key": {""}, "mode": {""}},
			want: `{"a/b~c":false}`},
		{name: "wrong kinds kept as strings", form: url.Values{"tries": {"Inf"},
			"opts": {"{"}, "mode": {"three"}},
			want: `{"tries":"Inf","opts":"{","mode":"three","a/b~c":false}`},
		{name: "null option", form: url.Values{"mode": {"null"}},
			want: `{"mode":null,"a/b~c":false}`},
		{name: "fields outside the schema dropped", form: url.Values{"other": {"x"}},
			want: `{"a/b~c":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.JSONEq(t, tt.want, string(formValues(fields, tt.form)))
		})
	}
}

func TestFormFieldsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   *registry.Integration
		code switchboard.Code
	}{
		{name: "oauth2", in: &registry.Integration{Manifest: &registry.Manifest{AppID: "x",
			UserAuth: &registry.UserAuth{Type: registry.UserAuthOAuth2}}},
			code: switchboard.CodeInvalidRequest},
		{name: "no userAuth", in: &registry.Integration{Manifest: &registry.Manifest{AppID: "x"}},
			code: switchboard.CodeInvalidRequest},
		{name: "properties not an object", in: formIntegration(t, `{"properties":[1]}`),
			code: switchboard.CodeNotConfigured},
		{name: "schema not JSON", in: formIntegration(t, `{`),
			code: switchboard.CodeNotConfigured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := formFields(tt.in)
			require.Equal(t, tt.code, switchboard.ErrorCode(err))
		})
	}
}

func TestPlaceErrors(t *testing.T) {
	t.Parallel()
	fields := []formField{{Name: "token"}, {Name: "a/b"}}
	rest := placeErrors(fields, []switchboard.FieldError{
		{Path: "/token", Message: "required"},
		{Path: "/token", Message: "too short"},
		{Path: "/a~1b", Message: "not a boolean"},
		{Path: "/extra", Message: "not allowed"},
		{Path: "", Message: "must be an object"},
	})
	require.Equal(t, "required; too short", fields[0].Error)
	require.Equal(t, "not a boolean", fields[1].Error)
	require.Equal(t, []string{"/extra: not allowed", "must be an object"}, rest)
}
