package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/signing"
)

// Webhooks is what the webhook routes need beyond the store: registering
// endpoints (URL checks, secrets) and manual redelivery.
type Webhooks interface {
	Create(ctx context.Context, tenantID, url string, events []string) (signing.Endpoint, error)
	Retry(ctx context.Context, tenantID, endpointID, attemptID string) (signing.Delivery, error)
}

type endpointWithSecret struct {
	signing.Endpoint
	Secret string `json:"secret"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		URL    *string  `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.URL == nil {
		return signing.Invalid("url", "is required")
	}
	ep, err := s.cfg.Webhooks.Create(r.Context(), tenantFrom(r.Context()).ID, *body.URL, body.Events)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/webhooks/"+ep.ID)
	writeJSON(w, http.StatusCreated, endpointWithSecret{Endpoint: ep, Secret: ep.Secret})
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	eps, err := s.cfg.WebhookStore.Endpoints(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	if eps == nil {
		eps = []signing.Endpoint{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": eps})
	return nil
}

func endpointID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !strings.HasPrefix(id, "ep_") || len(id) > 64 {
		return "", fmt.Errorf("%w: no webhook endpoint %q", signing.ErrNotFound, id)
	}
	return id, nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	ep, err := s.cfg.WebhookStore.Endpoint(r.Context(), tenantFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ep)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.WebhookStore.DeleteEndpoint(r.Context(), tenantFrom(r.Context()).ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	attempts, err := s.cfg.WebhookStore.Attempts(r.Context(), tenantFrom(r.Context()).ID, id, 100)
	if err != nil {
		return err
	}
	if attempts == nil {
		attempts = []signing.Attempt{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": attempts})
	return nil
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Webhooks.Retry(r.Context(), tenantFrom(r.Context()).ID, id, r.PathValue("deliveryId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
