package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// maxCallbackBody bounds a provider callback (Digio's carries the document details).
const maxCallbackBody = 5 << 20

func (s *Server) callback(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err != nil {
		return err
	}
	if err := s.cfg.Service.HandleCallback(r.Context(), r.PathValue("provider"), r.Header, body); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
	return nil
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) error {
	pair, err := s.cfg.Issuer.Issue(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pair)
	return nil
}

func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		RefreshToken *string `json:"refreshToken"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.RefreshToken == nil || *body.RefreshToken == "" {
		return signing.Invalid("refreshToken", "is required")
	}
	pair, err := s.cfg.Issuer.Refresh(r.Context(), *body.RefreshToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pair)
	return nil
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) error {
	t := tenantFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]string{"tenant": t.Name, "tenantId": t.ID})
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		return fmt.Errorf("%w: database not reachable", signing.ErrUnavailable)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	if len(s.cfg.Spec) == 0 {
		return fmt.Errorf("%w: no OpenAPI document configured", signing.ErrNotFound)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.cfg.Spec)
	return nil
}
