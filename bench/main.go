// Command bench measures Switchboard's MCP tool calls side by side with a
// bare mcp-go server that does the same work: both answer a tool call by
// posting a message to one fake Slack upstream, and both are loaded by the
// same MCP client over streamable HTTP.
//
// The upstream, the bare server and Switchboard each run in a process of
// their own; this process only generates load and reports. With
// -database-url it measures instead one and two Switchboard replicas on a
// PostgreSQL database. Run it from the
// repository with `go run ./bench`; README.md says how to read the output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// upstreamToken is the bot token both servers send to the fake upstream. It
// is not a secret: every role of this binary knows it.
const upstreamToken = "xoxb-bench-0000"

// options are the command line.
type options struct {
	role        string // hidden: "", "upstream" or "bare"
	upstream    string // hidden: the upstream's URL, for the bare role
	sessions    []int
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	protocol    string
	switchboard string
	databaseURL string
	json        bool
}

// hiddenFlags are the flags a parent passes to the processes it starts.
var hiddenFlags = map[string]bool{"role": true, "upstream": true}

func main() { os.Exit(run()) }

func run() int {
	o, err := parseOptions(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch o.role {
	case "":
		return benchmark(ctx, o)
	case "upstream":
		err = serveRole(ctx, upstreamHandler())
	case "bare":
		err = serveRole(ctx, bareHandler(o.upstream))
	default:
		err = fmt.Errorf("unknown role %q", o.role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", o.role, err)
		return 1
	}
	return 0
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.role, "role", "", "role of a child process (internal)")
	fs.StringVar(&o.upstream, "upstream", "", "upstream URL of the bare role (internal)")
	sessions := fs.String("sessions", "1,16", "comma-separated numbers of concurrent MCP sessions")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each run")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "uncounted calls before each run")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every target at every concurrency")
	fs.StringVar(&o.protocol, "protocol", "2026-07-28", "MCP protocol version the client asks for")
	fs.StringVar(&o.switchboard, "switchboard", "",
		"switchboard binary to run (default: build ./cmd/switchboard)")
	fs.StringVar(&o.databaseURL, "database-url", "",
		"PostgreSQL URL (loopback): measure one and two Switchboard replicas on it "+
			"instead of the bare server and Switchboard on SQLite")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.sessions, err = parseSessions(*sessions); err != nil {
		return o, err
	}
	return o, o.check()
}

func usage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintln(out, "usage: go run ./bench [flags]")
	fs.VisitAll(func(f *flag.Flag) {
		if hiddenFlags[f.Name] {
			return
		}
		fmt.Fprintf(out, "  -%s\n    \t%s", f.Name, f.Usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(out, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(out)
	})
}

func parseSessions(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("-sessions: want numbers from 1 to 1000, not %q", part)
		}
		out = append(out, n)
	}
	return out, nil
}

func (o options) check() error {
	switch {
	case o.duration <= 0 || o.duration > time.Hour:
		return fmt.Errorf("-duration: want more than 0 and at most 1h, not %s", o.duration)
	case o.warmup < 0 || o.warmup > time.Hour:
		return fmt.Errorf("-warmup: want 0 to 1h, not %s", o.warmup)
	case o.rounds < 1 || o.rounds > 100:
		return fmt.Errorf("-rounds: want 1 to 100, not %d", o.rounds)
	case o.protocol == "":
		return errors.New("-protocol: want a protocol version such as 2025-11-25")
	case o.role == "bare" && !strings.HasPrefix(o.upstream, "http://127.0.0.1:"):
		return fmt.Errorf("-upstream: want a loopback URL, not %q", o.upstream)
	case o.databaseURL != "":
		return checkDatabaseURL(o.databaseURL)
	}
	return nil
}

// benchmark starts the upstream and the servers, measures them and prints
// the report. It returns the exit code: 1 when a call or the setup failed.
func benchmark(ctx context.Context, o options) int {
	dir, err := os.MkdirTemp("", "switchboard-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	var db *schema
	if o.databaseURL != "" {
		if db, err = createSchema(ctx, o.databaseURL); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	var procs group
	rep, err := setupAndMeasure(ctx, o, dir, db, &procs)
	procs.stopAll()
	if db != nil {
		if derr := db.drop(); derr != nil {
			fmt.Fprintln(os.Stderr, "bench:", derr)
		}
	}
	if (err != nil && ctx.Err() == nil) || (rep != nil && rep.Errors > 0) {
		fmt.Fprintln(os.Stderr, "bench: logs kept in", dir)
	} else {
		_ = os.RemoveAll(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := rep.print(os.Stdout, o.json); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if rep.Errors > 0 {
		return 1
	}
	return 0
}

// setupAndMeasure starts the upstream and the servers to compare: the bare
// server and Switchboard on SQLite, or, with db, Switchboard replicas on
// it. It checks that every server answers the tool, then measures.
func setupAndMeasure(ctx context.Context, o options, dir string, db *schema, procs *group) (
	*report, error) {
	_, upstream, err := procs.startSelf(ctx, dir, "upstream", "-role", "upstream")
	if err != nil {
		return nil, err
	}
	bin, err := buildSwitchboard(ctx, dir, o.switchboard)
	if err != nil {
		return nil, err
	}
	var targets []target
	var servers []*switchboardServer
	if db == nil {
		targets, servers, err = startDefault(ctx, dir, bin, upstream, procs)
	} else {
		servers, err = startReplicas(ctx, dir, bin, upstream, db, procs)
		if err == nil {
			targets = replicaTargets(servers)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if err := probe(ctx, t, o.protocol); err != nil {
			return nil, fmt.Errorf("%s is not answering tool calls: %w", t.Name, err)
		}
	}
	rep := newReport(o)
	if db != nil {
		rep.Switchboard.Schema = db.name[0]
	}
	if err := measureRounds(ctx, o, targets, rep); err != nil {
		return nil, err
	}
	rep.finish(servers...)
	return rep, nil
}

// startDefault starts the bare server and Switchboard on a fresh SQLite
// store with Slack deployed.
func startDefault(ctx context.Context, dir, bin, upstream string, procs *group) (
	[]target, []*switchboardServer, error) {
	bare, bareURL, err := procs.startSelf(ctx, dir, "bare", "-role", "bare",
		"-upstream", upstream)
	if err != nil {
		return nil, nil, err
	}
	sb, err := startSwitchboard(ctx, procs, bin, dir, "switchboard")
	if err != nil {
		return nil, nil, err
	}
	if err := sb.readAdminKey(); err != nil {
		return nil, nil, err
	}
	if err := sb.deploySlack(ctx, upstream); err != nil {
		return nil, nil, err
	}
	return []target{
		// The bare server ignores the key; sending one keeps both loads alike.
		{Name: "bare", URLs: []string{bareURL + "/mcp"}, Tool: "send_message", Key: "ignored",
			PIDs: []int{bare.pid()}},
		{Name: "switchboard", URLs: []string{sb.url + "/mcp"}, Tool: "slack_send_message",
			Key: sb.key, PIDs: []int{sb.pid()}},
	}, []*switchboardServer{sb}, nil
}
