package httpapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard/identity"
)

// keyView is how clients see an API key: never the key, never its hash.
type keyView struct {
	ID         string     `json:"id"`
	Principal  string     `json:"principal"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

func newKeyView(k identity.APIKey) keyView {
	return keyView{ID: k.ID, Principal: k.Principal, Name: k.Name,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt}
}

type keyRequest struct {
	Principal string `json:"principal"`
	Name      string `json:"name"`
}

// createdKey is the answer to a key's creation: the one time the key
// itself is shown.
type createdKey struct {
	ID        string    `json:"id"`
	Principal string    `json:"principal"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	Key       string    `json:"key"`
}

// createKey makes an API key for the body's principal and answers it, the
// key included; it is never shown again nor logged.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req keyRequest
	if err := readJSON(r, s.maxBody, &req); err != nil {
		return err
	}
	p, err := bodyPrincipal(req.Principal)
	if err != nil {
		return err
	}
	key, k, err := s.keys.CreateKey(r.Context(), p, req.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdKey{ID: k.ID, Principal: k.Principal,
		Name: k.Name, CreatedAt: k.CreatedAt, Key: key})
}

type keyList struct {
	Keys []keyView `json:"keys"`
}

// listKeys answers the keys of ?principal=, or every key, oldest first.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := queryPrincipal(r)
	if err != nil {
		return err
	}
	keys, err := s.keys.ListKeys(r.Context(), p)
	if err != nil {
		return err
	}
	out := keyList{Keys: make([]keyView, 0, len(keys))}
	for _, k := range keys {
		out.Keys = append(out.Keys, newKeyView(k))
	}
	return writeJSON(w, http.StatusOK, out)
}

// revokeKey deletes the key {id}; it answers 204, or not_found.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.keys.RevokeKey(r.Context(), chi.URLParam(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
