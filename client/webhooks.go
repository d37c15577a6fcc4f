package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/signet-dev/signet/api"
)

// CreateWebhook registers an endpoint (POST /webhooks). The answer holds
// the endpoint's signing Secret, shown this once only.
func (c *Client) CreateWebhook(ctx context.Context, req *api.CreateWebhookRequest, opts ...CallOption) (*api.WebhookEndpoint, error) {
	return do[api.WebhookEndpoint](ctx, c, http.MethodPost, "/webhooks", req, opts...)
}

// Webhook reads one endpoint (GET /webhooks/{id}), without its secret.
func (c *Client) Webhook(ctx context.Context, id string) (*api.WebhookEndpoint, error) {
	return do[api.WebhookEndpoint](ctx, c, http.MethodGet, "/webhooks/"+escape(id), nil)
}

// Webhooks lists the tenant's endpoints, newest first (GET /webhooks).
func (c *Client) Webhooks(ctx context.Context) iter.Seq2[api.WebhookEndpoint, error] {
	return paginate[api.WebhookEndpoint](ctx, c, "/webhooks", nil)
}

// DeleteWebhook deletes an endpoint (DELETE /webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, id string, opts ...CallOption) error {
	return c.call(ctx, http.MethodDelete, "/webhooks/"+escape(id), nil, nil, opts...)
}

// Deliveries lists an endpoint's delivery attempts, newest first (GET
// /webhooks/{id}/deliveries).
func (c *Client) Deliveries(ctx context.Context, webhookID string) iter.Seq2[api.DeliveryAttempt, error] {
	return paginate[api.DeliveryAttempt](ctx, c, "/webhooks/"+escape(webhookID)+"/deliveries", nil)
}

// RetryDelivery queues the event of a delivery attempt to be sent again at
// once (POST /webhooks/{id}/deliveries/{deliveryId}/retry).
func (c *Client) RetryDelivery(ctx context.Context, webhookID, deliveryID string, opts ...CallOption) error {
	return c.call(ctx, http.MethodPost, "/webhooks/"+escape(webhookID)+"/deliveries/"+escape(deliveryID)+"/retry", nil, nil, opts...)
}

// ErrInvalidWebhook is wrapped by every error of VerifyWebhook: the
// request is not an authentic, fresh Signet event.
var ErrInvalidWebhook = errors.New("signet: invalid webhook")

// VerifyWebhook checks a webhook request as the Standard Webhooks
// specification says (webhook-id, webhook-timestamp within 5 minutes of
// now, webhook-signature keyed by the endpoint's whsec_ secret) and
// returns the event in body. Pass the raw body, before any JSON decoding.
func VerifyWebhook(secret string, header http.Header, body []byte) (api.WebhookEvent, error) {
	var ev api.WebhookEvent
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return ev, fmt.Errorf("%w: the secret is not a whsec_ secret: %w", ErrInvalidWebhook, err)
	}
	if err := wh.Verify(body, header); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrInvalidWebhook, err)
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return ev, fmt.Errorf("%w: the body is not an event: %w", ErrInvalidWebhook, err)
	}
	return ev, nil
}
