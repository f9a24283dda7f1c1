package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
)

const callUsage = `usage: switchboard call <integration id> <action id> [input JSON | -]

Runs the action as the principal of SWITCHBOARD_TOKEN, exactly as a REST or
MCP call would, and prints its output. "-" reads the input from standard
input; no input is {}.`

func cmdCall(ctx context.Context, e *env, args []string) error {
	a, args, err := openForCommand(ctx, e, "call", args, nil)
	if err != nil {
		return err
	}
	defer a.close()
	if len(args) < 2 || len(args) > 3 {
		return usagef("%s", callUsage)
	}
	// A key pasted with a newline or spaces around it is still the key.
	token := strings.TrimSpace(e.getenv("SWITCHBOARD_TOKEN"))
	if token == "" {
		return errors.New("SWITCHBOARD_TOKEN is not set: call runs as the principal of a " +
			"Switchboard key (the first one is in <data>/admin.token)")
	}
	c, err := a.auth.AuthenticateRequest(ctx, token)
	if err != nil {
		return err
	}
	ctx = identity.NewCallerContext(ctx, c)
	caller := c.Principal
	input := []byte("{}")
	switch arg := arg(args, 2); arg {
	case "":
	case "-":
		if input, err = io.ReadAll(io.LimitReader(e.stdin, executor.MaxInputBytes+1)); err != nil {
			return fmt.Errorf("read input: %w", err)
		}
	default:
		input = []byte(arg)
	}
	res, err := a.exec.Call(ctx, executor.Call{Caller: caller, Integration: arg(args, 0),
		Action: arg(args, 1), Input: input, Surface: executor.SurfaceCLI})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if json.Indent(&out, res.Output, "", "  ") != nil {
		out.Reset()
		out.Write(res.Output)
	}
	out.WriteByte('\n')
	_, err = e.stdout.Write(out.Bytes())
	return err
}
