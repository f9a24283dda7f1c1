package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// Registry is what the MCP server reads of the installed set.
type Registry interface {
	Snapshot() *registry.Snapshot
	Subscribe() (<-chan struct{}, func())
}

// Executor runs calls.
type Executor interface {
	Call(ctx context.Context, c executor.Call) (executor.Result, error)
}

// Policy decides which tools a caller sees: those it may call.
type Policy interface {
	Allowed(ctx context.Context, p switchboard.Principal, key string) bool
	// Generation changes whenever what callers may do may have changed.
	Generation() uint64
}

// Config configures a [Server]. Registry and Executor are required.
type Config struct {
	Registry Registry
	Executor Executor
	// Policy filters tools/list and list_integrations per caller; nil shows
	// every tool to every caller. Calls are authorized by the executor
	// either way.
	Policy Policy
	// Caller returns who makes a request, and ctx carrying what
	// authorization reads of it (identity.NewCallerContext: claimed roles,
	// a delegation). The default reads the caller the HTTP layer
	// authenticated; stdio sets one that checks SWITCHBOARD_TOKEN on every
	// request.
	Caller func(ctx context.Context) (context.Context, switchboard.Principal, error)
	// Events serves the list_events tool; nil leaves it out.
	Events  Events
	Logger  *slog.Logger
	Version string
}

// Server is the MCP server of one process.
type Server struct {
	reg    Registry
	exec   Executor
	policy Policy
	caller func(ctx context.Context) (context.Context, switchboard.Principal, error)
	events Events
	log    *slog.Logger
	mcp    *mcpserver.MCPServer

	syncMu     sync.Mutex
	digest     [32]byte
	generation uint64
	// synced is the change feed position of the snapshot last synced.
	synced atomic.Int64

	http     *mcpserver.StreamableHTTPServer
	sse      *mcpserver.SSEServer
	sessions *sessions
}

// New returns a Server with the current installed set's tools.
func New(cfg Config) (*Server, error) {
	if cfg.Registry == nil || cfg.Executor == nil {
		return nil, errors.New("mcp: Registry and Executor are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Caller == nil {
		cfg.Caller = callerFromContext
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{reg: cfg.Registry, exec: cfg.Executor, policy: cfg.Policy,
		caller: cfg.Caller, events: cfg.Events, log: cfg.Logger}
	hooks := &mcpserver.Hooks{}
	// A request made right after a change this process made (a deploy
	// over REST) must not find the old tool set: it syncs first when the
	// installed set moved since the last sync.
	hooks.AddBeforeListTools(func(ctx context.Context, _ any, _ *mcpgo.ListToolsRequest) {
		s.catchUp(ctx)
	})
	hooks.AddBeforeCallTool(func(ctx context.Context, _ any, _ *mcpgo.CallToolRequest) {
		s.catchUp(ctx)
	})
	hooks.AddAfterListTools(s.filterTools)
	s.mcp = mcpserver.NewMCPServer("switchboard", cfg.Version,
		mcpserver.WithHooks(hooks),
		mcpserver.WithToolCapabilities(true),
		mcpserver.WithInstructions(serverInstructions),
		// Tool lists will differ per caller: never share a cached list.
		mcpserver.WithMethodCacheHints(mcpgo.MethodToolsList, 0, mcpgo.CacheScopePrivate),
		mcpserver.WithRecovery(),
	)
	s.sessions = newSessions()
	s.http = mcpserver.NewStreamableHTTPServer(s.mcp,
		mcpserver.WithStreamableHTTPLogger(s.log),
		mcpserver.WithSessionIdManagerResolver(s.sessions))
	s.sse = mcpserver.NewSSEServer(s.mcp,
		mcpserver.WithSSEEndpoint("/sse"),
		mcpserver.WithMessageEndpoint("/message"),
		mcpserver.WithUseFullURLForMessageEndpoint(false),
		mcpserver.WithSessionIDGenerator(func(ctx context.Context, _ *http.Request) (string, error) {
			return s.sessions.id(identity.FromContext(ctx)), nil
		}))
	s.sync(context.Background())
	return s, nil
}

const serverInstructions = "Switchboard connects you to external services. " +
	"Call list_integrations to see the installed integrations, their actions and " +
	"instructions. Each action is also a tool of its own; call_integration runs any " +
	"action by integration id and action id."

func callerFromContext(ctx context.Context) (context.Context, switchboard.Principal, error) {
	p := identity.FromContext(ctx)
	if p.IsZero() {
		return ctx, p, switchboard.Errorf(switchboard.CodeUnauthenticated, "a bearer token is required")
	}
	return ctx, p, nil
}

// Run keeps the tool list in step with the registry until ctx ends.
func (s *Server) Run(ctx context.Context) {
	signals, cancel := s.reg.Subscribe()
	defer cancel()
	s.sync(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			s.sync(ctx)
		}
	}
}

// sync replaces the tool set when the installed set changed it; mcp-go then
// sends notifications/tools/list_changed to every client.
func (s *Server) sync(ctx context.Context) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	snap := s.reg.Snapshot()
	s.synced.Store(snap.Change)
	tools := s.tools(snap)
	h := sha256.New()
	for _, t := range tools {
		b, _ := json.Marshal(t.Tool)
		h.Write(b)
	}
	var digest [32]byte
	h.Sum(digest[:0])
	var generation uint64
	if s.policy != nil {
		generation = s.policy.Generation()
	}
	switch {
	case digest != s.digest:
		s.digest, s.generation = digest, generation
		s.mcp.SetTools(tools...)
		s.log.InfoContext(ctx, "mcp tools updated", slog.Int(logkey.Count, len(tools)))
	case generation != s.generation:
		// Same tools, but who may call them changed: every client lists
		// again and sees its own.
		s.generation = generation
		s.mcp.SendNotificationToAllClients(mcpgo.MethodNotificationToolsListChanged, nil)
	}
}

