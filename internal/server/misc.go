package server

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/signing"
)

// maxCallbackBody bounds a provider callback (Digio's carries the document details).
const maxCallbackBody = 5 << 20

func (s *Server) callback(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err != nil {
		return readError(err)
	}
	if err := s.cfg.Service.HandleCallback(r.Context(), r.PathValue("provider"), r.Header, body); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
	return nil
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) error {
	k := keyFrom(r.Context())
	pair, err := s.cfg.Issuer.Issue(r.Context(), k.Tenant.ID, k.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pair)
	return nil
}

func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) error {
	var token string
	var seen bool
	err := decodeJSON(r, func(d *decoder, name string) error {
		if name == "refreshToken" {
			return d.str(name, &token, &seen)
		}
		return d.unknown("", name)
	})
	if err != nil {
		return err
	}
	if token == "" {
		return signing.Invalid("refreshToken", "is required")
	}
	pair, err := s.cfg.Issuer.Refresh(r.Context(), token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pair)
	return nil
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) error {
	t := tenantFrom(r.Context())
	writeJSON(w, http.StatusOK, api.Ping{Tenant: t.Name, TenantID: t.ID})
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, api.Health{Status: "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		return signing.Wrap(signing.ErrUnavailable, err, "the database cannot be reached")
	}
	writeJSON(w, http.StatusOK, api.Health{Status: "ok"})
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	if len(s.cfg.Spec) == 0 {
		return signing.Errorf(signing.ErrNotFound, "this server has no OpenAPI document")
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.cfg.Spec)
	return nil
}
