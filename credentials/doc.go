// Package credentials decides which credentials a call gets when it runs
// with a connection, and keeps connections: a user's OAuth 2.0 tokens or
// credential form for one integration (several per user, each labelled),
// or the platform's own client-credentials token.
//
// A [Manager] serves every flow on a [Store] shared by any number of
// processes. Credentials reach the store only sealed by the vault, under
// scope [VaultScope] and the connection's id, so a sealed value moved to
// another connection fails to open; no error, log line or audit entry of
// this package carries a token, a client secret, a PKCE verifier or a
// form's value.
//
// # Connecting
//
// [Manager.Start] begins a flow for a user. For OAuth 2.0 (the
// authorization code grant, with PKCE S256 unless the manifest turns it
// off) it stores a state, single use, valid ten minutes and bound to the
// user, the sealed PKCE verifier and where the browser returns, then
// returns the provider's authorization URL. The provider sends the browser
// to [CallbackPath]; [Manager.Callback] takes the state out of the store
// before anything else, so a replayed state fails even when the first use
// failed too, exchanges the code and stores the tokens as a connection. A
// credential form is checked against the manifest's schema by
// [Manager.SaveCredentials] and stored the same way.
//
// # Calls
//
// [Manager.Resolve] gives a call the fields of the caller's connection:
// the one named by id when the caller owns it, else their oldest active
// one. Without one it answers not_connected with a connect link
// ([Manager.ConnectLink]): single use, valid ten minutes, bound to the user
// and integration, opened by a browser without a bearer token
// ([Manager.OpenLink], [Manager.StartLink], [Manager.SaveLinkCredentials]).
// A dead connection answers not_connected at once, without contacting the
// provider, until the user connects again; the link it carries renews the
// dead connection in place, keeping its id.
//
// # Refresh
//
// A token is renewed before it expires (within five minutes, or the
// manifest's refreshMargin, never more than half its lifetime), or, under
// the on_expiry policy or without a refresh token, once it has. One
// renewal per connection runs at a time: callers in one process share it,
// and processes take a lease row in the store with an expiry, so no lock is
// held while the provider answers and a crashed holder only delays the
// others. A process that finds the lease taken uses the current token while
// it still works, and otherwise waits and then reads what the holder
// stored. The holder stores the new tokens (keeping the refresh token when
// the answer has none) before it hands out the new access token, so a
// rotated refresh token is never lost to a crash after use.
//
// Token answers may be JSON, form-encoded, or JSON with the fields where
// the manifest's tokenFields say; expires_in decides the expiry. An empty
// or HTML answer, a 5xx or no answer at all is retryable and leaves the
// stored tokens untouched. invalid_grant marks the connection dead with the
// provider's error. A client-credentials grant is the platform's connection,
// granted on first use and again on expiry.
//
// # Audit
//
// With an [Auditor], connections made, renewed and deleted, and refreshes
// that fail, are recorded ([audit.EventConnectionCreate],
// [audit.EventConnectionDelete], [audit.EventConnectionRefreshFailed]) on behalf of the
// request's audit origin.
package credentials
