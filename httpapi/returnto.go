package httpapi

import (
	"net/url"

	"github.com/switchboard-dev/switchboard/credentials"
)

// returnURL returns raw with the query parameters of set set, the rest of
// its query and its fragment kept.
func returnURL(raw string, set url.Values) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	for k, v := range set {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// returnAllowed reports whether raw is a returnTo the server's allow-list
// accepts.
func (s *Server) returnAllowed(raw string) bool {
	return credentials.ReturnToAllowed(s.returns, raw)
}
