package credentials

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// endpoint is an integration's OAuth 2.0 provider as one flow sees it: its
// URLs rendered from the config, and the client's id and secret.
type endpoint struct {
	spec     *registry.OAuthSpec
	authURL  string
	tokenURL string
	clientID string
	// secret is the client secret; "" for a public client, and until
	// asked for.
	secret string
}

// reservedParams are set by the flow itself; authorizationParams cannot
// replace them.
var reservedParams = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method",
}

// endpoint returns in's provider. withSecret also reads the client secret,
// which only the token endpoint needs. A property without a value is a
// not_configured error naming it.
func (m *Manager) endpoint(ctx context.Context, in *registry.Integration,
	withSecret bool,
) (*endpoint, error) {
	spec := in.Manifest.UserAuth.OAuth
	if spec == nil {
		return nil, manifestError(in, "type", "not oauth2")
	}
	ep := &endpoint{spec: spec}
	var missing []string
	var err error
	if ep.tokenURL, err = renderURL(in, "tokenUrl", spec.TokenURL, &missing); err != nil {
		return nil, err
	}
	if spec.Grant != registry.GrantClientCredentials {
		ep.authURL, err = renderURL(in, "authorizationUrl", spec.AuthorizationURL, &missing)
		if err != nil {
			return nil, err
		}
	}
	if ep.clientID, err = m.property(ctx, in, spec.ClientID, &missing); err != nil {
		return nil, err
	}
	if withSecret && spec.ClientSecret != "" {
		if ep.secret, err = m.property(ctx, in, spec.ClientSecret, &missing); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		return nil, in.NotConfigured(unique(missing))
	}
	return ep, nil
}

// property returns the value of config property name: a platform secret
// when the property is one, plain config otherwise. A property without a
// value is added to missing.
func (m *Manager) property(ctx context.Context, in *registry.Integration, name string,
	missing *[]string,
) (string, error) {
	if name == "" {
		return "", nil
	}
	if p, ok := configProperty(in, name); ok && p.PlatformSecret != "" {
		b, err := m.secrets.PlatformSecret(ctx, p.PlatformSecret)
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			*missing = append(*missing, name)
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("read %s of %s: %w", name, in.ID(), err)
		}
		defer clear(b)
		return string(b), nil
	}
	v, ok := configString(in, name)
	if !ok {
		*missing = append(*missing, name)
	}
	return v, nil
}

// unique returns names without repeats, in order.
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// configProperty finds property name of in's config schema.
func configProperty(in *registry.Integration, name string) (registry.ConfigProperty, bool) {
	cs := in.Manifest.ConfigSchema
	if cs == nil {
		return registry.ConfigProperty{}, false
	}
	i := slices.IndexFunc(cs.Properties, func(p registry.ConfigProperty) bool {
		return p.Name == name
	})
	if i < 0 {
		return registry.ConfigProperty{}, false
	}
	return cs.Properties[i], true
}

// configString returns plain config property name as text.
func configString(in *registry.Integration, name string) (string, bool) {
	v, ok := in.Config[name]
	if !ok || v == nil {
		return "", false
	}
	s, isString := v.(string)
	if !isString {
		s = fmt.Sprint(v)
	}
	return s, s != ""
}

// renderURL fills the {{config...}} placeholders of raw, which must then
// be an absolute http(s) URL. Placeholders without a value are added to
// missing.
func renderURL(in *registry.Integration, field, raw string, missing *[]string) (string, error) {
	t, err := registry.ParseTemplate(raw)
	if err != nil {
		return "", manifestError(in, field, err.Error())
	}
	var b strings.Builder
	for _, seg := range t.Segments {
		if seg.Ref == nil {
			b.WriteString(seg.Literal)
			continue
		}
		if seg.Ref.NS != registry.NSConfig || len(seg.Ref.Path) != 1 {
			return "", manifestError(in, field, "only {{config.name}} placeholders are allowed")
		}
		v, ok := configString(in, seg.Ref.Path[0])
		if !ok {
			*missing = append(*missing, seg.Ref.Path[0])
		}
		b.WriteString(v)
	}
	if len(*missing) > 0 {
		return "", nil
	}
	u, err := url.Parse(b.String())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", manifestError(in, field, "not an absolute http(s) URL once configured")
	}
	return u.String(), nil
}

// scopes returns the scopes of spec joined as the provider wants them.
func scopes(spec *registry.OAuthSpec) string {
	sep := spec.ScopeSeparator
	if sep == "" {
		sep = " "
	}
	return strings.Join(spec.Scopes, sep)
}

// authCodeURL returns where the browser goes to approve access: the
// authorization endpoint with the client, redirect URI, scopes, state, the
// S256 challenge of verifier (unless "") and the manifest's parameters.
func (ep *endpoint) authCodeURL(state, verifier, redirect string) string {
	c := oauth2.Config{
		ClientID:    ep.clientID,
		Endpoint:    oauth2.Endpoint{AuthURL: ep.authURL, TokenURL: ep.tokenURL},
		RedirectURL: redirect,
	}
	if s := scopes(ep.spec); s != "" {
		c.Scopes = []string{s}
	}
	var opts []oauth2.AuthCodeOption
	keys := make([]string, 0, len(ep.spec.AuthorizationParams))
	for k := range ep.spec.AuthorizationParams {
		if !slices.Contains(reservedParams, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		opts = append(opts, oauth2.SetAuthURLParam(k, ep.spec.AuthorizationParams[k]))
	}
	if verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return c.AuthCodeURL(state, opts...)
}

// usesPKCE reports whether the flow sends a PKCE challenge: unless the
// manifest turns it off.
func usesPKCE(spec *registry.OAuthSpec) bool { return spec.PKCE == nil || *spec.PKCE }
