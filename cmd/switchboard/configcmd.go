package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

const configUsage = `usage: switchboard config show <integration id>
       switchboard config set <integration id> name=value... [secretName...]

A name without "=value" is read from standard input, or prompted for without
echo at a terminal, so that a secret never has to appear on a command line.
An empty value deletes the property.`

func cmdConfig(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("%s", configUsage)
	}
	switch args[0] {
	case "show":
		return configShow(ctx, e, args[1:])
	case "set":
		return configSet(ctx, e, args[1:])
	}
	return usagef("%s", configUsage)
}

func configShow(ctx context.Context, e *env, args []string) error {
	a, args, err := openForCommand(ctx, e, "config show", args, nil)
	if err != nil {
		return err
	}
	defer a.close()
	if len(args) != 1 {
		return usagef("%s", configUsage)
	}
	in := a.registry.Snapshot().Integration(arg(args, 0))
	if in == nil {
		return switchboard.Errorf(switchboard.CodeNotFound, "integration %q is not deployed", arg(args, 0))
	}
	printConfigStatus(e.stdout, in)
	return nil
}

func printConfigStatus(w io.Writer, in *registry.Integration) {
	d := in.Describe(nil)
	for _, p := range d.Config {
		kind, state := "plain ", "unset"
		if p.Secret {
			kind = "secret"
		}
		if p.Set {
			state = "set"
		}
		fmt.Fprintf(w, "%-24s %s  %s\n", p.Name, kind, state)
	}
	if d.Configured {
		fmt.Fprintf(w, "%s is configured\n", d.ID)
	} else {
		fmt.Fprintf(w, "%s is not configured: set %s\n", d.ID, strings.Join(d.Missing, ", "))
	}
}

func configSet(ctx context.Context, e *env, args []string) error {
	a, args, err := openForCommand(ctx, e, "config set", args, nil)
	if err != nil {
		return err
	}
	defer a.close()
	if len(args) < 2 {
		return usagef("%s", configUsage)
	}
	id := arg(args, 0)
	in := a.registry.Snapshot().Integration(id)
	if in == nil {
		return switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed: run switchboard deploy %s first", id, id)
	}
	values, err := configValues(e, id, in.Manifest.ConfigSchema, args[1:])
	if err != nil {
		return err
	}
	in, err = a.registry.Configure(ctx, id, values)
	if err != nil {
		return err
	}
	printConfigStatus(e.stdout, in)
	return nil
}

// configValues turns name=value arguments into JSON values, typed by the
// property's schema: a string property takes the text as is, any other
// reads it as JSON. Names without a value are read as secrets.
func configValues(e *env, id string, cs *registry.ConfigSchema, args []string) (map[string]json.RawMessage, error) {
	values := map[string]json.RawMessage{}
	var fromInput []string
	for _, arg := range args {
		name, text, hasValue := strings.Cut(arg, "=")
		p, ok := cs.Property(name)
		if !ok {
			return nil, usagef("%s has no config property %q", id, name)
		}
		if !hasValue {
			fromInput = append(fromInput, name)
			continue
		}
		v, err := typedValue(p, text)
		if err != nil {
			return nil, err
		}
		values[name] = v
	}
	if len(fromInput) == 0 {
		return values, nil
	}
	f, isFile := e.stdin.(*os.File)
	if isFile && term.IsTerminal(int(f.Fd())) {
		for _, name := range fromInput {
			fmt.Fprintf(e.stderr, "%s: ", name)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.stderr)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			values[name], _ = json.Marshal(string(b))
		}
		return values, nil
	}
	if len(fromInput) > 1 {
		return nil, usagef("only one value can come from standard input; got %s",
			strings.Join(fromInput, ", "))
	}
	b, err := io.ReadAll(io.LimitReader(e.stdin, registry.MaxSecretBytes+2))
	if err != nil {
		return nil, fmt.Errorf("read %s from standard input: %w", fromInput[0], err)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, usagef("standard input held no value for %s; to delete it, write %s=",
			fromInput[0], fromInput[0])
	}
	p, _ := cs.Property(fromInput[0])
	if values[fromInput[0]], err = typedValue(p, string(b)); err != nil {
		return nil, err
	}
	return values, nil
}

func typedValue(p registry.ConfigProperty, text string) (json.RawMessage, error) {
	if p.PlatformSecret != "" || p.Type == "string" || text == "" {
		return json.Marshal(text)
	}
	if json.Valid([]byte(text)) {
		return json.RawMessage(text), nil
	}
	if p.Type == "" {
		return json.Marshal(text)
	}
	return nil, usagef("%s: want a JSON %s, not %q", p.Name, p.Type, text)
}
