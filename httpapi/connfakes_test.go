package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/registry"
)

// The connection manager satisfies the consumer interface.
var _ Connections = (*credentials.Manager)(nil)

// githubManifest connects accounts with OAuth 2.0; its client id and
// secret are set in newConnEnv.
const githubManifest = `{"appId":"github","name":"GitHub","version":"1.0.0",
 "configSchema":{"type":"object","properties":{
   "clientId":{"type":"string"},
   "clientSecret":{"type":"string","platformSecret":"GITHUB_CLIENT_SECRET"}},
   "required":["clientId","clientSecret"]},
 "userAuth":{"type":"oauth2","authorizationUrl":"https://github.example/login/oauth/authorize",
   "tokenUrl":"https://github.example/login/oauth/access_token",
   "clientId":"clientId","clientSecret":"clientSecret"},
 "actions":[{"id":"list_repos","request":{"url":"https://api.github.example/user/repos",
   "auth":{"bearer":"{{connection.accessToken}}"}}},
  {"id":"create_issue","request":{"method":"POST","url":"https://api.github.example/issues",
   "auth":{"bearer":"{{connection.accessToken}}"}}}]}`

// notionManifest connects accounts with a credential form whose fields
// show each kind of input, one title trying to inject markup.
const notionManifest = `{"appId":"notion","name":"Notion","version":"1.0.0",
 "userAuth":{"type":"credentials","schema":{"type":"object",
   "properties":{
     "token":{"type":"string","title":"Integration secret","writeOnly":true,
       "description":"Starts with ntn_","minLength":1},
     "site":{"enum":["eu","us"],"title":"<img src=x onerror=alert(1)>"},
     "port":{"type":"integer"},
     "verbose":{"type":"boolean"}},
   "required":["token"],"additionalProperties":false}},
 "actions":[{"id":"search","request":{"url":"https://api.notion.example/search",
   "auth":{"bearer":"{{connection.token}}"}}}]}`

// demoManifest connects accounts through a worker backend.
const demoManifest = `{"appId":"demo","name":"Demo","version":"1.0.0",
 "userAuth":{"type":"redirect","provider":"demo"},
 "actions":[{"id":"run","credentials":"user"}]}`

// jiraManifest has no userAuth and is not configured: its token is unset.
const jiraManifest = `{"appId":"jira","name":"Jira","version":"1.0.0",
 "configSchema":{"type":"object","properties":{
   "apiToken":{"type":"string","platformSecret":"JIRA_TOKEN"}},"required":["apiToken"]},
 "actions":[{"id":"search","request":{"url":"https://jira.example/search",
   "auth":{"bearer":"{{secrets.apiToken}}"}}}]}`

// Secrets the fake hands out through URLs; none may reach a log or a page.
const (
	linkSecret  = "LINKTOKEN-SECRET"
	stateSecret = "STATE-SECRET"
	codeSecret  = "CODE-SECRET-4711"
)

// The returnTo prefix newConnEnv allows.
const appPrefix = "https://app.example.com/"

var connAt = time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)

// fakeState is an OAuth state the fake issued.
type fakeState struct {
	appID, principal, returnTo string
	expired                    bool
}

// fakeConns keeps connections, states and links in memory, as the
// connection manager's contract says, and records the calls it gets as
// "Method arg...".
type fakeConns struct {
	mu     sync.Mutex
	conns  []credentials.Connection
	states map[string]fakeState
	links  map[string]credentials.Link
	made   int
	calls  []string
	// posted holds every form posted, saved those stored.
	posted []json.RawMessage
	saved  []json.RawMessage
	// refreshErr, when set, is what Refresh returns.
	refreshErr error
	grants     []credentials.Grant
}

func newFakeConns() *fakeConns {
	return &fakeConns{states: map[string]fakeState{}, links: map[string]credentials.Link{}}
}

func (f *fakeConns) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeConns) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// add stores a connection of principal to appID and returns it.
func (f *fakeConns) add(appID, principal, label string, status credentials.Status,
) credentials.Connection {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(appID, principal, label, credentials.KindOAuth2, status)
}

func (f *fakeConns) addLocked(appID, principal, label string, kind credentials.Kind,
	status credentials.Status) credentials.Connection {
	f.made++
	c := credentials.Connection{
		ID: fmt.Sprintf("conn_%d", f.made), AppID: appID, Principal: principal, Kind: kind,
		Label: label, Status: status, CreatedAt: connAt, UpdatedAt: connAt,
	}
	if kind == credentials.KindOAuth2 {
		c.ExpiresAt = connAt.Add(time.Hour)
	}
	if status == credentials.StatusDead {
		c.LastError = "invalid_grant: the refresh token was revoked"
	}
	f.conns = append(f.conns, c)
	return c
}

