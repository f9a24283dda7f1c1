package registry

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

func TestCheckInput(t *testing.T) {
	t.Parallel()
	schema := `{"type":"object","properties":{
	  "channel":{"type":"string"},
	  "count":{"type":"integer","minimum":1},
	  "colors":{"type":"array","items":{"enum":["red","green","blue"]}},
	  "user":{"type":"object","properties":{"email":{"type":"string","format":"email"}}}
	},"required":["channel"],"additionalProperties":false}`
	sch, err := CompileSchema([]byte(schema))
	require.NoError(t, err)
	tests := []struct {
		name  string
		input string
		want  []string // JSON pointers
	}{
		{"valid", `{"channel":"C1","count":2,"colors":["red"]}`, nil},
		{"missing required", `{}`, []string{"/channel"}},
		{"wrong type", `{"channel":5}`, []string{"/channel"}},
		{"below minimum", `{"channel":"C","count":0}`, []string{"/count"}},
		{"each bad enum item", `{"channel":"C","colors":["red","pink","blue","teal"]}`,
			[]string{"/colors/1", "/colors/3"}},
		{"nested format", `{"channel":"C","user":{"email":"nope"}}`, []string{"/user/email"}},
		{"unknown property", `{"channel":"C","chanel":"x"}`, []string{"/chanel"}},
		{"several at once", `{"count":"3","extra":1}`, []string{"/channel", "/count", "/extra"}},
		{"not an object", `[1]`, []string{"/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := DecodeInput([]byte(tt.input))
			require.NoError(t, err)
			err = CheckInput(sch, v)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			e := switchboard.AsError(err)
			require.Equal(t, switchboard.CodeInvalidInput, e.Code)
			var got []string
			for _, fe := range e.Errors {
				require.NotEmpty(t, fe.Message)
				got = append(got, fe.Path)
			}
			require.ElementsMatch(t, tt.want, got, "%v", e.Errors)
		})
	}
}

func TestDecodeInput(t *testing.T) {
	t.Parallel()
	v, err := DecodeInput(nil)
	require.NoError(t, err)
	require.Equal(t, map[string]any{}, v)
	_, err = DecodeInput([]byte(`{"a":`))
	require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
}

func TestCompileSchemaRefusesExternalRefs(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"file:///etc/passwd", "https://example.com/s.json", "http://127.0.0.1/s"} {
		_, err := CompileSchema([]byte(`{"$ref":"` + ref + `"}`))
		require.Error(t, err, ref)
	}
}
