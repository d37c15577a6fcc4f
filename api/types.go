package api

import (
	"encoding/json"
	"time"
)

// The public wire types: the JSON shapes of Signet's API (openapi.yaml),
// shared by the server, the webhook sender and the Go client. Optional
// fields are absent when empty, never null (CONTRACT.md §1).

// Status is where a signing session is in its lifecycle.
type Status string

// The session statuses.
const (
	StatusPending    Status = "PENDING"
	StatusInProgress Status = "IN_PROGRESS"
	StatusCompleted  Status = "COMPLETED"
	StatusFailed     Status = "FAILED"
	StatusExpired    Status = "EXPIRED"
	StatusCancelled  Status = "CANCELLED"
)

// Terminal reports whether nothing changes a session in this status again.
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusExpired, StatusCancelled:
		return true
	}
	return false
}

// The webhook event types (CONTRACT.md §3).
const (
	EventCreated      = "signing.created"
	EventInProgress   = "signing.in_progress"
	EventSignerSigned = "signing.signer_signed"
	EventCompleted    = "signing.completed"
	EventFailed       = "signing.failed"
	EventExpired      = "signing.expired"
	EventCancelled    = "signing.cancelled"
)

// Session is a signing session (schema SigningSession).
type Session struct {
	SigningSessionID string            `json:"signingSessionId"`
	OrderID          string            `json:"orderId"`
	Status           Status            `json:"status"`
	SignerDetails    json.RawMessage   `json:"signerDetails"`
	CreatedAt        time.Time         `json:"createdAt"`
	UpdatedAt        time.Time         `json:"updatedAt"`
	Provider         string            `json:"provider"`
	Language         string            `json:"language"`
	RedirectURL      string            `json:"redirectUrl,omitempty"`
	ReturnURL        string            `json:"returnUrl,omitempty"`
	DocumentURL      string            `json:"documentUrl,omitempty"`
	CompletedAt      *time.Time        `json:"completedAt,omitempty"`
	ExpiresAt        time.Time         `json:"expiresAt"`
	FailureReason    string            `json:"failureReason,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	// Signers lists every signer in signing order (CONTRACT.md §8).
	Signers []Signer `json:"signers,omitempty"`
	// SigningOrder is SigningOrderSequential or SigningOrderParallel.
	SigningOrder string `json:"signingOrder,omitempty"`
}

// The signing orders of a multi-signer session (CONTRACT.md §8).
const (
	SigningOrderSequential = "sequential"
	SigningOrderParallel   = "parallel"
)

// SignerStatus is where one signer of a session is.
type SignerStatus string

// The signer statuses (CONTRACT.md §8).
const (
	SignerWaiting    SignerStatus = "WAITING"
	SignerPending    SignerStatus = "PENDING"
	SignerInProgress SignerStatus = "IN_PROGRESS"
	SignerSigned     SignerStatus = "SIGNED"
	SignerFailed     SignerStatus = "FAILED"
)

// Signer is one signer of a session, in signing order.
type Signer struct {
	SignerID      string          `json:"signerId"`
	SignerDetails json.RawMessage `json:"signerDetails"`
	Status        SignerStatus    `json:"status"`
	RedirectURL   string          `json:"redirectUrl,omitempty"`
	SignedAt      *time.Time      `json:"signedAt,omitempty"`
	FailureReason string          `json:"failureReason,omitempty"`
}

// SessionList is a page of sessions, newest first.
type SessionList struct {
	Data       []Session `json:"data"`
	NextCursor string    `json:"nextCursor,omitempty"`
}

// Document is the contract in a CreateSessionRequest.
type Document struct {
	Filename string `json:"filename"`
	// Content is the PDF; encoding/json writes it as standard base64.
	Content []byte `json:"content"`
}

// CreateSessionRequest is the body of POST /signing: one signer in
// SignerDetails, or several in Signers.
type CreateSessionRequest struct {
	OrderID       string            `json:"orderId"`
	SignerDetails json.RawMessage   `json:"signerDetails,omitempty"`
	Document      Document          `json:"document"`
	Provider      string            `json:"provider,omitempty"`
	Language      string            `json:"language,omitempty"`
	ReturnURL     string            `json:"returnUrl,omitempty"`
	ExpiresAt     *time.Time        `json:"expiresAt,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	// Signers, instead of SignerDetails, asks for several signers in
	// signing order (CONTRACT.md §8); give one or the other.
	Signers      []SignerRequest `json:"signers,omitempty"`
	SigningOrder string          `json:"signingOrder,omitempty"`
}

