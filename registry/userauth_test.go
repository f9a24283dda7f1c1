package registry

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/examples"
)

func TestParseUserAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		raw      string
		warnings []string
		// model is the integration's UserAuth.Model; credentials is what
		// actions[0] runs with once compiled.
		model       string
		credentials string
	}{
		{name: "authorization code",
			raw:   authManifest(oauthBlock+`}`, bearer(``, `{{connection.accessToken}}`)),
			model: UserAuthOAuth2, credentials: CredentialsUser},
		{name: "public client with PKCE, a secret client id and config URLs",
			raw: authManifest(`{"type":"oauth2","clientId":"token",
			  "authorizationUrl":"{{config.baseUrl}}/oauth/authorize?x=1",
			  "tokenUrl":"https://{{config.clientId}}.demo.example/oauth/token"}`,
				bearer(`"credentials":"user",`,
					`{{connection.tokenType}} {{connection.accessToken}}`)),
			model: UserAuthOAuth2, credentials: CredentialsUser},
		{name: "client credentials",
			raw:   authManifest(clientCredentialsBlock, bearer(``, `{{connection.accessToken}}`)),
			model: AuthPlatform, credentials: CredentialsPlatform},
		{name: "client credentials, platform said",
			raw: authManifest(clientCredentialsBlock,
				bearer(`"credentials":"platform",`, `{{connection.accessToken}}`)),
			model: AuthPlatform, credentials: CredentialsPlatform},
		{name: "credential form",
			raw:   authManifest(formBlock, bearer(``, `{{connection.apiKey}}`)),
			model: UserAuthCredentials, credentials: CredentialsUser},
		{name: "credential form with fields of the product's format",
			raw: authManifest(`{"type":"credentials","title":"API key","schema":{
			  "properties":{"apiKey":{"type":"string","writeOnly":true},"site":{"enum":["eu","us"]},
			  "port":{"type":"integer"}}}}`,
				bearer(``, `{{connection.apiKey}}`)),
			warnings: []string{"userAuth.title: unknown field kept; not used"},
			model:    UserAuthCredentials, credentials: CredentialsUser},
		{name: "redirect",
			raw: authManifest(`{"type":"redirect","provider":"demo"}`,
				`[{"id":"a","credentials":"user"}]`),
			warnings: []string{"userAuth: kept; a redirect userAuth needs a worker backend, " +
				"which this version does not run"},
			model: UserAuthRedirect, credentials: CredentialsUser},
		{name: "no userAuth",
			raw:   docManifest,
			model: AuthPlatform, credentials: CredentialsPlatform,
			warnings: []string{"webhooks: " + unsignedWarning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, warnings, err := Parse([]byte(tt.raw))
			require.NoError(t, err)
			require.Equal(t, tt.warnings, warnings)
			require.Equal(t, tt.model, m.UserAuth.Model())
			ca, err := compileAction(m, &m.Actions[0])
			require.NoError(t, err)
			require.Equal(t, tt.credentials, ca.credentials)
			if m.UserAuth != nil {
				require.Equal(t, tt.model == AuthPlatform, m.UserAuth.PlatformConnection())
				require.NotEmpty(t, m.UserAuth.Raw, "the block is kept as written")
			}
		})
	}
}

// fullOAuth sets every field of an oauth2 userAuth.
const fullOAuth = `{"type":"oauth2","grant":"authorization_code",
  "authorizationUrl":"{{config.baseUrl}}/authorize","tokenUrl":"{{config.baseUrl}}/token",
  "scopes":["read","write"],"scopeSeparator":",","pkce":true,
  "clientId":"clientId","clientSecret":"token",
  "authorizationParams":{"access_type":"offline","prompt":"consent"},
  "tokenFields":{"accessToken":"authed_user.access_token",
    "refreshToken":"authed_user.refresh_token",
    "expiresIn":"authed_user.expires_in","tokenType":"authed_user.token_type",
    "scope":"authed_user.scope"},
  "refresh":"on_expiry","refreshMargin":"10m","clientAuth":"body"}`

func TestParseOAuthDecodesEveryField(t *testing.T) {
	t.Parallel()
	// A field added to OAuthSpec or TokenFields must be added here, and so
	// to the parser, which refuses fields it does not know.
	types := []reflect.Type{reflect.TypeFor[OAuthSpec](), reflect.TypeFor[TokenFields]()}
	for _, typ := range types {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			require.Contains(t, fullOAuth, `"`+name+`":`, "%s.%s", typ.Name(), f.Name)
		}
	}
	m, warnings, err := Parse([]byte(authManifest(fullOAuth, `[]`)))
	require.NoError(t, err)
	require.Empty(t, warnings)
	pkce := true
	require.Equal(t, &OAuthSpec{
		Type: "oauth2", Grant: GrantAuthorizationCode,
		AuthorizationURL: "{{config.baseUrl}}/authorize", TokenURL: "{{config.baseUrl}}/token",
		Scopes: []string{"read", "write"}, ScopeSeparator: ",", PKCE: &pkce,
		ClientID: "clientId", ClientSecret: "token",
		AuthorizationParams: map[string]string{"access_type": "offline", "prompt": "consent"},
		TokenFields: &TokenFields{
			AccessToken: "authed_user.access_token", RefreshToken: "authed_user.refresh_token",
			ExpiresIn: "authed_user.expires_in", TokenType: "authed_user.token_type",
			Scope: "authed_user.scope",
		},
		Refresh: RefreshOnExpiry, RefreshMargin: Duration(10 * time.Minute),
		ClientAuth: ClientAuthBody,
	}, m.UserAuth.OAuth)
}

func TestDescribeSummarizesAuth(t *testing.T) {
	t.Parallel()
	builtin, err := LoadBuiltin(examples.Catalog)
	require.NoError(t, err)
	s := newMemStore()
	r, err := New(t.Context(), Config{Store: s, Secrets: s, Builtin: builtin})
	require.NoError(t, err)
	for _, tt := range []struct{ id, auth, credentials string }{
		{"github", UserAuthOAuth2, CredentialsUser},
		{"notion", UserAuthCredentials, CredentialsUser},
		{"slack", AuthPlatform, CredentialsPlatform},
	} {
		in, err := r.Deploy(t.Context(), tt.id)
		require.NoError(t, err)
		d := in.Describe(nil)
		require.Equal(t, tt.auth, d.Auth, tt.id)
		require.NotEmpty(t, d.Actions)
		for _, a := range d.Actions {
			require.Equal(t, tt.credentials, a.Credentials, "%s.%s", tt.id, a.ID)
		}
		if tt.auth == AuthPlatform {
			require.Empty(t, d.UserAuth)
		} else {
			require.JSONEq(t, string(in.Manifest.UserAuth.Raw), string(d.UserAuth))
		}
	}
}
