package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

func TestReportErrorShowsTheConnectLink(t *testing.T) {
	t.Parallel()
	e := switchboard.Errorf(switchboard.CodeNotConnected,
		"no GitHub account is connected: open the connect link to connect one")
	e.ConnectURL = "http://127.0.0.1:8080/api/v1/connect/abc"
	var b bytes.Buffer
	reportError(&b, e)
	require.Contains(t, b.String(), "(not_connected)")
	require.Contains(t, b.String(), "connect link (open it in a browser; it works once, "+
		"for ten minutes): http://127.0.0.1:8080/api/v1/connect/abc\n")
}
