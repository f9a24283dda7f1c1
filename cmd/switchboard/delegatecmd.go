package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/delegation"
)

const delegateUsage = `usage: switchboard delegate --agent agent:ID --scope "KEY [KEY...]" [--ttl 15m] [--json]
       switchboard delegate rotate-key

The first form issues a delegation token: the user of SWITCHBOARD_TOKEN lets
the agent act for them, within the scope (permission keys the user holds,
such as integration:slack:send_message), for the ttl. It prints the token,
which is shown only once; with --json, the token with its id and expiry.

rotate-key makes a new signing key for delegation tokens, as the operator;
tokens signed by the old key stay valid until they expire.`

func cmdDelegate(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "rotate-key" {
		return rotateDelegationKey(ctx, e, args[1:])
	}
	var agent, scope, ttl string
	var asJSON bool
	a, pos, err := openForCommand(ctx, e, "delegate", args, func(fs *flag.FlagSet) {
		fs.StringVar(&agent, "agent", "", "the agent that will act (agent:ID)")
		fs.StringVar(&scope, "scope", "", "the permission keys it may use, separated by spaces or commas")
		fs.StringVar(&ttl, "ttl", "", "the token's lifetime, such as 15m (default 15m)")
		fs.BoolVar(&asJSON, "json", false, "print the token with its id and expiry as JSON")
	})
	if err != nil {
		return err
	}
	defer a.close()
	if len(pos) != 0 {
		return usagef("%s", delegateUsage)
	}
	token := strings.TrimSpace(e.getenv("SWITCHBOARD_TOKEN"))
	if token == "" {
		return errors.New("SWITCHBOARD_TOKEN is not set: delegate issues a token for the user " +
			"of a Switchboard key or login token")
	}
	c, err := a.auth.AuthenticateRequest(ctx, token)
	switch {
	case err != nil:
		return err
	case c.Delegation != nil:
		return errors.New("SWITCHBOARD_TOKEN is a delegation token: a delegation cannot be " +
			"delegated further; use the user's own key")
	}
	p, err := switchboard.ParsePrincipal(agent)
	if agent == "" || err != nil {
		return usagef("--agent: want agent:ID, not %q", agent)
	}
	d, err := delegation.ParseTTL("--ttl", ttl)
	if err != nil {
		return err
	}
	ctx = audit.WithOrigin(ctx, audit.Origin{Actor: c.Principal.String(), Surface: audit.SurfaceCLI})
	issued, err := a.dlg.Issue(ctx, delegation.Request{User: c.Principal, UserRoles: c.Roles,
		Agent: p, Scope: strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == ',' }),
		TTL: d, Via: delegation.ViaCLI})
	if err != nil {
		return err
	}
	for _, w := range issued.Warnings {
		fmt.Fprintln(e.stderr, "switchboard: warning:", w)
	}
	if asJSON {
		b, err := json.MarshalIndent(issued, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	}
	_, err = fmt.Fprintln(e.stdout, issued.Token)
	return err
}

func rotateDelegationKey(ctx context.Context, e *env, args []string) error {
	a, pos, err := openForCommand(ctx, e, "delegate rotate-key", args, nil)
	if err != nil {
		return err
	}
	defer a.close()
	if len(pos) != 0 {
		return usagef("%s", delegateUsage)
	}
	k, err := a.dlg.RotateKey(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "delegation signing key %s now signs new tokens; "+
		"older tokens stay valid until they expire\n", k.ID)
	return err
}
