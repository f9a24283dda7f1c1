package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRestartKeepsStateAndWrongKeyRefuses deploys and configures, restarts,
// and calls again; then starts with a wrong master key, which must refuse
// with a message saying so and change nothing.
func TestRestartKeepsStateAndWrongKeyRefuses(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeSlack(t)
			in := kind.new(t)
			s := in.serve()
			setupSlack(t, s, fake)
			status, body := s.api("PUT", "/api/v1/integrations/slack/config", `{"baseUrl":""}`)
			require.Equal(t, 200, status, "%s", body)
			status, body = s.api("PUT", "/api/v1/integrations/slack/config",
				fmt.Sprintf(`{"baseUrl":%q}`, fake.URL+"/api"))
			require.Equal(t, 200, status, "%s", body)
			s.stop()
			require.Contains(t, in.logs.String(), `"msg":"stopped"`, "graceful shutdown")

			s = in.serve()
			status, body = s.api("GET", "/api/v1/integrations/slack", "")
			require.Equal(t, 200, status, "%s", body)
			var d struct {
				Configured bool `json:"configured"`
				Config     []struct {
					Name string `json:"name"`
					Set  bool   `json:"set"`
				} `json:"config"`
			}
			require.NoError(t, json.Unmarshal(body, &d))
			require.True(t, d.Configured)
			status, body = s.api("POST", "/api/v1/integrations/slack/actions/send_message",
				`{"channel":"C1","text":"after restart"}`)
			require.Equal(t, 200, status, "%s", body)
			require.Equal(t, "Bearer "+slackToken, fake.last(t).Auth)
			s.stop()

			before := snapshotFiles(t, in.data)
			wrong := in.withEnv("SWITCHBOARD_MASTER_KEY=" + newMasterKey(t))
			out, err := wrong.cli("", "serve", "--addr", freePort(t))
			require.Error(t, err, out)
			require.Contains(t, err.Error(), "master key does not open")
			if kind.name == "sqlite" {
				require.Equal(t, before, snapshotFiles(t, in.data), "a wrong key changes nothing")
			}
			_, err = wrong.cli("", "deploy", "stripe")
			require.ErrorContains(t, err, "master key does not open")

			// The right key still works.
			s = in.serve()
			status, _ = s.api("POST", "/api/v1/integrations/slack/actions/send_message",
				`{"channel":"C1","text":"still here"}`)
			require.Equal(t, 200, status)
		})
	}
}

// withEnv returns a copy of in whose processes get extra variables, later
// ones overriding earlier ones.
func (in *instance) withEnv(extra ...string) *instance {
	c := *in
	c.env = append(append([]string{}, in.env...), extra...)
	return &c
}

// snapshotFiles returns the content of every file in dir but the SQLite
// shared-memory index, which readers may touch.
func snapshotFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), "-shm") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

// TestMissingMasterKeyFileRefuses: a database whose key file is gone must
// not get a new key silently.
func TestMissingMasterKeyFileRefuses(t *testing.T) {
	t.Parallel()
	in := newInstance(t)
	in.mustCLI("", "migrate")
	in.mustCLI("", "deploy", "slack")
	require.NoError(t, os.Remove(filepath.Join(in.data, "master.key")))
	_, err := in.cli("", "deploy", "stripe")
	require.ErrorContains(t, err, "master.key is missing but the database")
	_, statErr := os.Stat(filepath.Join(in.data, "master.key"))
	require.True(t, os.IsNotExist(statErr), "no new key was written")
}

