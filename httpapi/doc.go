// Package httpapi serves Switchboard's REST API and mounts its MCP
// transports, on one chi route table.
//
// The package is thin: a handler turns a request into a call of the
// registry, the executor, the authorizer, the key store, the audit log or
// the connection manager, and turns the answer back into JSON or, for the
// pages a browser opens, HTML. Beyond choosing the permission a
// route needs, business rules, input validation against schemas and the
// authorization of action calls live behind those calls.
//
// # Routes
//
// Without authentication:
//
//	GET    /healthz                      {"status":"ok"}
//	GET    /readyz                       {"status":"ok"}, or a 503 problem
//	GET    /api/v1/manifest.schema.json  the JSON Schema of manifest.json
//
// Served when [Config] provides Delegations (see "Delegation" below):
//
//	POST   /oauth/token                             token exchange (RFC 8693)
//	GET    /.well-known/oauth-authorization-server  its metadata (RFC 8414)
//	GET    /.well-known/oauth-protected-resource    the API's and the MCP
//	GET    /.well-known/oauth-protected-resource/mcp  endpoint's (RFC 9728)
//
// Pages a browser opens without a bearer token, served when [Config]
// provides Connections (see "Connecting accounts" below):
//
//	GET    /api/v1/integrations/auth/callback  the OAuth redirect URI; the
//	                                           state is the proof
//	GET    /api/v1/connect/{token}             follow a connect link; the
//	POST   /api/v1/connect/{token}             token is the proof
//
// Webhook deliveries from services, served when [Config] provides
// Webhooks; the listener's token is the proof, and the signature of the
// integration's scheme is checked before anything is stored:
//
//	POST   /api/v1/hooks/{token}               200 once the event is stored
//	                                           (or was already), 401 with
//	                                           no detail when refused, 413
//	                                           past the integration's cap
//
// With "Authorization: Bearer <token>", under /api/v1; the letters name
// the permission a route needs, listed below:
//
//	GET    /integrations                        the installed integrations the
//	                                            caller may see
//	GET    /integrations/catalog                every deployable integration (D)
//	POST   /integrations/catalog                upload a manifest            (D, S*)
//	POST   /integrations/catalog/{id}/deploy    deploy it                    (D, S*)
//	DELETE /integrations/catalog/{id}           undeploy; ?purge=true also   (D)
//	                                            deletes its own data
//	GET    /integrations/{id}                   one installed integration
//	GET    /integrations/{id}/config            which properties are set     (M)
//	PUT    /integrations/{id}/config            merge config values          (M, S*)
//	POST   /integrations/{id}/actions/{action}  run an action; the body is its input
//
//	POST   /keys                     {principal, name}: a key, shown once   (K)
//	GET    /keys                     keys, never their secret; ?principal=  (K)
//	DELETE /keys/{id}                revoke one key                         (K)
//	DELETE /principals/{principal}   revoke every key and role of it,       (K, R)
//	                                 URL-escaped: user%3Aalice
//
//	GET    /roles                    every role                             (R)
//	POST   /roles                    {name, description, permissions,       (R)
//	                                 inherits}: create a role
//	PATCH  /roles/{name}             change any of those but the name       (R)
//	DELETE /roles/{name}             delete a role and its assignments      (R)
//	POST   /roles/assign             {principal, role}                      (R)
//	POST   /roles/revoke             {principal, role}                      (R)
//	GET    /roles/assignments        assignments; ?principal=               (R)
//
//	POST   /delegations              {agent, scope, ttl}: a delegation
//	                                 token for agent acting for the calling
//	                                 user, shown once
//	GET    /delegations              those the caller issued or received
//	DELETE /delegations/{jti}        revoke one (its user, its agent, or K)
//
//	GET    /permissions              the caller's own permissions
//	GET    /permissions/available    the keys that can be granted now       (R)
//	GET    /audit                    a page of audit entries, newest first; (A)
//	                                 ?actor= &integration= &action= &outcome=
//	                                 &since= &until= &before= &limit=
//
// Webhooks, served when [Config] provides Webhooks:
//
//	GET    /integrations/{id}/webhooks         {url, events, scheme}     (M)
//	POST   /integrations/{id}/webhooks/rotate  a new url; the old one    (M)
//	                                           stops at once
//	GET    /integrations/{id}/events           {events, next}; ?after=   (E)
//	                                           &limit= (1 to 1000)
//	GET    /events/stream?integration={id}     server-sent events from   (E)
//	                                           Last-Event-ID on
//	POST   /subscriptions                      {integration, events,     (E)
//	                                           url}: 201 with its secret,
//	                                           shown once
//	GET    /subscriptions                      {subscriptions}; ?integration=
//	GET    /subscriptions/{sid}                one subscription          (E)
//	DELETE /subscriptions/{sid}                remove it: 204            (E)
//	GET    /subscriptions/{sid}/deliveries     its latest deliveries     (E)
//	POST   /subscriptions/{sid}/deliveries/{did}/redeliver
//	                                           send one again now: 202   (E)
//
// A subscription is seen and changed by its owner, while it holds (E), and
// by the integration's managers; to others it is not_found. Only a
// principal holding (E) through its assigned roles, with its own
// credentials (not a delegation), may make one.
//
// The caller's own connections, under /integrations/{id}:
//
//	GET    /auth                        {connected, connectionCount,    (C)
//	                                    deadCount, model}
//	POST   /auth/start                  {returnTo?}: {type: "redirect", (C)
//	                                    url} (a connect link, never the
//	                                    provider's URL) or {type:
//	                                    "credentials", schema}
//	POST   /auth/credentials            {credentials, label?}: 201      (C)
//	                                    {connectionId}
//	DELETE /auth                        all of them: {deleted}          (C)
//	GET    /connections                 {connections: [...]}, oldest    (C)
//	                                    first, never a credential
//	PATCH  /connections/{cid}           {label}: the connection         (C)
//	DELETE /connections/{cid}           remove one: 204                 (C)
//	POST   /connections/{cid}/refresh   renew its token now: the        (C)
//	                                    connection
//	POST   /auth/delegate               {agent, connectionId}: lend it  (C)
//	                                    to an agent acting alone
//	DELETE /auth/delegate/{grant}       take it back                    (C)
//
// (D) needs admin:integrations.deploy; (S*) admin:secrets.manage as well
// when the manifest, or the config body, names a platformSecret property.
// (M) needs integration:{id}:manage or admin:integrations.configure. (E)
// needs integration:{id}:events of the subscription's integration; a
// subscription listing shows only those. (K)
// needs admin:keys.manage, (R) admin:rbac.manage, (A) admin:audit.read. A
// caller lacking one is answered a forbidden problem naming it, before
// anything changes. Action calls are authorized by the executor, per
// action. (C) needs the right to call one of the integration's actions, or
// integration:{id}:manage; a caller without it is answered not_found, as
// for an integration not deployed.
//
// The keys, roles, principals, audit and connection routes are served when
// [Config] provides what they call; otherwise their paths are unrouted,
// except GET /integrations/{id}/auth, which then answers from the manifest
// and config alone.
//
// Also with a bearer token: the streamable HTTP MCP transport at /mcp (any
// method), and the legacy SSE transport at /sse and /message.
//
// # Delegation
//
// A delegation token authenticates its agent; the request's context then
// carries the switchboard.Delegation, which narrows every permission check
// to what the user, the agent and the scope all allow. A delegated request
// is refused (forbidden) on the connection routes and cannot issue
// delegations. A 401 carries WWW-Authenticate with the resource_metadata
// URL of RFC 9728 (the MCP one under /mcp). The token endpoint answers
// RFC 6749 errors: invalid_request (a missing or repeated parameter, a
// refused subject_token or actor_token), invalid_scope (a key the user
// does not hold), invalid_target (an audience or resource other than this
// server) and unsupported_grant_type.
//
// # Who may see what
//
// Listing is deny by default. GET /integrations lists an integration when
// the caller may call one of its actions, manages it, or deploys
// integrations; it shows the actions the caller may call, or all of them
// to a manager or deployer. GET /integrations/{id} answers the same view,
// and not_found, as for an integration not deployed, when the caller may
// see nothing of it.
//
// # Connecting accounts
//
// Connections are always the caller's own: a connection id of another
// user is not_found. GET .../auth reports the model of the integration's
// credentials: "oauth2", "credentials", "redirect", or "platform" when its
// calls use the platform's (no userAuth, or a client-credentials grant);
// a platform integration is connected when it is configured and has no
// connections to count. POST .../auth/start on a platform integration
// answers {type: "config", schema, missing} to whoever may configure it
// (integration:{id}:manage or admin:integrations.configure), and
// not_configured to other callers.
//
// The returnTo of auth/start must start with one of [Config.ReturnTo] (at
// a path boundary), or the start is invalid_request. After the callback,
// the browser is sent there (303) with ?connected=<integration id>&
// connection=<connection id>, or ?error=<code>&integration=<integration
// id>; without a returnTo it is shown a page saying what happened.
//
// The callback and connect link pages are text/html under a content
// security policy that allows no script (default-src 'none'), may not be
// framed, send no referrer and are never cached; every value on them is
// escaped, and none holds a state, code, token or credential. A connect
// link to an OAuth 2.0 integration redirects (302) to the provider as the
// link's user; one to a credential form shows the form, naming the user
// it connects for, and the form posts back to the link. A link that is
// unknown, used or expired is a 410 page.
//
// # Requests and answers
//
// Every request gets an id ([RequestIDHeader], echoed and logged), runs
// under panic recovery and a body limit, and is logged in one line that
// names the route pattern, never headers, query strings or bodies. An
// authenticated request carries its principal (identity.FromContext), the
// roles its token claims (rbac.WithClaimedRoles) and its audit.Origin,
// with surface "mcp" on the MCP transports and "rest" elsewhere. Every
// REST answer carries Cache-Control: no-store. The callback and connect
// link routes get no CORS headers. JSON bodies are camelCase;
// a body whose shape the API defines refuses unknown fields.
//
// # Errors
//
// Failures are answered as application/problem+json in the shape of
// [Problem], with the status of the error's [switchboard.Code]. A method a
// route does not serve is a 405 with an Allow header. An error that is not
// a *switchboard.Error is answered as code internal with the detail
// "internal error", and its cause goes to the log only. The callback and
// connect link pages show a failure as a page instead, with the status of
// its code (410 for a link that can no longer be used).
package httpapi
