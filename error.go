package switchboard

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error class. Clients branch on it; its
// HTTP status is fixed by [Code.Status].
type Code string

// The error codes of the client contract. Their statuses are listed in
// docs/architecture.md and never change once published.
const (
	CodeInvalidRequest  Code = "invalid_request"
	CodeUnauthenticated Code = "unauthenticated"
	CodeForbidden       Code = "forbidden"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodeNotConfigured   Code = "not_configured"
	CodeNotConnected    Code = "not_connected"
	CodeTooLarge        Code = "too_large"
	CodeInvalidInput    Code = "invalid_input"
	CodeRateLimited     Code = "rate_limited"
	CodeNotImplemented  Code = "not_implemented"
	CodeUpstream        Code = "upstream_error"
	CodeTimeout         Code = "timeout"
	CodeInternal        Code = "internal"
)

var codeStatus = map[Code]int{
	CodeInvalidRequest:  400,
	CodeUnauthenticated: 401,
	CodeForbidden:       403,
	CodeNotFound:        404,
	CodeConflict:        409,
	CodeNotConfigured:   409,
	CodeNotConnected:    409,
	CodeTooLarge:        413,
	CodeInvalidInput:    422,
	CodeRateLimited:     429,
	CodeNotImplemented:  501,
	CodeUpstream:        502,
	CodeTimeout:         504,
	CodeInternal:        500,
}

// Status returns the HTTP status of c; an unknown code is a 500.
func (c Code) Status() int {
	if s, ok := codeStatus[c]; ok {
		return s
	}
	return 500
}

// FieldError is one problem with one part of a client's input: a JSON
// pointer or JSON path, and what is wrong there.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Error is the one error type that crosses package boundaries toward
// clients. Message is safe to show anyone who may make the request; Cause is
// for the log only and may hold driver or network detail. Neither ever holds
// a secret.
type Error struct {
	Code    Code
	Message string

	// Errors lists every problem of an invalid_input error.
	Errors []FieldError
	// Missing names the config properties of a not_configured error.
	Missing []string
	// Permission names what a forbidden caller lacks.
	Permission string
	// UpstreamStatus and UpstreamCode describe an upstream_error: the
	// service's HTTP status and its own error code, when it gave one.
	UpstreamStatus int
	UpstreamCode   string
	// ConnectURL is where the user of a not_connected error connects an
	// account: a single-use link a browser opens without a bearer token.
	ConnectURL string

	Cause error
}

// Error implements error with the client-safe message.
func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with code and a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code and message whose cause is err; err is
// logged but never shown to clients.
func Wrap(code Code, err error, message string) *Error {
	return &Error{Code: code, Message: message, Cause: err}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// [CodeInternal] when there is none. A nil err has no code.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the *Error in err's chain, or an internal error whose
// message reveals nothing of err.
func AsError(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Cause: err}
}