// TestFirstStartFiles checks the files a fresh data directory gets.
func TestFirstStartFiles(t *testing.T) {
	t.Parallel()
	in := newInstance(t)
	s := in.serve()
	for _, name := range []string{"master.key", "admin.token", "switchboard.db"} {
		fi, err := os.Stat(filepath.Join(in.data, name))
		require.NoError(t, err, name)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
	key := in.adminKey()
	require.True(t, strings.HasPrefix(key, "sbk_"))
	require.NotContains(t, in.logs.String(), key, "the admin key is never logged")
	require.Contains(t, in.logs.String(), filepath.Join(in.data, "admin.token"))
	s.stop()
	// A second start keeps the key.
	in.serve()
	require.Equal(t, key, in.adminKey())
}

// TestCLIAdministration runs the operator commands a user types.
func TestCLIAdministration(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeSlack(t)
			in := kind.new(t)
			if kind.name == "sqlite" {
				// Only serve and migrate create a store.
				_, err := in.cli("", "deploy", "slack")
				require.ErrorContains(t, err, "no Switchboard store in "+in.data)
				_, statErr := os.Stat(filepath.Join(in.data, "switchboard.db"))
				require.True(t, os.IsNotExist(statErr), "nothing was created")
			}
			in.mustCLI("", "migrate")
			out := in.mustCLI("", "deploy", "slack")
			require.Contains(t, out, "deployed slack 1.0.0 (from the builtin manifest)")
			require.Contains(t, out, "slack_send_message")
			require.Contains(t, out, "not configured yet: switchboard config set slack botToken")

			// The secret comes from standard input, never the command line.
			out = in.mustCLI(slackToken+"\n", "config", "set", "slack", "baseUrl="+fake.URL+"/api", "botToken")
			require.Contains(t, out, "slack is configured")
			require.NotContains(t, out, slackToken)

			_, err := in.cli("", "config", "set", "slack", "botToken")
			require.ErrorContains(t, err, "standard input held no value for botToken")
			_, err = in.cli("", "config", "set", "slack", "nope=1")
			require.ErrorContains(t, err, `slack has no config property "nope"`)

			key := in.adminKey()
			call := in.withEnv("SWITCHBOARD_TOKEN=" + key)
			out = call.mustCLI("", "call", "slack", "send_message", `{"channel":"C1","text":"from cli"}`)
			require.Contains(t, out, `"ok": true`)
			require.Equal(t, "Bearer "+slackToken, fake.last(t).Auth)
			_, err = call.cli("", "call", "slack", "send_message", `{"channel":"C1"}`)
			require.ErrorContains(t, err, "/text: required")

			out = in.mustCLI("", "vault", "rotate")
			require.Contains(t, out, "vault key version 2 is current")
			out = call.mustCLI("", "call", "slack", "send_message", `{"channel":"C1","text":"after rotate"}`)
			require.Contains(t, out, `"ok": true`)
			require.Equal(t, "Bearer "+slackToken, fake.last(t).Auth)

			// Flags may follow the arguments.
			out = in.mustCLI("", "config", "show", "slack", "--log-format", "json")
			require.Contains(t, out, "botToken")
			out = in.mustCLI("", "migrate")
			require.Contains(t, out, "migrations are current")
			out = in.mustCLI("", "version")
			require.True(t, strings.HasPrefix(out, "switchboard "))

			out = in.mustCLI("", "undeploy", "slack")
			require.Contains(t, out, "its config is kept")
			out = in.mustCLI("", "deploy", "slack")
			require.NotContains(t, out, "not configured", "redeploy restores config")
			in.mustCLI("", "undeploy", "--purge", "slack")
			out = in.mustCLI("", "deploy", "slack")
			require.Contains(t, out, "not configured yet", "purge deleted config and secret")

			manifest := filepath.Join(t.TempDir(), "manifest.json")
			require.NoError(t, os.WriteFile(manifest, []byte(docSlack("docs")), 0o600))
			out = in.mustCLI("", "deploy", "--file", manifest)
			require.Contains(t, out, "deployed docs 1.0.0")

			_, err = in.cli("", "deploy", "nope")
			require.ErrorContains(t, err, `integration "nope" is not in the catalog`)
		})
	}
}

// TestCatalogFolders covers --catalog: a folder replaces a built-in, two
// folders with one app id stop the start naming both.
func TestCatalogFolders(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	write := func(dir, raw string) {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(raw), 0o644))
	}
	write(filepath.Join(a, "slack"), strings.Replace(docSlack("slack"), `"1.0.0"`, `"9.9.9"`, 1))
	write(filepath.Join(b, "dup"), docSlack("slack"))

	in := newInstance(t)
	in.mustCLI("", "migrate")
	out := in.mustCLI("", "deploy", "--catalog", a, "slack")
	require.Contains(t, out, "deployed slack 9.9.9")

	_, err := in.cli("", "deploy", "--catalog", a, "--catalog", b, "slack")
	require.ErrorContains(t, err, filepath.Join(a, "slack", "manifest.json"))
	require.ErrorContains(t, err, filepath.Join(b, "dup", "manifest.json"))
}

// TestSecretChangeReachesRunningServer: a secret replaced by a CLI process
// is used by a running server within a second, whatever it cached.
func TestSecretChangeReachesRunningServer(t *testing.T) {
	t.Parallel()
	fake := newFakeSlack(t)
	in := newInstance(t)
	s := in.serve()
	setupSlack(t, s, fake)
	status, body := s.api("POST", "/api/v1/integrations/slack/actions/send_message", `{"channel":"C1","text":"a"}`)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "Bearer "+slackToken, fake.last(t).Auth)

	const next = "xoxb-rotated-by-the-cli"
	in.mustCLI(next+"\n", "config", "set", "slack", "botToken")
	waitFor(t, "the server to use the new token", func() bool {
		status, _ := s.api("POST", "/api/v1/integrations/slack/actions/send_message", `{"channel":"C1","text":"b"}`)
		return status == 200 && fake.last(t).Auth == "Bearer "+next
	})
}

// TestLostDatabaseRefuses: an emptied database next to its master key is
// refused, not silently replaced by a new installation.
func TestLostDatabaseRefuses(t *testing.T) {
	t.Parallel()
	in := newInstance(t)
	in.mustCLI("", "migrate")
	key := in.adminKey()
	require.NoError(t, os.Truncate(filepath.Join(in.data, "switchboard.db"), 0))
	_, err := in.cli("", "serve", "--addr", freePort(t))
	require.ErrorContains(t, err, "is empty but")
	require.Equal(t, key, in.adminKey(), "the admin key file is untouched")
}

// TestTokenWhitespaceAndCatalogErrors: a key pasted with a newline works;
// a bad catalog file is named in the error.
func TestTokenWhitespaceAndCatalogErrors(t *testing.T) {
	t.Parallel()
	in := newInstance(t)
	in.mustCLI("", "migrate")
	in.mustCLI("", "deploy", "slack")
	_, err := in.withEnv("SWITCHBOARD_TOKEN="+in.adminKey()+"\n").cli("", "call", "slack", "send_message", `{}`)
	require.ErrorContains(t, err, "/channel: required", "authenticated, then refused for its input")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{\n"), 0o644))
	_, err = in.cli("", "deploy", "--catalog", dir, "slack")
	require.ErrorContains(t, err, filepath.Join(dir, "manifest.json"))
}
