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

// Session is one signer signing one document for one order at one
// provider. The API shows it as api.Session (CONTRACT.md §1); the fields
// below the public ones are only Signet's business.
type Session struct {
	ID      string
	OrderID string
	Status  Status
	// SignerDetails are the first signer's details (the API's top-level
	// signerDetails).
	SignerDetails json.RawMessage
	// Signers are the session's signers in signing order; every session
	// has at least one.
	Signers       []Signer
	SigningOrder  SigningOrder
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Provider      string
	Language      string
	ReturnURL     string
	CompletedAt   *time.Time
	ExpiresAt     time.Time
	FailureReason string
	Metadata      map[string]string

	// TenantID owns the session; every read and write is scoped by it.
	TenantID string
	// DocumentName is the file name the client gave the contract.
	DocumentName string
	// ProviderRef is the provider's own id for the request (Signzy's
	// contractId, Leegality's documentId, BankID's orderRef); empty until the
	// provider accepted the request.
	ProviderRef string
	// ProviderState is adapter-private data kept with the session (for
	// example BankID's QR secrets); opaque to everything but the adapter.
	ProviderState json.RawMessage
	// ProviderCompletedAt is when the provider first reported every
	// signature, while Signet may still be fetching the signed document:
	// from then on the session never expires (its signatures are real),
	// and it ends COMPLETED or, if the document cannot be had, FAILED.
	ProviderCompletedAt *time.Time
	// NextPollAt is when the session is next due to be refreshed from its
	// provider (or, with no ProviderRef yet, initiated again); nil when no
	// more polling is needed.
	NextPollAt *time.Time
	// Version increases with every write; updates are conditional on it so
	// that two concurrent writers can never both win.
	Version int64
}

// Clone returns a deep copy, so that a change can be computed on the copy
// while the original stays what was read.
func (s *Session) Clone() *Session {
	c := *s
	c.SignerDetails = append(json.RawMessage(nil), s.SignerDetails...)
	c.ProviderState = append(json.RawMessage(nil), s.ProviderState...)
	c.CompletedAt = cloneTime(s.CompletedAt)
	c.NextPollAt = cloneTime(s.NextPollAt)
	c.ProviderCompletedAt = cloneTime(s.ProviderCompletedAt)
	if s.Signers != nil {
		c.Signers = make([]Signer, len(s.Signers))
		for i, sg := range s.Signers {
			c.Signers[i] = sg.Clone()
		}
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
	// BlobKey names the blob (internal/blob) that holds the content, when
	// the store keeps it as one; set by the store. A Document read with
	// SessionStore.DocumentHeader carries it instead of its Content.
	BlobKey string
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

	// EventSignerSigned is a signature of one signer; it is delivered as
	// a webhook too (CONTRACT.md §8).
	EventSignerSigned = "signing.signer_signed"

	EventProviderAccepted  = "provider.accepted"
	EventProviderError     = "provider.error"
	EventProviderCallback  = "provider.callback"
	EventProviderCancel    = "provider.cancel"
	EventProviderCompleted = "provider.completed"
	// EventLateSignature is a signature the provider reported after Signet
	// had made the session terminal: it changes nothing but is recorded.
	EventLateSignature = "provider.late_signature"

	EventSignerOpened = "signer.opened"
	EventSignerTurn   = "signer.turn"
	EventSignerFailed = "signer.failed"
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
	ID        int64
	SessionID string
	TenantID  string
	Type      string
	// SignerID names the signer an entry is about, if any.
	SignerID   string
	FromStatus Status
	ToStatus   Status
	Detail     string
	Data       json.RawMessage
	CreatedAt  time.Time
	// Webhook is the body to deliver for a status-change event; the store
	// queues one delivery of it per subscribed endpoint of the tenant, in
	// the same transaction as the change (the transactional outbox).
	Webhook json.RawMessage
}

// Tenant owns sessions, API keys and webhook endpoints.
type Tenant struct {
	ID        string
	Name      string
	CreatedAt time.Time
}
