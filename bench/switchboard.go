package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// switchboardPkg is built when -switchboard names no binary.
const switchboardPkg = "github.com/switchboard-dev/switchboard/cmd/switchboard"

// passEnv are variables of this process that reach Switchboard, so that a
// run can tune its runtime; nothing else of the environment does.
var passEnv = []string{"PATH", "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"}

// switchboardServer is a running `switchboard serve` with Slack deployed.
type switchboardServer struct {
	*proc
	url     string
	key     string // the admin key, from <data>/admin.token
	dataDir string // its SWITCHBOARD_DATA
	logPath string
	client  *http.Client // for REST: no proxy, loopback only
}

// startSwitchboard serves bin as name, with its data directory and its
// default (info) logging, to a file, in dir. env adds to its environment,
// e.g. the store of a replica. It returns once Switchboard is healthy.
func startSwitchboard(ctx context.Context, g *group, bin, dir, name string, env ...string) (
	*switchboardServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--allow-private-network")
	s := &switchboardServer{url: "http://" + addr, dataDir: filepath.Join(dir, name+"-data"),
		logPath: filepath.Join(dir, name+".log"),
		client:  &http.Client{Transport: &http.Transport{Proxy: nil}}}
	cmd.Env = append([]string{"SWITCHBOARD_DATA=" + s.dataDir, "HOME=" + dir}, env...)
	for _, v := range passEnv {
		if val, ok := os.LookupEnv(v); ok {
			cmd.Env = append(cmd.Env, v+"="+val)
		}
	}
	if s.proc, err = g.start(name, cmd, s.logPath); err != nil {
		return nil, err
	}
	return s, s.waitHealthy(ctx)
}

// readAdminKey reads the administrator's key that Switchboard wrote to its
// data directory when it created the store.
func (s *switchboardServer) readAdminKey() error {
	key, err := os.ReadFile(filepath.Join(s.dataDir, "admin.token"))
	if err != nil {
		return fmt.Errorf("read admin key of %s: %w", s.name, err)
	}
	s.key = strings.TrimSpace(string(key))
	return nil
}

// buildSwitchboard builds Switchboard into dir unless bin names a binary,
// and returns the binary to run.
func buildSwitchboard(ctx context.Context, dir, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	bin = filepath.Join(dir, "switchboard")
	return bin, build(ctx, bin)
}

func build(ctx context.Context, out string) error {
	fmt.Fprintln(os.Stderr, "bench: building switchboard")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, switchboardPkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build switchboard: %w", err)
	}
	return nil
}

// waitHealthy polls /healthz until it answers 200.
func (s *switchboardServer) waitHealthy(ctx context.Context) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if s.exited() {
			return fmt.Errorf("%s exited at start; see %s", s.name, s.logPath)
		}
		if s.request(ctx, http.MethodGet, "/healthz", "") == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not healthy within %s; see %s", s.name, startTimeout, s.logPath)
}

// deploySlack deploys Slack from the built-in catalog and points it at
// upstream, as an administrator would over REST.
func (s *switchboardServer) deploySlack(ctx context.Context, upstream string) error {
	err := s.request(ctx, http.MethodPost, "/api/v1/integrations/catalog/slack/deploy", "")
	if err != nil {
		return fmt.Errorf("deploy slack: %w", err)
	}
	cfg, err := json.Marshal(map[string]string{
		"botToken": upstreamToken, "baseUrl": upstream + "/api",
	})
	if err != nil {
		return fmt.Errorf("encode slack config: %w", err)
	}
	if err := s.request(ctx, http.MethodPut, "/api/v1/integrations/slack/config",
		string(cfg)); err != nil {
		return fmt.Errorf("configure slack: %w", err)
	}
	return nil
}

// request sends a REST request with the admin key and wants a 200.
func (s *switchboardServer) request(ctx context.Context, method, path, body string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if s.key != "" {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return nil
}

// logSize is how many bytes and lines Switchboard has logged.
func (s *switchboardServer) logSize() (size int64, lines int) {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return 0, 0
	}
	return int64(len(b)), strings.Count(string(b), "\n")
}
