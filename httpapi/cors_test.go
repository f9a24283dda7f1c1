package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.CORSOrigins = []string{"https://app.example"} })
	tests := []struct {
		name, method, origin string
		preflight            bool
		allowed              bool
		status               int
	}{
		{"preflight of a configured origin", http.MethodOptions, "https://app.example", true, true, 204},
		{"preflight of another origin", http.MethodOptions, "https://evil.example", true, false, 0},
		{"request of a configured origin", http.MethodGet, "https://app.example", false, true, 200},
		{"request of another origin", http.MethodGet, "https://evil.example", false, false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, "/api/v1/integrations", nil)
			req.Header.Set("Origin", tt.origin)
			if tt.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "authorization")
			} else {
				req.Header.Set("Authorization", "Bearer "+adminToken)
			}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			if tt.allowed {
				require.Equal(t, tt.origin, rec.Header().Get("Access-Control-Allow-Origin"))
				require.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
			} else {
				require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
			}
			if tt.status != 0 {
				require.Equal(t, tt.status, rec.Code)
			}
			if tt.preflight && tt.allowed {
				require.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), "Authorization")
				require.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), ConnectionHeader)
			}
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}