// catchUp syncs the tool set when the installed set moved since the last
// sync; it costs one atomic read otherwise.
func (s *Server) catchUp(ctx context.Context) {
	if s.reg.Snapshot().Change != s.synced.Load() {
		s.sync(ctx)
	}
}

// allowed reports whether caller may call act.
func (s *Server) allowed(ctx context.Context, caller switchboard.Principal, act *registry.Action) bool {
	return s.policy == nil || s.policy.Allowed(ctx, caller, act.Permission)
}

// filterTools leaves in a tools/list result the built-in tools and the
// actions the caller may call. A caller that is not authenticated sees the
// built-in tools only; calling them tells it why nothing else is there.
func (s *Server) filterTools(ctx context.Context, _ any, _ *mcpgo.ListToolsRequest,
	res *mcpgo.ListToolsResult) {
	if res == nil {
		return
	}
	ctx, caller, err := s.caller(ctx)
	snap := s.reg.Snapshot()
	kept := res.Tools[:0]
	for _, t := range res.Tools {
		if t.Name == toolListEvents {
			if err == nil && s.mayListEvents(ctx, caller, snap) {
				kept = append(kept, t)
			}
			continue
		}
		act := snap.Tool(t.Name)
		if act == nil || err == nil && s.allowed(ctx, caller, act) {
			kept = append(kept, t)
		}
	}
	res.Tools = kept
}

// StreamableHTTP returns the streamable HTTP transport, for /mcp. The caller
// authenticates requests before they reach it.
func (s *Server) StreamableHTTP() http.Handler { return s.http }

// SSE returns the HTTP+SSE transport, serving /sse and /message. The caller
// authenticates requests before they reach it.
func (s *Server) SSE() http.Handler { return s.sessions.guardSSE(s.sse) }

// CloseStreams ends every open notification stream of the HTTP transports,
// so that a server shutting down is not held open by idle clients.
func (s *Server) CloseStreams(ctx context.Context) {
	s.http.CloseSessions(ctx)
	s.sse.CloseSessions()
}

// ServeStdio serves one client on in and out until in ends or ctx does.
// Nothing else may write to out.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	std := mcpserver.NewStdioServer(s.mcp)
	std.SetErrorLogger(slog.NewLogLogger(s.log.Handler(), slog.LevelError))
	return std.Listen(ctx, in, out)
}
