// Command switchboard runs Switchboard: the server (serve), an MCP server on
// standard input and output (mcp), and the administrative commands that act
// on the store directly as the operator.
//
// Run `switchboard help` for the commands and their flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{getenv: os.Getenv, stdin: os.Stdin,
		stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// env is what a command may touch of its process: the environment and the
// standard streams. Tests run commands in-process with their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server: REST, MCP over streamable HTTP and SSE", cmdServe},
		{"mcp", "serve MCP on standard input and output, as SWITCHBOARD_TOKEN", cmdMCP},
		{"deploy", "deploy an integration of the catalog (or a manifest file)", cmdDeploy},
		{"undeploy", "undeploy an integration, keeping its config unless --purge", cmdUndeploy},
		{"config", "show or set an integration's config: config show|set", cmdConfig},
		{"call", "call an action as SWITCHBOARD_TOKEN", cmdCall},
		{"delegate", "let an agent act for the user of SWITCHBOARD_TOKEN: delegate --agent --scope --ttl", cmdDelegate},
		{"keys", "create, list and revoke API keys: keys create|list|revoke", cmdKeys},
		{"roles", "manage roles and who has them: roles list|create|update|delete|assign|revoke|assignments", cmdRoles},
		{"permissions", "show what a principal may do, or every permission there is", cmdPermissions},
		{"principals", "offboard a principal: principals delete", cmdPrincipals},
		{"audit", "export and verify the audit log: audit export|verify", cmdAudit},
		{"migrate", "apply the store's migrations", cmdMigrate},
		{"vault", "manage the vault: vault rotate", cmdVault},
		{"version", "print the version", cmdVersion},
	}
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		// Whatever a command changes is audited as the operator's, unless a
		// surface inside it (a request to serve, a call) says otherwise.
		ctx := audit.WithOrigin(ctx, audit.Origin{
			Actor: switchboard.Operator.String(), Surface: audit.SurfaceCLI})
		err := c.run(ctx, e, args[1:])
		if err == nil {
			return 0
		}
		reportError(e.stderr, err)
		if isUsage(err) {
			return 2
		}
		return 1
	}
	fmt.Fprintf(e.stderr, "switchboard: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: switchboard <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'switchboard <command> -h' for a command's flags.")
}
