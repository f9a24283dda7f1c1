package audit_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"sorted members", `{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{"nested and spaced", " {\n \"z\" : [ 1 , {\"y\":null,\"x\":true} ], \"a\":{} }\t",
			`{"a":{},"z":[1,{"x":true,"y":null}]}`},
		{"numbers as written", `[1.0, 1e3, -0, 12345678901234567890]`,
			`[1.0,1e3,-0,12345678901234567890]`},
		{"escapes only what JSON needs", `"a\u0041\/\u00e9\n\"\\"`, "\"aA/é\\u000a\\\"\\\\\""},
		{"html is not escaped", `"<&>"`, `"<&>"`},
		{"scalar", `false`, `false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := audit.Canonical([]byte(tt.in))
			require.True(t, ok)
			require.Equal(t, tt.want, string(got))
		})
	}
}

func TestCanonicalNotJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{`, `{"a":1} {"b":2}`, `nul`, `{"a":1}x`} {
		got, ok := audit.Canonical([]byte(in))
		require.False(t, ok, in)
		require.Equal(t, in, string(got))
	}
	got, ok := audit.Canonical([]byte(" \n"))
	require.True(t, ok)
	require.Nil(t, got)
}

func TestInputMAC(t *testing.T) {
	t.Parallel()
	l := newLog(t, &audit.MemStore{}, &audit.MemVault{})
	mac := func(s string) string { return l.InputMAC([]byte(s)) }

	base := mac(`{"channel":"C1","text":"hunter2"}`)
	require.Regexp(t, `^[0-9a-f]{64}$`, base)
	require.NotContains(t, base, "hunter2")

	same := []string{
		`{"text":"hunter2","channel":"C1"}`,
		"{ \"channel\" : \"C1\",\n\t\"text\": \"hunter2\" }",
		`{"channel":"\u0043\u0031","text":"hunter2"}`,
	}
	for _, s := range same {
		require.Equal(t, base, mac(s), s)
	}

	different := []string{
		`{"channel":"C1","text":"hunter3"}`,
		`{"channel":"C1","text":"hunter2","x":null}`,
		`{"channel":"C1"}`,
		`{"channel":"c1","text":"hunter2"}`,
		`[{"channel":"C1","text":"hunter2"}]`,
		`{"channel":"C1","text":"hunter2"`, // not JSON
	}
	seen := map[string]string{base: "base"}
	for _, s := range different {
		m := mac(s)
		require.NotContains(t, seen, m, "%s collides with %s", s, seen[m])
		seen[m] = s
	}

	require.NotEqual(t, mac(`{"n":1}`), mac(`{"n":1.0}`), "numbers as written")
	require.NotEqual(t, mac(`{"n":1}`), mac(`{"n":"1"}`))
	require.Empty(t, mac(""), "no input")

	other := newLog(t, &audit.MemStore{}, &audit.MemVault{})
	require.NotEqual(t, base, other.InputMAC([]byte(`{"channel":"C1","text":"hunter2"}`)),
		"keyed: another audit key gives another MAC")
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x"]}`, `"\u00e9"`, `1e10`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ok := audit.Canonical(b)
		if !ok || c == nil {
			return
		}
		// The canonical form is JSON and its own canonical form.
		again, ok := audit.Canonical(c)
		require.True(t, ok, "%q", c)
		require.Equal(t, string(c), string(again))
	})
}
