package signing

import (
	"context"
	"time"
)

// ListFilter selects sessions for GET /signing. Empty fields do not filter.
type ListFilter struct {
	OrderID  string
	Status   Status
	Provider string
	Limit    int // 1..100
	// After continues a listing: only sessions strictly older, in the
	// newest-first order (CreatedAt desc, ID desc), than this position.
	After *Cursor
}

// Cursor is a position in the newest-first listing order.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// Change is one write to a session: the new state, the audit entries that
// explain it (status changes among them form the webhook outbox) and, on
// completion, the signed document. A store applies it in one transaction,
// only if the stored version still equals ExpectVersion.
type Change struct {
	Session       *Session // the new state; Version is set by the store on success
	ExpectVersion int64
	// Before, if set, is the session as read at ExpectVersion; a store
	// may use it to write only the fields that differ (fewer index
	// updates). The result must be the same as without it.
	Before  *Session
	Entries []AuditEntry
	Signed  *Document
}

// Backlog is the due background work at one instant: the sessions due
// for a poll (or a cancel at the provider) and for expiry, each with the
// due time of the longest-waiting one (zero when none is due).
type Backlog struct {
	DuePolls        int
	OldestPollDue   time.Time
	DueExpiries     int
	OldestExpiryDue time.Time
}

// Store is everything Signet keeps, as the role-sized interfaces its
// consumers use: the service (SessionStore), credentials (TenantStore),
// the background work (WorkStore) and webhooks (WebhookStore). Both
// sqlite.Store and postgres.Store implement it; storetest covers it.
type Store interface {
	SessionStore
	TenantStore
	WorkStore
	WebhookStore
	CodeStore
	// Ping checks that the database answers, for /readyz.
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// TenantStore keeps tenants, API keys, refresh tokens and server secrets.
// Every method that takes a tenant id only sees that tenant's rows.
type TenantStore interface {
	// CreateTenant creates a tenant, or returns the existing one of that name.
	CreateTenant(ctx context.Context, name string) (Tenant, error)
	// CountTenants counts tenants (zero means a new, empty database).
	CountTenants(ctx context.Context) (int, error)
	// CreateAPIKey stores an API key's hash for a tenant.
	CreateAPIKey(ctx context.Context, tenantID, keyHash string) error
	// TenantByAPIKey finds the tenant of an API key hash; ErrNotFound if none.
	TenantByAPIKey(ctx context.Context, keyHash string) (Tenant, error)
	// TenantByID returns a tenant; ErrNotFound if none.
	TenantByID(ctx context.Context, id string) (Tenant, error)

	// CreateRefreshToken stores a refresh token's hash.
	CreateRefreshToken(ctx context.Context, tenantID, tokenHash string, expiresAt time.Time) error
	// ConsumeRefreshToken deletes a refresh token and returns its tenant id,
	// atomically, so that a token is used at most once. ErrNotFound if the
	// token is unknown, used or expired at now.
	ConsumeRefreshToken(ctx context.Context, tokenHash string, now time.Time) (string, error)
	// Secret returns the named server secret, storing gen() first if there
	// is none yet, so that every replica on one database shares it.
	Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error)
}

// Writers is a store that tells how many transactions it commits at once
// at best (SQLite: one); a sweep splits its work among no more.
type Writers interface {
	Writers() int
}