// addLink makes a connect link for user to appID and returns its token.
func (f *fakeConns) addLink(appID string, user switchboard.Principal) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := fmt.Sprintf("%s-%d", linkSecret, len(f.links)+1)
	f.links[tok] = credentials.Link{AppID: appID, User: user, ExpiresAt: connAt.Add(10 * time.Minute)}
	return tok
}

// addState issues an OAuth state as Start would and returns it.
func (f *fakeConns) addState(s fakeState) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stateLocked(s)
}

func (f *fakeConns) stateLocked(s fakeState) string {
	tok := fmt.Sprintf("%s-%d", stateSecret, len(f.states)+1)
	f.states[tok] = s
	return tok
}

func (f *fakeConns) Begin(_ context.Context, in *registry.Integration, user switchboard.Principal,
	returnTo string) (credentials.Flow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Start %s %s %s", in.ID(), user, returnTo)
	if in.Manifest.UserAuth.Model() != registry.UserAuthOAuth2 {
		return f.flowLocked(in, user.String(), returnTo)
	}
	tok := fmt.Sprintf("%s-%d", linkSecret, len(f.links)+1)
	f.links[tok] = credentials.Link{AppID: in.ID(), User: user, ExpiresAt: connAt.Add(time.Hour)}
	u := "https://switchboard.example" + credentials.ConnectPath + tok
	if returnTo != "" {
		u += "?" + url.Values{credentials.ReturnToParam: {returnTo}}.Encode()
	}
	return credentials.Flow{Type: credentials.FlowRedirect, URL: u}, nil
}

func (f *fakeConns) flowLocked(in *registry.Integration, principal, returnTo string,
) (credentials.Flow, error) {
	switch in.Manifest.UserAuth.Model() {
	case registry.UserAuthCredentials:
		return credentials.Flow{Type: credentials.FlowCredentials,
			Schema: in.Manifest.UserAuth.Schema}, nil
	case registry.UserAuthOAuth2:
		st := f.stateLocked(fakeState{appID: in.ID(), principal: principal, returnTo: returnTo})
		return credentials.Flow{Type: credentials.FlowRedirect,
			URL: "https://github.example/login/oauth/authorize?state=" + st}, nil
	}
	return credentials.Flow{}, switchboard.Errorf(switchboard.CodeNotImplemented,
		"%s connects accounts through its worker backend", in.ID())
}

func (f *fakeConns) Callback(_ context.Context, lookup func(string) *registry.Integration,
	req credentials.CallbackRequest) (credentials.CallbackResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Callback")
	st, ok := f.states[req.State]
	delete(f.states, req.State)
	switch {
	case !ok:
		return credentials.CallbackResult{}, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"this sign-in is unknown or was already used: start connecting again")
	case st.expired:
		return credentials.CallbackResult{}, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"this sign-in expired: start connecting again")
	}
	res := credentials.CallbackResult{AppID: st.appID, ReturnTo: st.returnTo}
	in := lookup(st.appID)
	if in == nil {
		return res, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed", st.appID)
	}
	res.Integration = in.Manifest.Name
	switch {
	case req.Error != "":
		return res, &switchboard.Error{Code: switchboard.CodeUpstream, UpstreamCode: req.Error,
			Message: in.Manifest.Name + " refused the connection: " + req.Error + ": " +
				req.ErrorDescription}
	case req.Code == "":
		return res, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"the provider sent no authorization code")
	}
	res.Connection = f.addLocked(st.appID, st.principal, in.Manifest.Name,
		credentials.KindOAuth2, credentials.StatusActive)
	return res, nil
}

func (f *fakeConns) SaveCredentials(_ context.Context, in *registry.Integration,
	user switchboard.Principal, values json.RawMessage, label string,
) (credentials.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SaveCredentials %s %s %s", in.ID(), user, label)
	return f.saveLocked(in, user.String(), values, label)
}

