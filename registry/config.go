package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// MaxSecretBytes bounds one secret value.
const MaxSecretBytes = 64 << 10

// configState decodes the stored plain config, applies the schema's
// defaults, and reports per property whether it has a value.
func configState(cs *ConfigSchema, stored json.RawMessage, secrets map[string]bool) (map[string]any, map[string]bool) {
	values := map[string]any{}
	if len(stored) > 0 {
		dec := json.NewDecoder(bytes.NewReader(stored))
		dec.UseNumber()
		_ = dec.Decode(&values) // the store only ever holds objects we wrote
	}
	config := map[string]any{}
	set := map[string]bool{}
	if cs == nil {
		return config, set
	}
	for _, p := range cs.Properties {
		if p.PlatformSecret != "" {
			set[p.Name] = secrets[p.PlatformSecret]
			continue
		}
		if v, ok := values[p.Name]; ok {
			config[p.Name] = v
		} else if len(p.Default) > 0 {
			dec := json.NewDecoder(bytes.NewReader(p.Default))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) == nil {
				config[p.Name] = v
			}
		}
		_, set[p.Name] = config[p.Name]
	}
	return config, set
}

// missing returns what keeps an integration from being configured: the
// required properties without a value; for anyOf, those of the branch
// closest to complete; with neither, every platformSecret property without
// a value.
func missing(cs *ConfigSchema, set map[string]bool) []string {
	if cs == nil {
		return nil
	}
	unset := func(names []string) []string {
		var out []string
		for _, n := range names {
			if !set[n] {
				out = append(out, n)
			}
		}
		return out
	}
	var out []string
	if len(cs.Required) > 0 {
		out = unset(cs.Required)
	}
	if len(cs.AnyOf) > 0 {
		var best []string
		for i, b := range cs.AnyOf {
			if m := unset(b.Required); i == 0 || len(m) < len(best) {
				best = m
			}
		}
		for _, n := range best {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	if len(cs.Required) == 0 && len(cs.AnyOf) == 0 {
		for _, p := range cs.Properties {
			if p.PlatformSecret != "" && !set[p.Name] {
				out = append(out, p.Name)
			}
		}
	}
	return out
}

// Configure merges values into the config of the installed integration
// appID: a platformSecret property goes to the vault, any other to plain
// config after checking it against its schema; an empty string (or null)
// deletes a value; properties not named stay as they are. Every value is
// checked before anything is written, and a bad one is reported by property
// name, never with its value. The secrets and the plain config are written
// in one store transaction, so that concurrent calls never leave one
// call's secret beside another's plain values. It returns the integration
// as now installed.
func (r *Registry) Configure(ctx context.Context, appID string, values map[string]json.RawMessage) (*Integration, error) {
	in := r.Snapshot().Integration(appID)
	if in == nil {
		return nil, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed: deploy it before configuring it", appID)
	}
	cm, err := r.compiledFor(in)
	if err != nil {
		return nil, err
	}
	plan, err := planConfig(cm, values)
	if err != nil {
		return nil, err
	}
	if err := r.writeConfig(ctx, appID, plan); err != nil {
		return nil, err
	}
	if err := r.Refresh(ctx); err != nil {
		return nil, err
	}
	names := strings.Join(sortedNames(values), ",")
	r.log.InfoContext(ctx, "integration configured",
		slog.String(logkey.Integration, appID), slog.String("properties", names))
	// Property names only: a value, secret or not, never reaches the log.
	if err := r.note(ctx, audit.EventConfigure, appID, map[string]string{"properties": names}); err != nil {
		return nil, err
	}
	if now := r.Snapshot().Integration(appID); now != nil {
		return now, nil
	}
	return nil, switchboard.Errorf(switchboard.CodeNotFound, "integration %q was undeployed", appID)
}

// writeConfig seals the plan's secrets, then has the store write them and
// the merged plain config in one transaction. The config row is written
// even when only secrets changed: its presence marks an integration whose
// settings are kept, which purging another integration must respect.
func (r *Registry) writeConfig(ctx context.Context, appID string, plan *configPlan) error {
	names := sortedNames(plan.secrets)
	writes := make([]SecretWrite, 0, len(names))
	for _, name := range names {
		w, err := r.secrets.PlatformSecretWrite(name, plan.secrets[name])
		clear(plan.secrets[name]) // plaintext is kept no longer than sealing needs
		if err != nil {
			return fmt.Errorf("seal secret of %s: %w", appID, err)
		}
		writes = append(writes, w)
	}
	// The vault's cached copies go even on an error: a failed commit may
	// still have committed.
	defer r.secrets.ForgetPlatformSecrets(names...)
	if err := r.store.UpdateConfigWithSecrets(ctx, appID, plan.merge, writes); err != nil {
		return fmt.Errorf("store config of %s: %w", appID, err)
	}
	return nil
}

func (r *Registry) compiledFor(in *Integration) (*compiledManifest, error) {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	return r.compile(manifestKey(in.Raw), in.Raw)
}

// configPlan is a checked config change: secrets by vault name (nil
// deletes) and plain values by property (nil deletes).
type configPlan struct {
	secrets map[string][]byte
	plain   map[string]json.RawMessage
}

func planConfig(cm *compiledManifest, values map[string]json.RawMessage) (*configPlan, error) {
	plan := &configPlan{secrets: map[string][]byte{}, plain: map[string]json.RawMessage{}}
	var problems []switchboard.FieldError
	bad := func(name, msg string) {
		problems = append(problems, switchboard.FieldError{Path: name, Message: msg})
	}
	for _, name := range sortedNames(values) {
		raw := bytes.TrimSpace(values[name])
		p, ok := cm.manifest.ConfigSchema.Property(name)
		if !ok {
			bad(name, "not a property of "+cm.manifest.AppID+"'s configSchema")
			continue
		}
		deletes := len(raw) == 0 || string(raw) == "null" || string(raw) == `""`
		if p.PlatformSecret != "" {
			var s string
			switch {
			case deletes:
				plan.secrets[p.PlatformSecret] = nil
			case json.Unmarshal(raw, &s) != nil:
				bad(name, "a secret must be a string")
			case len(s) > MaxSecretBytes:
				bad(name, fmt.Sprintf("a secret may be at most %d bytes", MaxSecretBytes))
			default:
				plan.secrets[p.PlatformSecret] = []byte(s)
			}
			continue
		}
		if deletes {
			plan.plain[name] = nil
			continue
		}
		v, err := DecodeInput(raw)
		if err != nil {
			bad(name, "not valid JSON")
			continue
		}
		if err := cm.props[name].Validate(v); err != nil {
			bad(name, keywordViolation(err))
			continue
		}
		plan.plain[name] = raw
	}
	if len(problems) > 0 {
		e := switchboard.Errorf(switchboard.CodeInvalidInput, "config of %s is invalid: %s",
			cm.manifest.AppID, joinProblems(problems))
		e.Errors = problems
		return nil, e
	}
	return plan, nil
}

// merge applies the plan's plain values to the stored config.
func (p *configPlan) merge(current json.RawMessage) (json.RawMessage, error) {
	cfg := map[string]json.RawMessage{}
	if len(current) > 0 {
		if err := json.Unmarshal(current, &cfg); err != nil {
			return nil, fmt.Errorf("decode stored config: %w", err)
		}
	}
	for name, v := range p.plain {
		if v == nil {
			delete(cfg, name)
		} else {
			cfg[name] = v
		}
	}
	return json.Marshal(cfg)
}

func joinProblems(problems []switchboard.FieldError) string {
	parts := make([]string, 0, len(problems))
	for _, p := range problems {
		parts = append(parts, p.Path+": "+p.Message)
	}
	return strings.Join(parts, "; ")
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
