// Package backend is how an action reaches its service: it renders the
// action's compiled request block with the call's values and performs it
// through one hardened HTTP client.
//
// # Rendering
//
// [HTTP.Run] fills every template of a [registry.Request] from [Values]. A
// template that is exactly one placeholder keeps its value's JSON type in a
// JSON body, and drops its field (object member, array item, query
// parameter, header or form field) when the input leaves the value out. A
// placeholder inside longer text renders as text, and as "" when absent.
// Each value is escaped for where it lands: a URL path segment keeps only
// RFC 3986 unreserved characters literal, a query is query-escaped, a header
// refuses control characters, a form flattens objects and arrays as
// metadata[key]=v and items[0][price]=p.
//
// Only the administrator's config decides where a request goes: a
// {{config...}} placeholder at the very start of the URL is the base URL,
// inserted as is; the rendered URL must keep the scheme and host it has when
// every input, connection and user value is replaced by a harmless letter.
//
// # The client
//
// Every request goes through [HTTP.Client], which refuses to dial link-local
// and cloud metadata addresses, and loopback and private ones unless
// [Config.AllowPrivateNetwork] is set (see [CheckAddr]). It reads no proxy
// from the environment, requires TLS 1.2, follows at most five redirects and
// never follows a redirect to another host, or from https to http, when the
// request carries credentials.
//
// # Answers and errors
//
// A 2xx answer becomes the action's output after the response block's
// errorWhen and pick; anything else, an unreachable service or an answer
// larger than [Config.MaxResponseBytes] is an upstream_error, and a call that
// outlives the action's timeout is a timeout. Every error is a
// *[switchboard.Error].
//
// # Redaction
//
// A service may echo the credentials it was sent, so every secret and
// connection value that went into the request is replaced by "[redacted]"
// in every message, in the service's error code and in the output itself.
// A credential is found in any letter case, as sent, query-escaped or
// path-escaped, as the base64 of a basic auth pair, and with any of its
// characters written as a JSON escape (\/, \u002B) or an HTML character
// reference (&#43;, &amp;). In a JSON output only the strings that hold a
// credential change (a number or literal that holds one becomes the string
// "[redacted]"); member order, numbers and spacing stay as the service sent
// them, and the output stays valid JSON. An output in which a credential
// spans several JSON tokens is an upstream_error. An answer that holds no
// credential costs one scan and is not copied.
package backend
