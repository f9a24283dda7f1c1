// Package delegation issues and checks the tokens with which an agent acts
// for a user.
//
// A delegation token is a JWT signed with Ed25519 (alg EdDSA, typ
// [TokenType], the signing key's id as kid): iss and aud are this server,
// sub the user ("user:alice"), act.sub the agent ("agent:bot"), scope the
// permission keys it may use (space-separated, as in RFC 8693), jti its
// id, with iat, nbf and a short exp. Every issued token has a record in
// the store, which is the authority on its user, agent and scope and on
// whether it is revoked: [Service.Verify] reads it on every request, so a
// revocation takes effect at once on every process sharing the database.
//
// A delegated request is allowed a permission only when the user holds it,
// the agent holds it, and the scope names it (rbac checks this when the
// request's context carries the [switchboard.Delegation]); a permission the
// user loses after issuing a token is lost for the agent at once.
//
// Signing keys are made on first use and kept in the vault (scope
// [VaultScope]); the store keeps their public halves. [Service.RotateKey]
// makes a new key that signs from then on; the retired keys keep verifying
// the tokens they signed until those have expired, and are removed later.
package delegation
