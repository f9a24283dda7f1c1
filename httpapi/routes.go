package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/rbac"
)

// routes builds the one route table of the server. The paths are spelled
// out rather than nested with Route, so that every route is a leaf of one
// tree and a 405 can list the methods a path allows. Each route that needs
// a permission checks it before its handler reads the body or changes
// anything.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	s.mux = r
	r.Use(s.requestID, s.requestLog, s.recoverPanic, noStore, s.cors, s.limitBody)
	r.NotFound(s.handle(s.notFound))
	r.MethodNotAllowed(s.methodNotAllowed)

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	if s.dlg != nil {
		r.Post(TokenPath, s.exchangeToken)
		r.Get(ResourceMetadataPath, s.resourceMetadata(false))
		r.Get(ResourceMetadataPath+MCPPath, s.resourceMetadata(true))
		r.Get(ServerMetadataPath, s.serverMetadata)
	}

	r.Route("/api/v1", func(r chi.Router) {
		if len(s.schema) > 0 {
			r.Get("/manifest.schema.json", s.manifestSchema)
		}
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate(audit.SurfaceREST))
			s.integrationRoutes(r)
			s.connectionRoutes(r)
			s.accessRoutes(r)
			if s.hooks != nil {
				s.webhookRoutes(r)
			}
		})
		if s.hooks != nil {
			r.Group(s.hookRoutes)
		}
		if s.conns != nil {
			r.Group(s.browserRoutes)
		}
	})

	r.Group(func(r chi.Router) {
		r.Use(s.authenticate(audit.SurfaceMCP))
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
// Listings show each caller only what it may use; action calls are
// authorized by the executor.
func (s *Server) integrationRoutes(r chi.Router) {
	r.Get("/integrations", s.handle(s.listIntegrations))
	r.Group(func(r chi.Router) {
		r.Use(s.require(rbac.IntegrationsDeploy))
		r.Get("/integrations/catalog", s.handle(s.listCatalog))
		r.Post("/integrations/catalog", s.handle(s.uploadManifest))
		r.Post("/integrations/catalog/{id}/deploy", s.handle(s.deploy))
		r.Delete("/integrations/catalog/{id}", s.handle(s.undeploy))
	})

	r.Get("/integrations/{id}", s.handle(s.getIntegration))
	r.With(s.requireManage).Get("/integrations/{id}/config", s.handle(s.getConfig))
	r.With(s.requireManage).Put("/integrations/{id}/config", s.handle(s.putConfig))
	r.Post("/integrations/{id}/actions/{action}", s.handle(s.callAction))
}

// connectionRoutes serves the caller's own connections to an integration.
// Each handler first checks that the caller may connect an account to it
// (see [Server.mayConnect]), and answers not_found otherwise. Without
// Connections only the status route is served, from the manifest alone.
// A delegated request is refused: an agent acting for a user uses their
// connections in calls, but only the user manages them.
func (s *Server) connectionRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.notDelegated)
		r.Get("/integrations/{id}/auth", s.handle(s.getAuth))
		if s.conns == nil {
			return
		}
		r.Delete("/integrations/{id}/auth", s.handle(s.deleteAllConnections))
		r.Post("/integrations/{id}/auth/start", s.handle(s.startAuth))
		r.Post("/integrations/{id}/auth/credentials", s.handle(s.saveCredentials))
		r.Post("/integrations/{id}/auth/delegate", s.handle(s.lendConnection))
		r.Delete("/integrations/{id}/auth/delegate/{grant}", s.handle(s.unlendConnection))
		r.Get("/integrations/{id}/connections", s.handle(s.listConnections))
		r.Patch("/integrations/{id}/connections/{cid}", s.handle(s.renameConnection))
		r.Delete("/integrations/{id}/connections/{cid}", s.handle(s.deleteConnection))
		r.Post("/integrations/{id}/connections/{cid}/refresh", s.handle(s.refreshConnection))
	})
}

// browserRoutes serves the pages a browser opens without a bearer token:
// the OAuth callback (credentials.CallbackPath), whose state is the proof,
// and connect links (credentials.ConnectPath), whose token is. CORS skips
// them (see [Server.cors]), and the request log names their route
// patterns, never the state or the token.
func (s *Server) browserRoutes(r chi.Router) {
	r.Use(publicOrigin)
	r.Get("/integrations/auth/callback", s.callback)
	r.Get("/connect/{token}", s.openConnectLink)
	r.Post("/connect/{token}", s.postConnectLink)
}

// accessRoutes serves who may do what: API keys, roles, permissions,
// offboarding and the audit log.
func (s *Server) accessRoutes(r chi.Router) {
	r.Get("/permissions", s.handle(s.listPermissions))
	if s.dlg != nil {
		r.Post("/delegations", s.handle(s.issueDelegation))
		r.Get("/delegations", s.handle(s.listDelegations))
		r.Delete("/delegations/{jti}", s.handle(s.revokeDelegation))
	}
	r.With(s.require(rbac.RBACManage)).
		Get("/permissions/available", s.handle(s.availablePermissions))

	if s.keys != nil {
		r.Group(func(r chi.Router) {
			r.Use(s.require(rbac.KeysManage))
			r.Post("/keys", s.handle(s.createKey))
			r.Get("/keys", s.handle(s.listKeys))
			r.Delete("/keys/{id}", s.handle(s.revokeKey))
		})
	}
	if s.roles != nil {
		r.Group(func(r chi.Router) {
			r.Use(s.require(rbac.RBACManage))
			r.Get("/roles", s.handle(s.listRoles))
			r.Post("/roles", s.handle(s.createRole))
			r.Patch("/roles/{name}", s.handle(s.updateRole))
			r.Delete("/roles/{name}", s.handle(s.deleteRole))
			r.Post("/roles/assign", s.handle(s.assignRole))
			r.Post("/roles/revoke", s.handle(s.revokeRole))
			r.Get("/roles/assignments", s.handle(s.listAssignments))
		})
	}
	if s.keys != nil && s.roles != nil {
		r.With(s.require(rbac.KeysManage), s.require(rbac.RBACManage)).
			Delete("/principals/{principal}", s.handle(s.removePrincipal))
	}
	if s.audit != nil {
		r.With(s.require(rbac.AuditRead)).Get("/audit", s.handle(s.listAudit))
	}
}