// SessionStore keeps sessions, their documents and audit trails: what the
// Service needs. Every method that takes a tenant id only sees that
// tenant's rows.
type SessionStore interface {
	// CreateSession stores a new session with its original document and
	// audit entries in one transaction. ErrConflict if the id exists.
	CreateSession(ctx context.Context, s *Session, original Document, entries []AuditEntry) error
	// Session reads one session of a tenant; ErrNotFound if none.
	Session(ctx context.Context, tenantID, id string) (*Session, error)
	// SessionByProviderRef finds a session by its provider's reference, for
	// callbacks, which carry no tenant; ErrNotFound if none.
	SessionByProviderRef(ctx context.Context, provider, ref string) (*Session, error)
	// SessionByID reads a session regardless of tenant, for provider pages
	// and callbacks; ErrNotFound if none.
	SessionByID(ctx context.Context, id string) (*Session, error)
	// ListSessions lists a tenant's sessions newest first. It returns up to
	// f.Limit sessions and whether more follow.
	ListSessions(ctx context.Context, tenantID string, f ListFilter) ([]*Session, bool, error)
	// UpdateSession applies c in one transaction. ErrStale if the stored
	// version is not c.ExpectVersion (a concurrent writer won; reload).
	UpdateSession(ctx context.Context, c Change) error
	// UpdateSessions applies many changes in one transaction, for sweeps
	// that change thousands of sessions at once. Each change is applied
	// only if its session's stored version is still its ExpectVersion;
	// the result holds, per change in order, nil, ErrStale or ErrNotFound
	// for the changes skipped. Any other error rolls back all of them.
	UpdateSessions(ctx context.Context, changes []Change) ([]error, error)
	// Document returns a session's document of a kind; ErrNotFound if none.
	Document(ctx context.Context, tenantID, sessionID string, kind DocumentKind) (Document, error)
	// DocumentHeader is Document without reading a blob: a document kept
	// as a blob comes with its BlobKey and no Content (to be streamed from
	// the blob store), one stored in its row before blobs with its Content.
	DocumentHeader(ctx context.Context, tenantID, sessionID string, kind DocumentKind) (Document, error)
	// AuditTrail lists a session's audit entries oldest first.
	AuditTrail(ctx context.Context, tenantID, sessionID string) ([]AuditEntry, error)
	// DueForExpiry returns up to limit open sessions whose ExpiresAt is at or
	// before now and whose provider has not reported completion
	// (ProviderCompletedAt nil), oldest deadline first (an indexed query).
	DueForExpiry(ctx context.Context, now time.Time, limit int) ([]*Session, error)
	// SessionBySignerLink finds, regardless of tenant, the session and the
	// id of the signer whose link token hashes to tokenHash (the Signer's
	// LinkHash, indexed by CreateSession and AddSignerLinks); ErrNotFound
	// if none.
	SessionBySignerLink(ctx context.Context, tokenHash string) (*Session, string, error)
	// SignersWithoutLinks lists up to limit signers that have no indexed
	// link (sessions made before signer links existed), with TokenHash
	// empty.
	SignersWithoutLinks(ctx context.Context, limit int) ([]SignerLink, error)
	// AddSignerLinks indexes signer links; a link indexed already is left
	// as it is.
	AddSignerLinks(ctx context.Context, links []SignerLink) error
}

// WorkStore is the background work's side of the store: the leased poll
// queue, the backlog it is measured by, and the cleanup of expired rows.
type WorkStore interface {
	// ClaimDuePolls leases up to limit sessions whose NextPollAt is at or
	// before now and that are open, CANCELLED or EXPIRED (a request still
	// to be withdrawn at the provider): it moves their NextPollAt to now+lease
	// and returns them, so that no other worker takes them until the lease
	// runs out and a crashed worker's claims come back by themselves.
	// Other terminal sessions are never claimed, whatever their NextPollAt.
	ClaimDuePolls(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Session, error)
	// UpdateSessions is SessionStore's; the poller releases claims with it.
	UpdateSessions(ctx context.Context, changes []Change) ([]error, error)
	// DueBacklog measures the work that is due at now (what ClaimDuePolls
	// and DueForExpiry would find), for the poller-lag metrics.
	DueBacklog(ctx context.Context, now time.Time) (Backlog, error)
	// DeleteIdempotentBefore deletes idempotency records created before t;
	// it returns how many.
	DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error)
	// DeleteRefreshTokensBefore deletes refresh tokens that expired before t.
	DeleteRefreshTokensBefore(ctx context.Context, t time.Time) (int, error)
}

