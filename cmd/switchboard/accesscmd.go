package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/httpapi"
	"github.com/switchboard-dev/switchboard/rbac"
)

// The operator's commands for keys, roles, permissions and principals.
// They act on the store directly and are audited as the operator's.

const keysUsage = `usage: switchboard keys create --principal user:alice [--name NAME]
       switchboard keys list [--principal P]
       switchboard keys revoke <key id>`

func cmdKeys(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("%s", keysUsage)
	}
	var principal, name string
	a, pos, err := openForCommand(ctx, e, "keys "+args[0], args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&principal, "principal", "", "the key's principal: user:ID, agent:ID or app:ID")
		fs.StringVar(&name, "name", "", "what the key is for")
	})
	if err != nil {
		return err
	}
	defer a.close()
	switch args[0] {
	case "create":
		p, err := switchboard.ParsePrincipal(principal)
		if err != nil || len(pos) > 0 {
			return usagef("%s", keysUsage)
		}
		if name == "" {
			name = "created with switchboard keys create"
		}
		key, k, err := a.auth.CreateKey(ctx, p, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "key %s for %s; it is shown this once:\n", k.ID, k.Principal)
		fmt.Fprintln(e.stdout, key)
		return nil
	case "list":
		var p switchboard.Principal
		if principal != "" {
			if p, err = switchboard.ParsePrincipal(principal); err != nil {
				return usagef("--principal: %v", err)
			}
		}
		keys, err := a.auth.ListKeys(ctx, p)
		if err != nil {
			return err
		}
		tw := table(e.stdout, "ID\tPRINCIPAL\tNAME\tCREATED\tLAST USED")
		for _, k := range keys {
			used := "never"
			if k.LastUsedAt != nil {
				used = k.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Principal, k.Name,
				k.CreatedAt.Format(time.RFC3339), used)
		}
		return tw.Flush()
	case "revoke":
		if len(pos) != 1 {
			return usagef("%s", keysUsage)
		}
		if err := a.auth.RevokeKey(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "key %s revoked\n", pos[0])
		return nil
	}
	return usagef("%s", keysUsage)
}

const rolesUsage = `usage: switchboard roles list
       switchboard roles create <name> [--permission KEY]... [--inherit ROLE]... [--description TEXT]
       switchboard roles update <name> [--permission KEY]... [--inherit ROLE]... [--description TEXT]
       switchboard roles delete <name>
       switchboard roles assign <principal> <role>
       switchboard roles revoke <principal> <role>
       switchboard roles assignments [--principal P]

update replaces what it is given: --permission and --inherit replace the
whole list (--permission "" empties it).`

func cmdRoles(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("%s", rolesUsage)
	}
	var perms, inherits []string
	var description, principal string
	set := map[string]bool{}
	a, pos, err := openForCommand(ctx, e, "roles "+args[0], args[1:], func(fs *flag.FlagSet) {
		fs.Func("permission", "a permission key (repeatable)", func(v string) error {
			set["permission"] = true
			if v != "" {
				perms = append(perms, v)
			}
			return nil
		})
		fs.Func("inherit", "a role to inherit (repeatable)", func(v string) error {
			set["inherit"] = true
			if v != "" {
				inherits = append(inherits, v)
			}
			return nil
		})
		fs.Func("description", "what the role is for", func(v string) error {
			set["description"], description = true, v
			return nil
		})
		fs.StringVar(&principal, "principal", "", "only this principal's assignments")
	})
	if err != nil {
		return err
	}
	defer a.close()
	r := a.rbac
	switch {
	case args[0] == "list" && len(pos) == 0:
		tw := table(e.stdout, "ROLE\tPERMISSIONS\tINHERITS\tDESCRIPTION")
		for _, role := range r.Roles() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", role.Name, strings.Join(role.Permissions, " "),
				strings.Join(role.Inherits, " "), role.Description)
		}
		return tw.Flush()
	case args[0] == "create" && len(pos) == 1:
		role, err := r.CreateRole(ctx, rbac.Role{Name: pos[0], Description: description,
			Permissions: perms, Inherits: inherits})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "role %s created\n", role.Name)
		return nil
	case args[0] == "update" && len(pos) == 1:
		var patch rbac.RolePatch
		if set["permission"] {
			patch.Permissions = &perms
		}
		if set["inherit"] {
			patch.Inherits = &inherits
		}
		if set["description"] {
			patch.Description = &description
		}
		if _, err := r.UpdateRole(ctx, pos[0], patch); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "role %s updated\n", pos[0])
		return nil
	case args[0] == "delete" && len(pos) == 1:
		if err := r.DeleteRole(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "role %s deleted\n", pos[0])
		return nil
	case args[0] == "assign" && len(pos) == 2:
		if err := r.Assign(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s has role %s\n", pos[0], pos[1])
		return nil
	case args[0] == "revoke" && len(pos) == 2:
		if err := r.Revoke(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s no longer has role %s\n", pos[0], pos[1])
		return nil
	case args[0] == "assignments" && len(pos) == 0:
		as, err := r.Assignments(ctx, principal)
		if err != nil {
			return err
		}
		tw := table(e.stdout, "PRINCIPAL\tROLE\tSINCE")
		for _, x := range as {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Principal, x.Role, x.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return usagef("%s", rolesUsage)
}

const permissionsUsage = `usage: switchboard permissions <principal>   (what it may do)
       switchboard permissions --available     (every permission there is)`

func cmdPermissions(ctx context.Context, e *env, args []string) error {
	var available bool
	a, pos, err := openForCommand(ctx, e, "permissions", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&available, "available", false, "list every permission there is")
	})
	if err != nil {
		return err
	}
	defer a.close()
	switch {
	case available && len(pos) == 0:
		tw := table(e.stdout, "PERMISSION\tDESCRIPTION")
		for _, p := range rbac.Available(a.registry.Snapshot()) {
			fmt.Fprintf(tw, "%s\t%s\n", p.Key, p.Description)
		}
		return tw.Flush()
	case !available && len(pos) == 1:
		p, err := switchboard.ParsePrincipal(pos[0])
		if err != nil {
			return usagef("%v", err)
		}
		for _, k := range a.rbac.Permissions(ctx, p) {
			fmt.Fprintln(e.stdout, k)
		}
		return nil
	}
	return usagef("%s", permissionsUsage)
}

func cmdPrincipals(ctx context.Context, e *env, args []string) error {
	const usage = "usage: switchboard principals delete <principal>   " +
		"(revokes its keys, roles and delegations, deletes its subscriptions and connections)"
	if len(args) == 0 || args[0] != "delete" {
		return usagef("%s", usage)
	}
	a, pos, err := openForCommand(ctx, e, "principals delete", args[1:], nil)
	if err != nil {
		return err
	}
	defer a.close()
	if len(pos) != 1 {
		return usagef("%s", usage)
	}
	p, err := switchboard.ParsePrincipal(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	out, err := httpapi.Offboard(ctx, httpapi.Offboarding{Keys: a.auth, Roles: a.rbac,
		Delegations: a.dlg, Webhooks: a.hooks, Connections: a.creds}, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s offboarded: %d keys revoked, every role removed, "+
		"%d delegations revoked, %d subscriptions deleted, %d connections deleted\n",
		p, out.KeysRevoked, out.DelegationsRevoked, out.SubscriptionsRemoved,
		out.ConnectionsRemoved)
	return nil
}

func table(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}
