// Package httpapi serves Switchboard's REST API and mounts its MCP
// transports, on one chi route table.
//
// The package is thin: a handler turns a request into a call of the
// registry or the executor and turns the answer back into JSON. Business
// rules, input validation against schemas and the authorization of action
// calls live behind those calls.
//
// # Routes
//
// Without authentication:
//
//	GET    /healthz                      {"status":"ok"}
//	GET    /readyz                       {"status":"ok"}, or a 503 problem
//	GET    /api/v1/manifest.schema.json  the JSON Schema of manifest.json
//
// With "Authorization: Bearer <token>", under /api/v1:
//
//	GET    /integrations                        the installed set
//	GET    /integrations/catalog                every deployable integration
//	POST   /integrations/catalog                upload a manifest            (D)
//	POST   /integrations/catalog/{id}/deploy    deploy it                    (D)
//	DELETE /integrations/catalog/{id}           undeploy; ?purge=true also   (D)
//	                                            deletes its own data
//	GET    /integrations/{id}                   one installed integration
//	GET    /integrations/{id}/config            which properties are set
//	PUT    /integrations/{id}/config            merge config values          (C)
//	POST   /integrations/{id}/actions/{action}  run an action; the body is its input
//
// (D) needs the permission admin:integrations.deploy. (C) needs
// admin:integrations.configure, and admin:secrets.manage as well when the
// body names a platformSecret property. Action calls are authorized by the
// executor, per action.
//
// Also with a bearer token: the streamable HTTP MCP transport at /mcp (any
// method), and the legacy SSE transport at /sse and /message.
//
// # Requests and answers
//
// Every request gets an id ([RequestIDHeader], echoed and logged), runs
// under panic recovery and a body limit, and is logged in one line that
// names the route pattern, never headers, query strings or bodies. Every
// REST answer carries Cache-Control: no-store. JSON bodies are camelCase; a
// body whose shape the API defines refuses unknown fields.
//
// # Errors
//
// Failures are answered as application/problem+json in the shape of
// [Problem], with the status of the error's [switchboard.Code]. A method a
// route does not serve is a 405 with an Allow header. An error that is not
// a *switchboard.Error is answered as code internal with the detail
// "internal error", and its cause goes to the log only.
package httpapi
