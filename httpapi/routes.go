package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Permission keys the administrative routes require.
const (
	permDeploy    = "admin:integrations.deploy"
	permConfigure = "admin:integrations.configure"
	permSecrets   = "admin:secrets.manage"
)

// routes builds the one route table of the server.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	s.mux = r
	r.Use(s.requestID, s.requestLog, s.recoverPanic, noStore, s.limitBody)
	r.NotFound(s.handle(s.notFound))
	r.MethodNotAllowed(s.methodNotAllowed)

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)

	r.Route("/api/v1", func(r chi.Router) {
		if len(s.schema) > 0 {
			r.Get("/manifest.schema.json", s.manifestSchema)
		}
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate)
			s.integrationRoutes(r)
		})
	})

	r.Group(func(r chi.Router) {
		r.Use(s.authenticate)
		if s.mcp != nil {
			r.Mount("/mcp", s.mcp)
		}
		if s.sse != nil {
			r.Handle("/sse", s.sse)
			r.Handle("/message", s.sse)
		}
	})
	return r
}

// integrationRoutes serves /api/v1/integrations to authenticated callers.
// The paths are spelled out rather than nested with Route, so that every
// route is a leaf of one tree and a 405 can list the methods a path allows.
func (s *Server) integrationRoutes(r chi.Router) {
	r.Get("/integrations", s.handle(s.listIntegrations))
	r.Get("/integrations/catalog", s.handle(s.listCatalog))
	r.Group(func(r chi.Router) {
		r.Use(s.require(permDeploy))
		r.Post("/integrations/catalog", s.handle(s.uploadManifest))
		r.Post("/integrations/catalog/{id}/deploy", s.handle(s.deploy))
		r.Delete("/integrations/catalog/{id}", s.handle(s.undeploy))
	})

	r.Get("/integrations/{id}", s.handle(s.getIntegration))
	r.Get("/integrations/{id}/config", s.handle(s.getConfig))
	r.With(s.require(permConfigure)).Put("/integrations/{id}/config", s.handle(s.putConfig))
	r.Post("/integrations/{id}/actions/{action}", s.handle(s.callAction))
}