// saveLocked checks values as the notion form would: a non-empty string
// token, and a port that is an integer.
func (f *fakeConns) saveLocked(in *registry.Integration, principal string,
	values json.RawMessage, label string) (credentials.Connection, error) {
	if in.Manifest.UserAuth.Model() != registry.UserAuthCredentials {
		return credentials.Connection{}, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"%s connects with OAuth: start the flow instead", in.ID())
	}
	f.posted = append(f.posted, values)
	var v struct {
		Token string `json:"token"`
		Port  any    `json:"port"`
	}
	var errs []switchboard.FieldError
	if json.Unmarshal(values, &v) != nil || v.Token == "" {
		errs = append(errs, switchboard.FieldError{Path: "/token", Message: "required"})
	}
	if _, ok := v.Port.(string); ok {
		errs = append(errs, switchboard.FieldError{Path: "/port",
			Message: "got string, want integer"})
	}
	if len(errs) > 0 {
		return credentials.Connection{}, &switchboard.Error{Code: switchboard.CodeInvalidInput,
			Message: "credentials are invalid", Errors: errs}
	}
	if label == "" {
		label = in.Manifest.Name
	}
	f.saved = append(f.saved, values)
	return f.addLocked(in.ID(), principal, label, credentials.KindCredentials,
		credentials.StatusActive), nil
}

func (f *fakeConns) Status(_ context.Context, appID string, user switchboard.Principal,
) (bool, int, int, error) {
	list, _ := f.Connections(context.Background(), appID, user)
	dead := 0
	for _, c := range list {
		if c.Status == credentials.StatusDead {
			dead++
		}
	}
	return len(list) > dead, len(list), dead, nil
}

func (f *fakeConns) Connections(_ context.Context, appID string, user switchboard.Principal,
) ([]credentials.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []credentials.Connection
	for _, c := range f.conns {
		if c.AppID == appID && c.Principal == user.String() {
			out = append(out, c)
		}
	}
	return out, nil
}

// ownedLocked returns the index of user's connection id to appID, or
// not_found.
func (f *fakeConns) ownedLocked(appID string, user switchboard.Principal, id string,
) (int, error) {
	i := slices.IndexFunc(f.conns, func(c credentials.Connection) bool {
		return c.ID == id && c.AppID == appID && c.Principal == user.String()
	})
	if i < 0 {
		return -1, switchboard.Errorf(switchboard.CodeNotFound, "connection %q not found", id)
	}
	return i, nil
}

func (f *fakeConns) Rename(_ context.Context, appID string, user switchboard.Principal,
	id, label string) (credentials.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Rename %s %s %s %s", appID, user, id, label)
	if label == "" {
		return credentials.Connection{}, &switchboard.Error{
			Code: switchboard.CodeInvalidInput, Message: "label is invalid: required",
			Errors: []switchboard.FieldError{{Path: "/label", Message: "required"}}}
	}
	i, err := f.ownedLocked(appID, user, id)
	if err != nil {
		return credentials.Connection{}, err
	}
	f.conns[i].Label = label
	return f.conns[i], nil
}

func (f *fakeConns) Delete(_ context.Context, appID string, user switchboard.Principal,
	id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Delete %s %s %s", appID, user, id)
	i, err := f.ownedLocked(appID, user, id)
	if err != nil {
		return err
	}
	f.conns = slices.Delete(f.conns, i, i+1)
	return nil
}

func (f *fakeConns) DeleteAll(_ context.Context, appID string, user switchboard.Principal,
) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("DeleteAll %s %s", appID, user)
	before := len(f.conns)
	f.conns = slices.DeleteFunc(f.conns, func(c credentials.Connection) bool {
		return c.AppID == appID && c.Principal == user.String()
	})
	return before - len(f.conns), nil
}

func (f *fakeConns) RemovePrincipal(_ context.Context, user switchboard.Principal) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RemovePrincipal %s", user)
	before := len(f.conns)
	f.conns = slices.DeleteFunc(f.conns, func(c credentials.Connection) bool {
		return c.Principal == user.String()
	})
	return before - len(f.conns), nil
}

func (f *fakeConns) Refresh(_ context.Context, in *registry.Integration,
	user switchboard.Principal, id string) (credentials.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Refresh %s %s %s", in.ID(), user, id)
	i, err := f.ownedLocked(in.ID(), user, id)
	if err != nil {
		return credentials.Connection{}, err
	}
	if f.refreshErr != nil {
		return credentials.Connection{}, f.refreshErr
	}
	f.conns[i].ExpiresAt = f.conns[i].ExpiresAt.Add(time.Hour)
	return f.conns[i], nil
}

func linkGone() error {
	return switchboard.Errorf(switchboard.CodeNotFound,
		"this connect link is unknown, used or expired")
}

