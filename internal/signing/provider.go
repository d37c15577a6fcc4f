package signing

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// ProviderInfo describes a provider for GET /signing/providers and for
// validating new sessions.
type ProviderInfo struct {
	Name                 string
	DisplayName          string
	Languages            []string
	RequiredSignerFields []string
	SignerDetailsSchema  json.RawMessage

	// What the provider can do, for Signet to plan around.

	// PollInterval is how often Signet refreshes an open session from the
	// provider; 0 leaves it to the server's default (--poll-interval).
	PollInterval time.Duration
	// CallsBack says whether the provider reports changes by calling
	// Signet back; without, polling is all there is.
	CallsBack bool
	// CancelReachesProvider says whether Cancel withdraws the request at
	// the provider; without, a cancelled or expired session stays signable
	// there, and only Signet's signer link stops new signers.
	CancelReachesProvider bool
	// SigningOrders are the orders in which Signet can take several
	// signers of one session at this provider. Empty when it takes one.
	SigningOrders []SigningOrder
	// MaxSigners is the most signers one session at this provider may
	// have; 0 or 1 means one.
	MaxSigners int
	// InProcess says that Initiate calls nothing outside this process
	// (Signet's own signing): Create then takes the provider's answer
	// before it stores the session, and stores both in one transaction.
	InProcess bool
	// Identification is how the provider identifies signers, for the
	// audit certificate ("E-mail one-time code", "Aadhaar eSign (OTP)").
	Identification string
}

// Clone returns a deep copy of i, which callers may change freely.
func (i ProviderInfo) Clone() ProviderInfo {
	i.Languages = slices.Clone(i.Languages)
	i.RequiredSignerFields = slices.Clone(i.RequiredSignerFields)
	i.SignerDetailsSchema = slices.Clone(i.SignerDetailsSchema)
	i.SigningOrders = slices.Clone(i.SigningOrders)
	return i
}

// InitiateRequest is what an adapter needs to start a signing.
type InitiateRequest struct {
	SessionID string
	OrderID   string
	// SignerDetails are the first signer's details (all a single-signer
	// provider needs); Signers lists every signer in signing order.
	SignerDetails json.RawMessage
	Signers       []SignerRequest
	SigningOrder  SigningOrder
	Language      string
	Document      Document
	ReturnURL     string // where the provider sends the signer afterwards (may be empty)
	CallbackURL   string // Signet's POST /callbacks/{provider}
	ExpiresAt     time.Time
}

// SignerRequest is one signer of an InitiateRequest.
type SignerRequest struct {
	// ID is the signer's id in Signet (signerId).
	ID      string
	Details json.RawMessage
}

// Initiated is the provider's acceptance of a request.
type Initiated struct {
	Ref string // the provider's id for the request
	// RedirectURL is where the (first) signer goes at the provider. A
	// provider that has a page per signer fills Signers instead (or too).
	RedirectURL string
	// Signers, when set, has one entry per signer of the request, in the
	// request's order: the provider's id for the signer and their page.
	Signers []InitiatedSigner
	State   json.RawMessage // adapter-private data to keep with the session
}

// InitiatedSigner is one signer as the provider took them.
type InitiatedSigner struct {
	Ref string // the provider's id for the signer, if it has one
	URL string // the signer's page at the provider
}

// ProviderRef identifies a started request at its provider.
type ProviderRef struct {
	SessionID string
	Ref       string
	State     json.RawMessage
	// Signers are the session's signers as Signet knows them, in signing
	// order (each with the ProviderRef the provider gave it).
	Signers []Signer
	// SigningOrder is the session's.
	SigningOrder SigningOrder
	// LoadOriginal reads the original contract, for providers that build
	// the signed document themselves (BankID signs data, not PDFs). Nil
	// when no store is at hand, as in some tests.
	LoadOriginal func(ctx context.Context) (Document, error)
	// Session is the session as Signet knows it, and LoadEvents reads its
	// audit trail, for providers that write the evidence into the signed
	// document themselves (local). Nil in some tests.
	Session    *Session
	LoadEvents func(ctx context.Context) ([]AuditEntry, error)
}

// Update is a provider's view of a request, mapped onto Signet's statuses.
type Update struct {
	Status Status // PENDING means "nothing new"
	// Reason explains FAILED (the provider's or signer's words).
	Reason string
	// ProviderStatus is the provider's own status word, for the audit trail.
	ProviderStatus string
	// Signed is the signed PDF when the provider handed it over with the
	// status; when nil on COMPLETED, Signet calls FetchDocument.
	Signed []byte
	// Evidence is provider data worth keeping in the audit trail (BankID's
	// completion data, for example).
	Evidence json.RawMessage
	// State, when not nil, replaces the adapter-private state.
	State json.RawMessage
	// Signers, from providers that report signers one by one, says where
	// each stands; without it, Status speaks for the session's one signer
	// (or, on COMPLETED, for all of them).
	Signers []SignerUpdate
}

// SignerUpdate is a provider's view of one signer.
type SignerUpdate struct {
	// Index is the signer's position in the session's signing order.
	Index int
	// Status is IN_PROGRESS, SIGNED or FAILED; WAITING and PENDING are no
	// news.
	Status SignerStatus
	// Reason explains FAILED, in the provider's or signer's words.
	Reason string
	// Evidence is provider data on how the signer signed.
	Evidence json.RawMessage
}

// Callback is a verified provider callback: which request it is about and,
// when the callback itself is trustworthy enough, the update it carries.
// With a nil Update, Signet refreshes from the provider before acting.
type Callback struct {
	Ref    string
	Update *Update
}

// Provider is one signing provider's adapter. Errors from calls to the
// provider are *ProviderError and say whether they are retryable.
type Provider interface {
	Info() ProviderInfo
	// Initiate starts a signing at the provider.
	Initiate(ctx context.Context, req InitiateRequest) (Initiated, error)
	// Refresh pulls the request's current state.
	Refresh(ctx context.Context, ref ProviderRef) (Update, error)
	// Cancel withdraws the request at the provider.
	Cancel(ctx context.Context, ref ProviderRef) error
	// FetchDocument downloads the signed PDF of a completed request.
	FetchDocument(ctx context.Context, ref ProviderRef) ([]byte, error)
	// ParseCallback verifies a callback's authenticity (ErrUnauthorized if
	// forged) and parses it (ErrInvalid if malformed).
	ParseCallback(header http.Header, body []byte) (Callback, error)
}

// Providers looks providers up by name.
type Providers interface {
	Provider(name string) (Provider, bool)
	All() []Provider
}

// SignerChecker is implemented by providers whose signer details need
// checks a JSON Schema cannot express (BankID's personnummer check digit).
// It returns one FieldError per problem, fields named "signerDetails.<key>".
type SignerChecker interface {
	CheckSignerDetails(details json.RawMessage) []FieldError
}