// WebhookStore keeps webhook endpoints and the delivery queue (the
// outbox's far side). Both stores implement it; storetest covers it.
type WebhookStore interface {
	// CreateEndpoint stores a webhook endpoint unless its tenant already
	// has max of them (then ErrConflict); the count and the insert are
	// atomic, so concurrent creates never exceed max.
	CreateEndpoint(ctx context.Context, e Endpoint, max int) error
	// Endpoints lists a tenant's endpoints, newest first.
	Endpoints(ctx context.Context, tenantID string) ([]Endpoint, error)
	// Endpoint reads one endpoint of a tenant; ErrNotFound if none.
	Endpoint(ctx context.Context, tenantID, id string) (Endpoint, error)
	// DeleteEndpoint removes an endpoint and its pending deliveries; its
	// attempt history goes with it. ErrNotFound if none.
	DeleteEndpoint(ctx context.Context, tenantID, id string) error
	// ClaimDueDeliveries leases up to limit pending deliveries whose
	// NextAttemptAt is at or before now, oldest first: it moves their
	// NextAttemptAt to now+lease and returns them with the endpoint's URL
	// and secret. A delivery is not claimed while an earlier event of the
	// same session for the same endpoint has never been attempted, so a
	// session's events are first attempted in order. Concurrent claimers
	// (other processes too) never get the same delivery. c bounds the
	// claim, in all and per endpoint.
	ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, c DeliveryClaim) ([]Delivery, error)
	// ReleaseDeliveries hands claimed deliveries back unattempted: they
	// are due again at due (a claimer that took more of one endpoint than
	// it will attempt at once). Deliveries no longer pending are left.
	ReleaseDeliveries(ctx context.Context, ids []string, due time.Time) error
	// RecordAttempts stores attempts and their consequences in one
	// transaction: a success marks the delivery succeeded, a failure with
	// NextAttemptAt reschedules it, one without marks it failed.
	RecordAttempts(ctx context.Context, results []AttemptResult) error
	// Attempts lists an endpoint's delivery attempts, newest first, at most limit.
	Attempts(ctx context.Context, tenantID, endpointID string, limit int) ([]Attempt, error)
	// RetryDelivery makes the delivery of an attempt due again at now (a
	// manual redelivery, whatever its state). ErrNotFound if the attempt is
	// not the endpoint's or not the tenant's.
	RetryDelivery(ctx context.Context, tenantID, endpointID, attemptID string, now time.Time) (Delivery, error)
	// DeliveryBacklog counts pending deliveries and the due time of the
	// oldest due one (zero if none), for metrics.
	DeliveryBacklog(ctx context.Context, now time.Time) (pending int, oldestDue time.Time, err error)
}

// DeliveryClaim bounds one claim of due deliveries. Skipping busy
// endpoints keeps one slow or hanging endpoint from taking every worker
// of the dispatcher (head-of-line blocking): its deliveries wait, the
// other endpoints' go on.
type DeliveryClaim struct {
	// Limit is the most deliveries the claim takes (at least 1).
	Limit int
	// Busy lists endpoints the claim skips: the claimer has as many of
	// their attempts in flight as it allows.
	Busy []string
	// PerEndpoint is the most deliveries of one endpoint the claim takes
	// (0: no such bound). Stores find each endpoint's due deliveries by
	// their own index, so that an endpoint with a long backlog (one that
	// hangs, say) costs a claim no more than one with none.
	PerEndpoint int
}

// EndpointBound is the most deliveries of one endpoint the claim takes:
// PerEndpoint, or Limit when that is unset or larger.
func (c DeliveryClaim) EndpointBound() int {
	if c.PerEndpoint <= 0 || c.PerEndpoint > c.Limit {
		return c.Limit
	}
	return c.PerEndpoint
}
