package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/docs"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/httpapi"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/mcp"
)

// shutdownTimeout bounds how long serve drains calls after a signal.
const shutdownTimeout = 30 * time.Second

func cmdServe(ctx context.Context, e *env, args []string) error {
	var cfg config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&cfg.addr, "addr", envOr(e, "SWITCHBOARD_ADDR", DefaultAddr),
		"address to listen on (SWITCHBOARD_ADDR)")
	if v := e.getenv("SWITCHBOARD_CORS_ORIGIN"); v != "" {
		cfg.corsOrigins = strings.Fields(v)
	}
	fs.Var(listFlag{&cfg.corsOrigins}, "cors-origin",
		"let browser apps of this origin call the API, e.g. https://app.example.com "+
			"(repeatable; SWITCHBOARD_CORS_ORIGIN, space-separated)")
	check := storeFlags(fs, e, &cfg)
	args, err := parseFlags(fs, args, check)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("serve takes no arguments, got %q", args)
	}
	cfg.server = true
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, e, log, true)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx)
}

// surfaces builds the MCP server and the HTTP handler that serves REST and
// MCP over HTTP, both on exec.
func (a *app) surfaces(exec *executor.Executor) (*mcp.Server, http.Handler, error) {
	m, err := mcp.New(mcp.Config{Registry: installed{a.registry, a.changed},
		Executor: exec, Policy: a.rbac, Logger: a.log, Version: version(), Events: a.hooks})
	if err != nil {
		return nil, nil, err
	}
	api, err := httpapi.New(httpapi.Config{
		Registry: a.registry, Executor: exec, Authenticator: a.auth,
		Authorizer: a.rbac, Roles: a.rbac, Keys: a.auth, Audit: auditLog{a.store},
		Auditor: a.audit,
		MCP:     m.StreamableHTTP(), SSE: m.SSE(),
		Ready: a.ready, Logger: a.log, ManifestSchema: docs.ManifestSchema,
		CORSOrigins: a.cfg.corsOrigins, Connections: a.creds, ReturnTo: a.cfg.returnTo,
		Delegations: a.dlg,
		Webhooks:    a.hooks,
	})
	if err != nil {
		return nil, nil, err
	}
	return m, api.Handler(), nil
}

func (a *app) serve(ctx context.Context) error {
	m, handler, err := a.surfaces(a.exec)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.follow(bg) })
	wg.Go(func() { m.Run(bg) })
	wg.Go(func() { a.hooks.Run(bg) })
	defer func() { stopBG(); wg.Wait() }()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.log.InfoContext(ctx, "listening", slog.String(logkey.Addr, ln.Addr().String()),
		slog.String(logkey.Version, version()))

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down: draining calls")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	m.CloseStreams(sctx)
	a.hooks.Shutdown()
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("drain timed out; closing connections", slog.Any(logkey.Err, err))
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	a.log.Info("stopped")
	return nil
}

// auditLog lists audit entries for the REST API.
type auditLog struct{ store audit.Store }

func (l auditLog) List(ctx context.Context, q audit.Query) (audit.Page, error) {
	return audit.List(ctx, l.store, q)
}