func (f *fakeConns) OpenLink(_ context.Context, token string) (credentials.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.links[token]
	if !ok {
		return credentials.Link{}, linkGone()
	}
	return l, nil
}

func (f *fakeConns) StartLink(_ context.Context, in *registry.Integration, token,
	returnTo string) (credentials.Flow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("StartLink %s %s", in.ID(), returnTo)
	l, ok := f.links[token]
	if !ok || l.AppID != in.ID() {
		return credentials.Flow{}, linkGone()
	}
	if in.Manifest.UserAuth.Model() == registry.UserAuthOAuth2 {
		delete(f.links, token)
	}
	return f.flowLocked(in, l.User.String(), returnTo)
}

func (f *fakeConns) SaveLinkCredentials(_ context.Context, in *registry.Integration,
	token string, values json.RawMessage, label string) (credentials.Connection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SaveLinkCredentials %s %s", in.ID(), label)
	l, ok := f.links[token]
	if !ok || l.AppID != in.ID() {
		return credentials.Connection{}, linkGone()
	}
	c, err := f.saveLocked(in, l.User.String(), values, label)
	if err == nil {
		delete(f.links, token)
	}
	return c, err
}

// connEnv is a server with the fake connection manager, whose installed
// set holds github (OAuth 2.0, configured), notion (a credential form),
// demo (redirect), slack (platform, configured), notes (platform, nothing
// to configure) and jira (platform, not configured).
type connEnv struct {
	*testEnv
	conns *fakeConns
}

func newConnEnv(t *testing.T, edit ...func(*Config)) *connEnv {
	t.Helper()
	conns := newFakeConns()
	edit = append([]func(*Config){func(c *Config) {
		c.Connections = conns
		c.ReturnTo = []string{appPrefix, "https://admin.example.com"}
	}}, edit...)
	e := newEnv(t, edit...)
	e.reg.snap = connSnapshot(t)
	return &connEnv{testEnv: e, conns: conns}
}

func connSnapshot(t *testing.T) *registry.Snapshot {
	t.Helper()
	st := &snapshotStore{
		secrets: []string{"GITHUB_CLIENT_SECRET", "SLACK_BOT_TOKEN"},
		configs: map[string]json.RawMessage{"github": json.RawMessage(`{"clientId":"gh-app"}`)},
	}
	manifests := []string{githubManifest, notionManifest, demoManifest, slackManifest,
		notesManifest, jiraManifest}
	for i, raw := range manifests {
		m, _, err := registry.Parse([]byte(raw))
		require.NoError(t, err)
		st.rows = append(st.rows, registry.Installed{
			AppID: m.AppID, Version: m.Version, Manifest: []byte(raw),
			Seq: int64(i + 1), DeployedAt: deployedAt, UpdatedAt: deployedAt,
		})
	}
	reg, err := registry.New(t.Context(), registry.Config{Store: st, Secrets: st})
	require.NoError(t, err)
	return reg.Snapshot()
}

func (f *fakeConns) Lend(_ context.Context, appID string, user switchboard.Principal, id string,
	agent switchboard.Principal) (credentials.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Lend %s %s %s %s", appID, user, id, agent)
	if _, err := f.ownedLocked(appID, user, id); err != nil {
		return credentials.Grant{}, err
	}
	f.made++
	g := credentials.Grant{ID: fmt.Sprintf("grant_%d", f.made), AppID: appID, ConnectionID: id,
		Owner: user.String(), Agent: agent.String(), CreatedAt: connAt}
	f.grants = append(f.grants, g)
	return g, nil
}

func (f *fakeConns) Unlend(_ context.Context, appID string, user switchboard.Principal, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Unlend %s %s %s", appID, user, id)
	i := slices.IndexFunc(f.grants, func(g credentials.Grant) bool {
		return g.ID == id && g.AppID == appID && g.Owner == user.String()
	})
	if i < 0 {
		return switchboard.Errorf(switchboard.CodeNotFound, "no grant %q", id)
	}
	f.grants = slices.Delete(f.grants, i, i+1)
	return nil
}

func (f *fakeConns) Grants(_ context.Context, appID string, p switchboard.Principal,
) ([]credentials.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []credentials.Grant
	for _, g := range f.grants {
		if g.AppID == appID && (g.Owner == p.String() || g.Agent == p.String()) {
			out = append(out, g)
		}
	}
	return out, nil
}
