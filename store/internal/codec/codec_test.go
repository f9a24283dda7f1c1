package codec_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/store/internal/codec"
)

func TestList(t *testing.T) {
	t.Parallel()
	for _, l := range [][]string{nil, {}} {
		s, err := codec.List(l)
		require.NoError(t, err)
		require.Equal(t, "[]", s)
	}
	s, err := codec.List([]string{"a", "b"})
	require.NoError(t, err)
	require.Equal(t, `["a","b"]`, s)

	got, err := codec.ParseList(s)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, got)
	got, err = codec.ParseList("[]")
	require.NoError(t, err)
	require.Nil(t, got, "an empty list reads back as nil")
	_, err = codec.ParseList("{")
	require.Error(t, err)
}

func TestDetail(t *testing.T) {
	t.Parallel()
	s, err := codec.Detail(nil)
	require.NoError(t, err)
	require.Equal(t, "{}", s)
	s, err = codec.Detail(map[string]string{"k": "v"})
	require.NoError(t, err)
	require.Equal(t, `{"k":"v"}`, s)

	got, err := codec.ParseDetail(s)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"k": "v"}, got)
	got, err = codec.ParseDetail("{}")
	require.NoError(t, err)
	require.Nil(t, got)
	_, err = codec.ParseDetail("[1]")
	require.ErrorContains(t, err, "audit detail")
}

func TestSince(t *testing.T) {
	t.Parallel()
	s, err := codec.Since(map[string]int64{})
	require.NoError(t, err)
	require.Equal(t, "{}", s)
	s, err = codec.Since(map[string]int64{"list": 3})
	require.NoError(t, err)
	require.Equal(t, `{"list":3}`, s)

	got, err := codec.ParseSince([]byte(s))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"list": 3}, got)
	for _, b := range []string{"", "{}"} {
		got, err = codec.ParseSince([]byte(b))
		require.NoError(t, err)
		require.Nil(t, got, "%q", b)
	}
	_, err = codec.ParseSince([]byte("nope"))
	require.ErrorContains(t, err, "decode action stamps")
}

func TestIsObject(t *testing.T) {
	t.Parallel()
	for b, want := range map[string]bool{
		`{}`: true, " \n{\"a\":1}": true, `[]`: false, `"x"`: false, `{`: false, ``: false,
	} {
		require.Equal(t, want, codec.IsObject([]byte(b)), "%q", b)
	}
}

func TestNonNil(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{}, codec.NonNil(nil))
	require.Equal(t, []string{"a"}, codec.NonNil([]string{"a"}))
}