// SignerRequest is one entry of CreateSessionRequest.Signers.
type SignerRequest struct {
	SignerDetails json.RawMessage `json:"signerDetails"`
}

// Event is one entry of a session's audit trail (schema AuditEntry).
type Event struct {
	ID         int64           `json:"id"`
	Type       string          `json:"type"`
	SignerID   string          `json:"signerId,omitempty"`
	FromStatus Status          `json:"fromStatus,omitempty"`
	Status     Status          `json:"status,omitempty"`
	Detail     string          `json:"detail,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
}

// EventList is a session's audit trail, oldest first.
type EventList struct {
	Data []Event `json:"data"`
}

// Provider describes a signing provider the server offers.
type Provider struct {
	Name                 string          `json:"name"`
	DisplayName          string          `json:"displayName"`
	Languages            []string        `json:"languages"`
	RequiredSignerFields []string        `json:"requiredSignerFields"`
	SignerDetailsSchema  json.RawMessage `json:"signerDetailsSchema"`
	SigningOrders        []string        `json:"signingOrders"`
	MaxSigners           int             `json:"maxSigners"`
}

// ProviderList is the answer of GET /signing/providers.
type ProviderList struct {
	Providers []Provider `json:"providers"`
}

// FieldError names one invalid field of a request by its JSON path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem detail, the body of every error.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// TokenPair is the answer of POST /auth/token and /auth/refresh.
type TokenPair struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
}

// RefreshRequest is the body of POST /auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// Ping is the answer of GET /auth/ping.
type Ping struct {
	Tenant   string `json:"tenant"`
	TenantID string `json:"tenantId"`
}

// Health is the answer of GET /healthz and /readyz.
type Health struct {
	Status string `json:"status"`
}

// WebhookEndpoint is a registered webhook endpoint. Secret is present only
// in the answer to POST /webhooks.
type WebhookEndpoint struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"createdAt"`
	Secret    string    `json:"secret,omitempty"`
}

// WebhookEndpointList lists a tenant's endpoints.
type WebhookEndpointList struct {
	Data []WebhookEndpoint `json:"data"`
}

// CreateWebhookRequest is the body of POST /webhooks.
type CreateWebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
}

// DeliveryAttempt is one try at delivering an event to an endpoint.
type DeliveryAttempt struct {
	ID             string    `json:"id"`
	WebhookID      string    `json:"webhookId"`
	EventType      string    `json:"eventType"`
	Attempt        int       `json:"attempt"`
	AttemptedAt    time.Time `json:"attemptedAt"`
	Succeeded      bool      `json:"succeeded"`
	ResponseStatus int       `json:"responseStatus,omitempty"`
	Error          string    `json:"error,omitempty"`
	DurationMs     int64     `json:"durationMs"`
}

// DeliveryList lists an endpoint's delivery attempts, newest first.
type DeliveryList struct {
	Data       []DeliveryAttempt `json:"data"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// WebhookEvent is the body of every webhook: the event type, when the
// change happened, and the session right after it.
type WebhookEvent struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Session   `json:"data"`
}

// Verification describes the signatures found in a completed session's
// signed document (GET /signing/{id}/verification, CONTRACT.md §7).
type Verification struct {
	DocumentSHA256 string      `json:"documentSha256"`
	Signatures     []Signature `json:"signatures"`
}

// Signature is one signature of a signed document.
type Signature struct {
	SignerName          string    `json:"signerName"`
	CertificateSubject  string    `json:"certificateSubject"`
	CertificateIssuer   string    `json:"certificateIssuer"`
	SigningTime         time.Time `json:"signingTime,omitzero"` // absent when the signature states none
	SubFilter           string    `json:"subFilter"`
	Valid               bool      `json:"valid"`
	CoversWholeDocument bool      `json:"coversWholeDocument"`
	Timestamped         bool      `json:"timestamped"`
	// Problems says why Valid or Timestamped is false, or what else is
	// off; absent when nothing is.
	Problems []string `json:"problems,omitempty"`
}
