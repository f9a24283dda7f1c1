package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"

	"github.com/switchboard-dev/switchboard/audit"
)

const auditUsage = `usage: switchboard audit export [--actor P] [--integration ID] [--action ID]
                              [--outcome ok|denied|error] [--since T] [--until T]
       switchboard audit verify

export writes the matching entries as JSON Lines, oldest first; times are
RFC 3339. verify checks every writer's hash chain and exits 1 at the first
edited, missing or reordered entry.`

func cmdAudit(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("%s", auditUsage)
	}
	filters := url.Values{}
	a, pos, err := openForCommand(ctx, e, "audit "+args[0], args[1:], func(fs *flag.FlagSet) {
		for _, name := range []string{"actor", "integration", "action", "outcome", "since", "until"} {
			fs.Func(name, "only entries with this "+name, func(v string) error {
				filters.Set(name, v)
				return nil
			})
		}
	})
	if err != nil {
		return err
	}
	defer a.close()
	if len(pos) > 0 {
		return usagef("%s", auditUsage)
	}
	switch args[0] {
	case "export":
		q, err := audit.ParseQuery(filters)
		if err != nil {
			return err
		}
		return audit.Export(ctx, a.store, q, e.stdout)
	case "verify":
		if len(filters) > 0 {
			return usagef("verify checks everything; it takes no filter")
		}
		return verifyAudit(ctx, e, a)
	}
	return usagef("%s", auditUsage)
}

func verifyAudit(ctx context.Context, e *env, a *app) error {
	r, err := audit.Verify(ctx, a.store, a.vault)
	if err != nil {
		return err
	}
	for _, h := range r.Heads {
		fmt.Fprintf(e.stdout, "chain %s: %d entries, head %s\n", h.Chain, h.LastSeq, h.LastHash)
	}
	for _, c := range r.Unauthenticated {
		fmt.Fprintf(e.stdout, "chain %s: head not authenticated (written before head MACs)\n", c)
	}
	if r.OK() {
		fmt.Fprintf(e.stdout, "audit verified: %d chains, %d entries, no problem\n", r.Chains, r.Entries)
		return nil
	}
	for _, p := range r.Problems {
		fmt.Fprintln(e.stdout, p.String())
	}
	return errors.New("audit verification failed: the log was changed outside Switchboard")
}
