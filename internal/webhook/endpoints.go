package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/signing"
)

// MaxEndpointsPerTenant bounds fan-out per event.
const MaxEndpointsPerTenant = 50

// Endpoints manages tenants' webhook endpoints.
type Endpoints struct {
	Store signing.WebhookStore
	Guard Guard
	Now   func() time.Time
	// Wake is called after a manual retry so it is attempted at once.
	Wake func()
}

// NewSecret returns a fresh Standard Webhooks secret: whsec_ + base64 of
// 24 random bytes.
func NewSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("webhook: crypto/rand failed: " + err.Error())
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// Create validates and registers an endpoint; the returned endpoint
// carries its secret, which is shown only this once.
func (e *Endpoints) Create(ctx context.Context, tenantID, rawURL string, events []string) (signing.Endpoint, error) {
	v := &signing.ValidationError{}
	if rawURL == "" {
		v.Add("url", "is required")
	} else if err := e.Guard.CheckURL(ctx, rawURL); err != nil {
		v.Add("url", "%v", err)
	}
	seen := map[string]bool{}
	for i, t := range events {
		field := fmt.Sprintf("events[%d]", i)
		switch {
		case !slices.Contains(signing.WebhookEventTypes, t):
			v.Add(field, "unknown event type %s", signing.Quote(t))
		case seen[t]:
			v.Add(field, "%q is listed twice", t)
		}
		seen[t] = true
	}
	if err := v.Err(); err != nil {
		return signing.Endpoint{}, err
	}
	if len(events) == 0 {
		events = slices.Clone(signing.WebhookEventTypes)
	}
	ep := signing.Endpoint{ID: "ep_" + uuid.Must(uuid.NewV7()).String(), TenantID: tenantID, URL: rawURL, Events: events,
		Secret: NewSecret(), CreatedAt: e.Now().UTC().Truncate(time.Microsecond)}
	if err := e.Store.CreateEndpoint(ctx, ep, MaxEndpointsPerTenant); err != nil {
		if errors.Is(err, signing.ErrConflict) {
			err = signing.Wrap(signing.ErrConflict, err, "this tenant already has the most webhook endpoints allowed (%d); delete one first", MaxEndpointsPerTenant)
		}
		return signing.Endpoint{}, err
	}
	return ep, nil
}

// Retry redelivers the event of an attempt by hand.
func (e *Endpoints) Retry(ctx context.Context, tenantID, endpointID, attemptID string) (signing.Delivery, error) {
	d, err := e.Store.RetryDelivery(ctx, tenantID, endpointID, attemptID, e.Now().UTC())
	if errors.Is(err, signing.ErrNotFound) {
		return d, signing.Wrap(signing.ErrNotFound, err, "endpoint %s has no delivery attempt %q", endpointID, attemptID)
	}
	if err == nil && e.Wake != nil {
		e.Wake()
	}
	return d, err
}
