package credentials_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/credentials/oauthtest"
	"github.com/switchboard-dev/switchboard/registry"
)

// TestSecretCanary drives every path that handles a secret, then looks
// for each secret the provider handed out or received, and each form
// value, in the logs, the errors, the audit entries and the SQLite files.
func TestSecretCanary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	c := e.connect(alice)
	e.clock.Advance(time.Hour)
	e.token(alice)
	for _, f := range []oauthtest.Failure{oauthtest.HTMLPage, oauthtest.EmptyBody,
		oauthtest.ServerError} {
		e.provider.FailNext(f, 1)
		_, err := e.m.Refresh(ctx, e.in, alice, c.ID)
		keep(err)
	}
	e.provider.RevokeAll()
	_, err := e.m.Refresh(ctx, e.in, alice, c.ID)
	keep(err)
	_, err = e.resolve(alice, "")
	keep(err)
	_, err = e.m.Callback(ctx, e.lookup, credentialsRequest(e, "stolen-code"))
	keep(err)

	const formSecret = "key_canaryformvalue42"
	form, _ := integration(&registry.UserAuth{
		Type: registry.UserAuthCredentials, Schema: json.RawMessage(formSchema),
	}, map[string]any{})
	_, err = e.m.SaveCredentials(ctx, form, alice,
		json.RawMessage(`{"apiKey": "`+formSecret+`", "subdomain": "a"}`), "")
	keep(err)
	_, err = e.m.SaveCredentials(ctx, form, alice,
		json.RawMessage(`{"apiKey": "`+formSecret+`", "subdomain": "acme"}`), "")
	require.NoError(t, err)
	require.Len(t, errs, 7)

	secrets := append(e.provider.Secrets(), formSecret)
	require.Greater(t, len(secrets), 6)
	places := map[string]string{
		"logs":   e.logs.String(),
		"errors": describe(errs),
		"audit":  fmt.Sprintf("%#v", e.audit.entries),
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if !errors.Is(err, os.ErrNotExist) {
			require.NoError(t, err)
		}
		places["database"+suffix] = string(b)
	}
	for place, text := range places {
		for _, s := range secrets {
			require.NotContains(t, text, s, "a secret in the %s", place)
		}
	}
}

// credentialsRequest is a callback with a fresh state and code.
func credentialsRequest(e *env, code string) credentials.CallbackRequest {
	flow, err := e.m.Start(e.t.Context(), e.in, alice, "")
	require.NoError(e.t, err)
	return credentials.CallbackRequest{State: stateOf(e.t, flow.URL), Code: code}
}

// describe renders errors with every cause they carry.
func describe(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		for ; err != nil; err = errors.Unwrap(err) {
			fmt.Fprintf(&b, "%v\n%#v\n", err, err)
			if e, ok := err.(*switchboard.Error); ok && e.Cause != nil {
				fmt.Fprintf(&b, "%v\n", e.Cause)
			}
		}
	}
	return b.String()
}
