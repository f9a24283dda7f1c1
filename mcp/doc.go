// Package mcp serves the installed integrations to MCP clients, over stdio,
// streamable HTTP and the older HTTP+SSE transport, on mark3labs/mcp-go
// (imported as mcpgo and mcpserver so that this package keeps its name).
//
// # Tools
//
// Every installed action is a tool named as the registry names it, with the
// action's own input schema. Two built-in tools complete them:
// list_integrations describes what is installed, with each manifest's
// instructions, and call_integration runs any action by integration id and
// action id. Every call goes through the executor, so a tool call, a
// call_integration call and a REST call fail the same way.
//
// # Results
//
// An action's output is returned as text, and also as structuredContent
// when it is a JSON object. A failure the model can act on (bad input, a
// missing permission, an integration not configured, the service refusing)
// is a result flagged isError whose text says what to do next; only
// internal faults are protocol errors.
//
// # Changes
//
// [Server.Run] follows the registry: when the installed set changes, by this
// process or any other on the store, clients receive
// notifications/tools/list_changed.
package mcp
