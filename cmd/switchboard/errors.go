package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/switchboard-dev/switchboard"
)

// usageError is a command line the command cannot run; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func isUsage(err error) bool {
	_, ok := errors.AsType[*usageError](err)
	return ok || errors.Is(err, flag.ErrHelp)
}

// reportError prints err for a person at a terminal: the client-safe
// message, and each field problem on its own line.
func reportError(w io.Writer, err error) {
	if ue, ok := errors.AsType[*usageError](err); errors.Is(err, flag.ErrHelp) || ok && ue.msg == "" {
		return
	}
	if e, ok := errors.AsType[*switchboard.Error](err); ok {
		// err.Error() keeps what wrapped the error, such as a file name.
		fmt.Fprintf(w, "switchboard: %s (%s)\n", err.Error(), e.Code)
		if e.Code == switchboard.CodeInternal && e.Cause != nil {
			// The operator at the terminal is the one to act on the cause.
			fmt.Fprintf(w, "  cause: %v\n", e.Cause)
		}
		for _, fe := range e.Errors {
			fmt.Fprintf(w, "  %s: %s\n", fe.Path, fe.Message)
		}
		if e.UpstreamStatus != 0 {
			fmt.Fprintf(w, "  upstream status %d %s\n", e.UpstreamStatus, e.UpstreamCode)
		}
		if e.ConnectURL != "" {
			fmt.Fprintf(w, "  connect link (open it in a browser; it works once, for ten minutes): %s\n",
				e.ConnectURL)
		}
		return
	}
	fmt.Fprintf(w, "switchboard: %v\n", err)
}
