package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
)

// Webhooks is what the webhook routes need beyond the store: registering
// endpoints (URL checks, secrets) and manual redelivery.
type Webhooks interface {
	Create(ctx context.Context, tenantID, url string, events []string) (signing.Endpoint, error)
	Retry(ctx context.Context, tenantID, endpointID, attemptID string) (signing.Delivery, error)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var url string
	var events []string
	var seenURL, seenEvents bool
	err := decodeJSON(r, func(d *decoder, name string) error {
		switch name {
		case "url":
			return d.str(name, &url, &seenURL)
		case "events":
			seenEvents = true
			return d.strings(name, &events)
		}
		return d.unknown("", name)
	})
	if err != nil {
		return err
	}
	if !seenURL {
		return signing.Invalid("url", "is required")
	}
	if seenEvents && len(events) == 0 {
		return signing.Invalid("events", "must list at least one event type; omit it for all of them")
	}
	ep, err := s.cfg.Webhooks.Create(r.Context(), tenantFrom(r.Context()).ID, url, events)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/webhooks/"+ep.ID)
	out := present.Endpoint(ep)
	out.Secret = ep.Secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	eps, err := s.cfg.Store.Endpoints(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.WebhookEndpointList{Data: present.Endpoints(eps)})
	return nil
}

func endpointID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !strings.HasPrefix(id, "ep_") || len(id) > 64 {
		return "", signing.Errorf(signing.ErrNotFound, "there is no webhook endpoint %q", clip(id))
	}
	return id, nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	ep, err := s.cfg.Store.Endpoint(r.Context(), tenantFrom(r.Context()).ID, id)
	if err != nil {
		return endpointErr(err, id)
	}
	writeJSON(w, http.StatusOK, present.Endpoint(ep))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteEndpoint(r.Context(), tenantFrom(r.Context()).ID, id); err != nil {
		return endpointErr(err, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	limit, after, err := deliveriesPage(r)
	if err != nil {
		return err
	}
	attempts, more, err := s.cfg.Store.AttemptsAfter(r.Context(), tenantFrom(r.Context()).ID, id, limit, after)
	if err != nil {
		return endpointErr(err, id)
	}
	resp := api.DeliveryList{Data: present.Attempts(attempts)}
	if more && len(attempts) > 0 {
		last := attempts[len(attempts)-1]
		resp.NextCursor = encodeAttemptCursor(signing.Cursor{CreatedAt: last.AttemptedAt, ID: last.ID})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// deliveriesPage reads the limit (1–100, default 20) and cursor of
// GET /webhooks/{id}/deliveries.
func deliveriesPage(r *http.Request) (int, *signing.Cursor, error) {
	q, err := query(r, "limit", "cursor")
	if err != nil {
		return 0, nil, err
	}
	v := &signing.ValidationError{}
	limit := 20
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			v.Add("limit", "must be a whole number from 1 to 100")
		}
		limit = n
	}
	var after *signing.Cursor
	if c := q.Get("cursor"); c != "" {
		cur, err := decodeAttemptCursor(c)
		if err != nil {
			v.Add("cursor", "is not a cursor this API returned")
		}
		after = &cur
	}
	return limit, after, v.Err()
}

// attemptIDPrefix starts every delivery attempt's id (att_<uuidv7>).
const attemptIDPrefix = "att_"

// encodeAttemptCursor is the opaque cursor of a position in an endpoint's
// attempts: a session cursor of the attempt's time and the UUID in its
// id.
func encodeAttemptCursor(c signing.Cursor) string {
	c.ID = strings.TrimPrefix(c.ID, attemptIDPrefix)
	return encodeCursor(c)
}

// decodeAttemptCursor reads encodeAttemptCursor's cursor; an error for
// anything else.
func decodeAttemptCursor(s string) (signing.Cursor, error) {
	c, err := decodeCursor(s)
	c.ID = attemptIDPrefix + c.ID
	return c, err
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

// endpointErr words a store's "not found" for the client.
func endpointErr(err error, id string) error {
	if errors.Is(err, signing.ErrNotFound) {
		return signing.Wrap(signing.ErrNotFound, err, "there is no webhook endpoint %q", id)
	}
	return err
}
