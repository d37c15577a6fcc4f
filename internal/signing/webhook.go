package signing

import (
	"encoding/json"
	"time"
)

// WebhookEventTypes are the event types an endpoint can subscribe to.
var WebhookEventTypes = []string{EventCreated, EventInProgress, EventSignerSigned, EventCompleted, EventFailed, EventExpired, EventCancelled}

// Endpoint is a client's webhook receiver.
type Endpoint struct {
	ID        string
	TenantID  string
	URL       string
	Events    []string // empty: every event type
	Secret    string   // whsec_…; shown only when created
	CreatedAt time.Time
}

// Wants reports whether the endpoint subscribes to an event type.
func (e Endpoint) Wants(eventType string) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, t := range e.Events {
		if t == eventType {
			return true
		}
	}
	return false
}

// DeliveryState is where a delivery stands.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliverySucceeded DeliveryState = "succeeded"
	DeliveryFailed    DeliveryState = "failed" // the retry schedule is exhausted
)

// Delivery is one event on its way to one endpoint. Its ID is the
// Standard Webhooks message id (the webhook-id header), stable across
// retries.
type Delivery struct {
	ID         string
	TenantID   string
	EndpointID string
	SessionID  string
	EventID    int64 // the audit entry; orders a session's events
	EventType  string
	Payload    json.RawMessage // the exact body sent, frozen when the event happened
	State      DeliveryState
	Attempts   int // attempts made so far
	// NextAttemptAt is when the delivery is next due; while a worker holds
	// it, the end of that worker's lease. Nil once succeeded or failed.
	NextAttemptAt *time.Time
	CreatedAt     time.Time
	// URL and Secret are the endpoint's, joined in for the worker.
	URL    string
	Secret string
}

// Attempt is one try at delivering, as GET /webhooks/{id}/deliveries shows it.
type Attempt struct {
	ID             string
	DeliveryID     string // the webhook-id header
	EndpointID     string
	TenantID       string
	EventType      string
	Attempt        int
	AttemptedAt    time.Time
	Succeeded      bool
	ResponseStatus int
	Error          string
	DurationMs     int64
}

// AttemptResult is the outcome of one attempt and what follows from it.
type AttemptResult struct {
	Attempt Attempt
	// NextAttemptAt schedules a retry; nil with a failed attempt means the
	// schedule is exhausted and the delivery is marked failed.
	NextAttemptAt *time.Time
}
