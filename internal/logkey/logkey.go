// Package logkey lists the attribute keys of Switchboard's structured logs, so
// that every package spells them the same way.
package logkey

// Attribute keys, snake_case.
const (
	Err         = "err"
	RequestID   = "request_id"
	Principal   = "principal"
	Integration = "integration"
	Action      = "action"
	Tool        = "tool"
	Version     = "version"
	Duration    = "duration_ms"
	Status      = "status"
	Code        = "code"
	Method      = "method"
	Path        = "path"
	Surface     = "surface"
	Addr        = "addr"
	File        = "file"
	Store       = "store"
	Count       = "count"
	Source      = "source"
	Warning     = "warning"
	Change      = "change"
	Session     = "session"
	Host        = "host"
	Route       = "route"
	Panic       = "panic"
	Stack       = "stack"
	KeyID       = "key_id"
	Issuer      = "issuer"
	Chain       = "chain"
	NextChain   = "next_chain"
	Connection  = "connection"
)
