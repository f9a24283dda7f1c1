// Package switchboard holds the few types every other package speaks: the
// [Error] that carries a stable code to clients, and the [Principal] on whose
// behalf a request runs.
//
// The packages below it do the work: registry (manifests, catalog, installed
// set), executor (the one path of every action call), backend (reaching the
// service), vault (secrets at rest), identity (bearer tokens), and the
// surfaces httpapi and mcp. docs/architecture.md explains how they fit.
package switchboard
