// Package identity turns a bearer token into the caller that presented it:
// a [switchboard.Principal] and, for an external token, the roles the token
// claims for it.
//
// [Authenticator.AuthenticateRequest] reads the token's shape: "sbk_..." is
// an API key, three dot-separated parts are a JWT, anything else is
// refused. Every refusal is a *switchboard.Error with CodeUnauthenticated;
// no token is ever logged, echoed or kept.
//
// # API keys
//
// API keys are "sbk_" followed by 32 random bytes in unpadded base64url,
// for users, agents and apps. The store holds only their SHA-256, so a
// stolen database yields no usable key; a key is shown once, when it is
// created. Lookup is by hash, compared again in constant time. Keys found
// are cached by hash until [Authenticator.Flush] (which the change feed
// drives) or a revocation made through the Authenticator, which takes
// effect on this process's next request. The first start of an empty store
// creates the administrator's key ([Authenticator.Bootstrap]).
//
// # Last use
//
// A key's last use ([APIKey.LastUsedAt]) is written down by the first
// request of each minute that a process authenticates with the key, while
// that request waits (two seconds at most), and never fails it. It is
// therefore the time of a use at most a minute older than the true last
// use, or older when a write failed (each failure is logged). Writing it
// records no change in the change feed.
//
// # External tokens
//
// JWTs come from the deployment's own login: OpenID Connect issuers, whose
// signing keys are found by discovery and fetched from their JWKS (cached,
// and fetched again when a token names an unknown key, at most once every
// ten seconds per issuer), or a platform that signs its own sessions with
// a shared HS256 secret ([JWTConfig]). A token's iss picks the verifier;
// the signature, issuer, audience, expiry (required), not-before and
// issued-at are checked with a small leeway for clock skew. Only the
// algorithms a verifier expects are accepted: the asymmetric ones an OIDC
// issuer advertises, HS256 for the shared secret, never "none". The sub
// claim becomes the principal user:<sub>; a configured roles claim gives
// the roles the caller claims, which authorization adds to the principal's
// own.
package identity
