// Package registry knows the integrations: it parses and validates
// manifests, keeps the catalog of what can be deployed (the examples built
// into the binary, catalog folders, uploads), and holds the installed set.
//
// # Manifests
//
// [Parse] reads a manifest, keeps the fields Switchboard does not use (and
// says so in warnings), refuses unknown fields in Switchboard's own blocks,
// and reports every problem at once, each at its JSON path. Templates
// ({{input.x}}, {{config.x}}, {{secrets.x}}, {{connection.x}}, {{user.id}})
// are checked at deploy: what they name must exist, and nothing but the
// administrator's config may decide the scheme or host of a request.
//
// # The installed set
//
// Deploying copies a manifest into the store; [Registry] keeps the installed
// set as an immutable [Snapshot] of compiled integrations (schemas,
// templates, config with defaults, tool names) behind an atomic pointer, and
// rebuilds it when the store's change feed moves, whichever process changed
// it. A call holds one snapshot from start to end, so a redeploy never
// changes an action under a call in flight.
//
// # Tool names
//
// [ToolNames] gives every action a name unique in the installed set,
// deterministic from the order in which actions were first deployed.
package registry
