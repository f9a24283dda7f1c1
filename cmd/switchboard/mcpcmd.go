package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"sync"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/mcp"
)

func cmdMCP(ctx context.Context, e *env, args []string) error {
	var cfg config
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	check := storeFlags(fs, e, &cfg)
	args, err := parseFlags(fs, args, check)
	if err != nil {
		return err
	}
	// A key pasted with a newline or spaces around it is still the key.
	token := strings.TrimSpace(e.getenv("SWITCHBOARD_TOKEN"))
	if token == "" {
		return errors.New("SWITCHBOARD_TOKEN is not set: give the MCP client a Switchboard key " +
			"(the first one is in <data>/admin.token) in its environment")
	}
	// Standard output carries the protocol; logs go to standard error.
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, e, log, false)
	if err != nil {
		return err
	}
	defer a.close()
	if _, err := a.auth.Authenticate(ctx, token); err != nil {
		log.WarnContext(ctx, "SWITCHBOARD_TOKEN is not valid; every call will be refused",
			slog.String(logkey.Code, string(switchboard.ErrorCode(err))))
	}
	m, err := mcp.New(mcp.Config{
		Registry: installed{a.registry, a.changed}, Executor: a.exec, Policy: a.rbac,
		Logger: log, Version: version(), Events: a.hooks,
		// The token is checked on every request, so revoking it takes
		// effect at once.
		Caller: func(ctx context.Context) (context.Context, switchboard.Principal, error) {
			c, err := a.auth.AuthenticateRequest(ctx, token)
			if err != nil {
				return ctx, switchboard.Principal{}, err
			}
			return identity.NewCallerContext(ctx, c), c.Principal, nil
		},
	})
	if err != nil {
		return err
	}
	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.follow(bg) })
	wg.Go(func() { m.Run(bg) })
	err = m.ServeStdio(ctx, e.stdin, e.stdout)
	stop()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
