package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// operatorChain is the audit chain of one-shot commands.
const operatorChain = "operator"

// openForCommand parses the store flags of an administrative command and
// opens the store. Its logs go to standard error at warn level unless
// asked otherwise, so that the command's own output stays readable.
func openForCommand(ctx context.Context, e *env, name string, args []string,
	extra func(fs *flag.FlagSet)) (*app, []string, error) {
	// Only migrate may create a store; the others need one.
	create := name == "migrate"
	// One-shot commands share one audit chain, so that none of their
	// entries is a chain of its own that could vanish whole.
	cfg := config{auditChain: operatorChain}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	check := storeFlags(fs, e, &cfg)
	if e.getenv("SWITCHBOARD_LOG_LEVEL") == "" {
		fs.Lookup("log-level").DefValue = "warn"
		_ = fs.Set("log-level", "warn")
	}
	if extra != nil {
		extra(fs)
	}
	pos, err := parseFlags(fs, args, check)
	if err != nil {
		return nil, nil, err
	}
	a, err := openApp(ctx, cfg, e, newLogger(cfg, e.stderr), create)
	if err != nil {
		return nil, nil, err
	}
	return a, pos, nil
}

// arg returns args[i], or "" when there are fewer.
func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func cmdDeploy(ctx context.Context, e *env, args []string) error {
	var file string
	a, args, err := openForCommand(ctx, e, "deploy", args, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "file", "", "upload this manifest.json to the catalog first")
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), "Usage: switchboard deploy [flags] <integration id>\n"+
				"       switchboard deploy [flags] --file manifest.json")
			fs.PrintDefaults()
		}
	})
	if err != nil {
		return err
	}
	defer a.close()
	id := arg(args, 0)
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		entry, err := a.registry.Upload(ctx, raw)
		if err != nil {
			return err
		}
		for _, w := range entry.Warnings {
			fmt.Fprintf(e.stderr, "warning: %s\n", w)
		}
		if id != "" && id != entry.Manifest.AppID {
			return usagef("%s holds %q, not %q", file, entry.Manifest.AppID, id)
		}
		id = entry.Manifest.AppID
	}
	if id == "" || len(args) > 1 {
		return usagef("usage: switchboard deploy <integration id> (or --file manifest.json)")
	}
	entry, err := a.registry.CatalogEntry(ctx, id)
	if err != nil {
		return err
	}
	in, err := a.registry.Deploy(ctx, id)
	if err != nil {
		return err
	}
	tools := make([]string, 0, len(in.Actions))
	for _, act := range in.Actions {
		tools = append(tools, act.Tool)
	}
	from := entry.Source
	if entry.Source == registry.SourceFolder {
		from += " " + entry.Location
	}
	fmt.Fprintf(e.stdout, "deployed %s %s (from the %s manifest)\n", id, in.Manifest.Version, from)
	if len(tools) > 0 {
		fmt.Fprintf(e.stdout, "tools: %s\n", strings.Join(tools, ", "))
	}
	if !in.Configured() {
		fmt.Fprintf(e.stdout, "not configured yet: switchboard config set %s %s\n",
			id, strings.Join(in.Missing, " "))
	}
	if l, ok, err := a.hooks.Provision(ctx, in); err != nil {
		return err
	} else if ok {
		fmt.Fprintf(e.stdout, "webhook URL (give it to the service; keep it private): %s\n", l.URL)
	}
	return nil
}

func cmdUndeploy(ctx context.Context, e *env, args []string) error {
	var purge bool
	a, args, err := openForCommand(ctx, e, "undeploy", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&purge, "purge", false,
			"also delete its config, uploaded manifest and the secrets no other integration uses")
	})
	if err != nil {
		return err
	}
	defer a.close()
	if len(args) != 1 {
		return usagef("usage: switchboard undeploy [--purge] <integration id>")
	}
	id := arg(args, 0)
	if err := a.registry.Undeploy(ctx, id, purge); err != nil {
		return err
	}
	if purge {
		fmt.Fprintf(e.stdout, "undeployed %s and purged its data\n", id)
	} else {
		fmt.Fprintf(e.stdout, "undeployed %s; its config is kept for a redeploy\n", id)
	}
	return nil
}

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	a, args, err := openForCommand(ctx, e, "migrate", args, nil)
	if err != nil {
		return err
	}
	defer a.close()
	if len(args) > 0 {
		return usagef("migrate takes no arguments")
	}
	// Opening the store applied any pending migration.
	ok, err := a.store.MigrationsCurrent(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return switchboard.Errorf(switchboard.CodeInternal, "migrations are not current after migrating")
	}
	fmt.Fprintln(e.stdout, "migrations are current")
	return nil
}

func cmdVault(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return usagef("usage: switchboard vault rotate")
	}
	a, args, err := openForCommand(ctx, e, "vault rotate", args[1:], nil)
	if err != nil {
		return err
	}
	defer a.close()
	if len(args) > 0 {
		return usagef("vault rotate takes no arguments")
	}
	v, n, err := a.vault.Rotate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "vault key version %d is current; %d values re-wrapped\n", v, n)
	return nil
}
