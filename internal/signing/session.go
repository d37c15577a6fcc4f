// Package signing is Signet's domain: signing sessions, their statuses and
// the one transition function that decides every status change, plus the
// interfaces (Store, Provider) the rest of the system implements.
//
// It imports no storage, HTTP or provider code.
package signing

import (
	"encoding/json"
	"time"
)

// Status is where a signing session is in its lifecycle.
type Status string

// The statuses of CONTRACT.md §1.
const (
	StatusPending    Status = "PENDING"
	StatusInProgress Status = "IN_PROGRESS"
	StatusCompleted  Status = "COMPLETED"
	StatusFailed     Status = "FAILED"
	StatusExpired    Status = "EXPIRED"
	StatusCancelled  Status = "CANCELLED"
)

// Statuses lists every status, open ones first.
var Statuses = []Status{StatusPending, StatusInProgress, StatusCompleted, StatusFailed, StatusExpired, StatusCancelled}

// Terminal reports whether nothing may change a session in this status.
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusExpired, StatusCancelled:
		return true
	}
	return false
}

// Valid reports whether s is one of the six known statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Session is one signer signing one document for one order at one provider.
//
// The JSON encoding is the public shape of CONTRACT.md §1; fields that are
// only Signet's business (tenant, provider reference, version) are hidden.
type Session struct {
	ID            string            `json:"signingSessionId"`
	OrderID       string            `json:"orderId"`
	Status        Status            `json:"status"`
	SignerDetails json.RawMessage   `json:"signerDetails"`
	CreatedAt     time.Time         `json:"createdAt"`
	UpdatedAt     time.Time         `json:"updatedAt"`
	Provider      string            `json:"provider"`
	Language      string            `json:"language"`
	RedirectURL   string            `json:"redirectUrl,omitempty"`
	ReturnURL     string            `json:"returnUrl,omitempty"`
	DocumentURL   string            `json:"documentUrl,omitempty"`
	CompletedAt   *time.Time        `json:"completedAt,omitempty"`
	ExpiresAt     time.Time         `json:"expiresAt"`
	FailureReason string            `json:"failureReason,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`

	// TenantID owns the session; every read and write is scoped by it.
	TenantID string `json:"-"`
	// DocumentName is the file name the client gave the contract.
	DocumentName string `json:"-"`
	// ProviderRef is the provider's own id for the request (Signzy's
	// contractId, Leegality's documentId, BankID's orderRef); empty until the
	// provider accepted the request.
	ProviderRef string `json:"-"`
	// ProviderState is adapter-private data kept with the session (for
	// example BankID's QR secrets); opaque to everything but the adapter.
	ProviderState json.RawMessage `json:"-"`
	// NextPollAt is when the session is next due to be refreshed from its
	// provider (or, with no ProviderRef yet, initiated again); nil when no
	// more polling is needed.
	NextPollAt *time.Time `json:"-"`
	// Version increases with every write; updates are conditional on it so
	// that two concurrent writers can never both win.
	Version int64 `json:"-"`
}

// Clone returns a deep copy, so that a change can be computed on the copy
// while the original stays what was read.
func (s *Session) Clone() *Session {
	c := *s
	c.SignerDetails = append(json.RawMessage(nil), s.SignerDetails...)
	c.ProviderState = append(json.RawMessage(nil), s.ProviderState...)
	if s.CompletedAt != nil {
		t := *s.CompletedAt
		c.CompletedAt = &t
	}
	if s.NextPollAt != nil {
		t := *s.NextPollAt
		c.NextPollAt = &t
	}
	if s.Metadata != nil {
		c.Metadata = make(map[string]string, len(s.Metadata))
		for k, v := range s.Metadata {
			c.Metadata[k] = v
		}
	}
	return &c
}

// DocumentKind tells the original contract from the signed one.
type DocumentKind string

// The kinds of stored document.
const (
	DocumentOriginal DocumentKind = "original"
	DocumentSigned   DocumentKind = "signed"
)

// Document is a PDF stored with a session.
type Document struct {
	SessionID string
	Kind      DocumentKind
	Filename  string
	Content   []byte
	SHA256    string // hex
	CreatedAt time.Time
}

// Event types. The signing.* types are the status-change events that are
// also delivered as webhooks; the others only appear in the audit trail.
const (
	EventCreated    = "signing.created"
	EventInProgress = "signing.in_progress"
	EventCompleted  = "signing.completed"
	EventFailed     = "signing.failed"
	EventExpired    = "signing.expired"
	EventCancelled  = "signing.cancelled"

	EventProviderAccepted = "provider.accepted"
	EventProviderError    = "provider.error"
	EventProviderCallback = "provider.callback"
	EventProviderCancel   = "provider.cancel"
)

// StatusEventType is the event type emitted when a session enters status s.
func StatusEventType(s Status) string {
	switch s {
	case StatusPending:
		return EventCreated
	case StatusInProgress:
		return EventInProgress
	case StatusCompleted:
		return EventCompleted
	case StatusFailed:
		return EventFailed
	case StatusExpired:
		return EventExpired
	case StatusCancelled:
		return EventCancelled
	}
	return ""
}

// AuditEntry is one line of a session's audit trail. Entries whose Type is
// a signing.* event are status changes and form the webhook outbox.
type AuditEntry struct {
	ID         int64           `json:"id"`
	SessionID  string          `json:"-"`
	TenantID   string          `json:"-"`
	Type       string          `json:"type"`
	FromStatus Status          `json:"fromStatus,omitempty"`
	ToStatus   Status          `json:"status,omitempty"`
	Detail     string          `json:"detail,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	// Webhook is the body to deliver for a status-change event; the store
	// queues one delivery of it per subscribed endpoint of the tenant, in
	// the same transaction as the change (the transactional outbox).
	Webhook json.RawMessage `json:"-"`
}

// Tenant owns sessions, API keys and webhook endpoints.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}
