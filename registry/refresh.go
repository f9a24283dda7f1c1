package registry

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// compiledManifest is what deploy-time work produces from one manifest; it
// is shared by every snapshot while the manifest stays installed.
type compiledManifest struct {
	manifest *Manifest
	actions  []compiledAction
	// props validates plain config values by property name.
	props map[string]*jsonschema.Schema
}

type compiledAction struct {
	spec        *ActionSpec
	input       *jsonschema.Schema
	inputSchema json.RawMessage
	request     *Request
	timeout     time.Duration
	credentials string
	secrets     []string
	connection  bool
}

// Refresh rebuilds the snapshot from the store now. Concurrent calls are
// serialized; subscribers are told when the snapshot changed.
func (r *Registry) Refresh(ctx context.Context) error {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	// Reading the feed position first means the data read after it is at
	// least that new; a change racing with us moves the feed again.
	change, err := r.store.LastChange(ctx)
	if err != nil {
		return fmt.Errorf("read change feed: %w", err)
	}
	rows, err := r.store.InstalledSet(ctx)
	if err != nil {
		return fmt.Errorf("read installed set: %w", err)
	}
	configs, err := r.store.Configs(ctx)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	names, err := r.secrets.PlatformSecretNames(ctx)
	if err != nil {
		return fmt.Errorf("read secret names: %w", err)
	}
	snap := r.build(ctx, change, rows, configs, setOf(names))
	r.snap.Store(snap)
	r.notify()
	return nil
}

func (r *Registry) build(ctx context.Context, change int64, rows []Installed,
	configs map[string]json.RawMessage, secrets map[string]bool) *Snapshot {
	s := &Snapshot{Change: change, byID: map[string]*Integration{}, byTool: map[string]*Action{}}
	used := map[[32]byte]*compiledManifest{}
	var order []toolOrder
	for _, row := range rows {
		key := manifestKey(row.Manifest)
		cm, err := r.compile(key, row.Manifest)
		if err != nil {
			r.log.ErrorContext(ctx, "installed manifest does not compile; integration skipped",
				slog.String(logkey.Integration, row.AppID), slog.Any(logkey.Err, err))
			continue
		}
		used[key] = cm
		in := newIntegration(row, cm, configs[row.AppID], secrets)
		s.list = append(s.list, in)
		s.byID[row.AppID] = in
		for i, a := range in.Actions {
			order = append(order, toolOrder{
				key:   ToolKey{AppID: row.AppID, ActionID: a.Spec.ID},
				since: row.ActionSince[a.Spec.ID], seq: row.Seq, index: i,
			})
		}
	}
	names := ToolNames(namingOrder(order))
	for _, in := range s.list {
		for _, a := range in.Actions {
			a.Tool = names[ToolKey{AppID: in.ID(), ActionID: a.Spec.ID}]
			s.byTool[a.Tool] = a
		}
	}
	r.compiled = used
	return s
}

// toolOrder is where an action stands when tools are named: when it was
// first deployed, then its integration's Seq, then its manifest position.
type toolOrder struct {
	key   ToolKey
	since int64
	seq   int64
	index int
}

// namingOrder returns the keys of order sorted as [ToolNames] wants them:
// the earliest deployed action first. A stamp of 0 (an action deployed
// before stamps were kept) sorts before every other, and among such
// actions Seq and manifest order decide, as they did then.
func namingOrder(order []toolOrder) []ToolKey {
	slices.SortFunc(order, func(a, b toolOrder) int {
		return cmp.Or(cmp.Compare(a.since, b.since), cmp.Compare(a.seq, b.seq),
			cmp.Compare(a.index, b.index))
	})
	keys := make([]ToolKey, len(order))
	for i, o := range order {
		keys[i] = o.key
	}
	return keys
}

func (r *Registry) compile(key [32]byte, raw []byte) (*compiledManifest, error) {
	if cm, ok := r.compiled[key]; ok {
		return cm, nil
	}
	m, _, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	cm := &compiledManifest{manifest: m, props: map[string]*jsonschema.Schema{}}
	if m.ConfigSchema != nil {
		for _, p := range m.ConfigSchema.Properties {
			sch, err := CompileSchema(p.Raw)
			if err != nil {
				return nil, fmt.Errorf("configSchema.properties.%s: %w", p.Name, err)
			}
			cm.props[p.Name] = sch
		}
	}
	for i := range m.Actions {
		ca, err := compileAction(m, &m.Actions[i])
		if err != nil {
			return nil, fmt.Errorf("actions[%d]: %w", i, err)
		}
		cm.actions = append(cm.actions, ca)
	}
	return cm, nil
}

func compileAction(m *Manifest, spec *ActionSpec) (compiledAction, error) {
	ca := compiledAction{spec: spec, timeout: time.Duration(spec.Timeout)}
	if ca.timeout == 0 {
		ca.timeout = DefaultTimeout
	}
	ca.inputSchema = servedInputSchema(spec.InputSchema)
	sch, err := CompileSchema(ca.inputSchema)
	if err != nil {
		return ca, fmt.Errorf("inputSchema: %w", err)
	}
	ca.input = sch
	ca.credentials = spec.Credentials
	if spec.Request != nil {
		req, problems := CompileRequest(spec.Request, spec.Response)
		if len(problems) > 0 {
			return ca, fmt.Errorf("request: %s", summarize(problems))
		}
		ca.request = req
		usesConnection := false
		eachTemplate(req, func(_ string, t Template) {
			for _, ref := range t.Refs() {
				switch ref.NS {
				case NSSecrets:
					if !slices.Contains(ca.secrets, ref.Path[0]) {
						ca.secrets = append(ca.secrets, ref.Path[0])
					}
				case NSConnection:
					usesConnection = true
				}
			}
		})
		ca.connection = usesConnection
		// A client-credentials grant's one connection is the platform's.
		if ca.credentials == "" && usesConnection && !m.UserAuth.PlatformConnection() {
			ca.credentials = CredentialsUser
		}
	}
	if ca.credentials == "" {
		ca.credentials = CredentialsPlatform
	}
	return ca, nil
}

// servedInputSchema is the schema clients see: the manifest's, with
// "type": "object" added when it gives no type, or an empty object schema.
func servedInputSchema(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage(`{"type":"object"}`)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return raw
	}
	if _, ok := probe["type"]; ok {
		return raw
	}
	probe["type"] = json.RawMessage(`"object"`)
	out, err := json.Marshal(probe)
	if err != nil {
		return raw
	}
	return out
}

func newIntegration(row Installed, cm *compiledManifest, config json.RawMessage,
	secrets map[string]bool) *Integration {
	in := &Integration{
		Manifest:   cm.manifest,
		Raw:        row.Manifest,
		Seq:        row.Seq,
		DeployedAt: row.DeployedAt,
	}
	in.Config, in.Set = configState(cm.manifest.ConfigSchema, config, secrets)
	in.Missing = missing(cm.manifest.ConfigSchema, in.Set)
	for _, ca := range cm.actions {
		in.Actions = append(in.Actions, &Action{
			Integration: in,
			Spec:        ca.spec,
			Permission:  "integration:" + cm.manifest.AppID + ":" + ca.spec.ID,
			Input:       ca.input,
			InputSchema: ca.inputSchema,
			Timeout:     ca.timeout,
			Credentials: ca.credentials,
			Connection:  ca.connection,
			Request:     ca.request,
			Secrets:     ca.secrets,
		})
	}
	return in
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
