package signing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Config wires a Service. Store and Providers are required; the rest have
// defaults.
type Config struct {
	Store     Store
	Providers Providers
	Checks    Checks
	Logger    *slog.Logger
	Now       func() time.Time
	NewID     func() string
	// PublicURL is the base URL clients and providers reach Signet at; the
	// callback and document URLs are built from it.
	PublicURL       string
	DefaultProvider string
	// PollInterval is how often open sessions are refreshed from their
	// provider, as a safety net for lost callbacks.
	PollInterval time.Duration
	// PollIntervals overrides PollInterval per provider (BankID collects every 2 s).
	PollIntervals map[string]time.Duration
	// OnEvent, if set, is called after a status-change event is committed,
	// so that webhook delivery can start at once.
	OnEvent func()
	// InitiateLease is how long a session being started at its provider is
	// kept from the poller, so that a crash mid-initiate is retried without
	// two workers initiating at once.
	InitiateLease time.Duration
	// PollLease is how long a claimed poll is kept from other workers; it
	// must outlast a provider call (default 2 min).
	PollLease time.Duration
	// PollConcurrency is how many claimed sessions one worker polls at
	// once (default 8).
	PollConcurrency int
}

// Service carries out every use case on signing sessions: the HTTP API,
// provider callbacks and the background workers all come through it, and
// every status change goes through Transition.
type Service struct {
	cfg Config
	log *slog.Logger
}

// NewService validates cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Providers == nil {
		return nil, errors.New("signing: Store and Providers are required")
	}
	if cfg.NewID == nil {
		return nil, errors.New("signing: NewID is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 30 * time.Second
	}
	if cfg.InitiateLease <= 0 {
		cfg.InitiateLease = time.Minute
	}
	if cfg.PollLease <= 0 {
		cfg.PollLease = 2 * time.Minute
	}
	if cfg.PollConcurrency <= 0 {
		cfg.PollConcurrency = 8
	}
	if _, ok := cfg.Providers.Provider(cfg.DefaultProvider); !ok {
		return nil, fmt.Errorf("signing: default provider %q is not configured", cfg.DefaultProvider)
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// CallbackURL is where provider p posts its callbacks.
func (s *Service) CallbackURL(p string) string { return s.cfg.PublicURL + "/callbacks/" + p }

func (s *Service) documentURL(id string) string {
	return s.cfg.PublicURL + "/signing/" + id + "/document"
}

// returnURL is where the provider sends the signer afterwards: the
// client's returnUrl, or else Signet's own "you may close this page".
func (s *Service) returnURL(sess *Session) string {
	if sess.ReturnURL != "" {
		return sess.ReturnURL
	}
	return s.cfg.PublicURL + "/signing-finished"
}

// pollInterval is PollIntervals' for the provider, else the provider's
// own (Info().PollInterval), else PollInterval.
func (s *Service) pollInterval(provider string) time.Duration {
	if d, ok := s.cfg.PollIntervals[provider]; ok && d > 0 {
		return d
	}
	if p, ok := s.cfg.Providers.Provider(provider); ok && p.Info().PollInterval > 0 {
		return p.Info().PollInterval
	}
	return s.cfg.PollInterval
}

// Providers lists the configured providers' descriptions.
func (s *Service) Providers() []ProviderInfo {
	all := s.cfg.Providers.All()
	infos := make([]ProviderInfo, len(all))
	for i, p := range all {
		infos[i] = p.Info()
	}
	return infos
}

func (s *Service) provider(name string) (Provider, error) {
	p, ok := s.cfg.Providers.Provider(name)
	if !ok {
		return nil, fmt.Errorf("session uses provider %q, which is not configured: %w", name, ErrUnavailable)
	}
	return p, nil
}

// Create validates r, stores a PENDING session with its document and starts
// it at the provider. A provider that cannot be reached now leaves the
// session PENDING without a redirectUrl; the poller initiates it again. A
// provider that refuses the request fails the session with its message.
func (s *Service) Create(ctx context.Context, tenantID string, r CreateRequest) (*Session, error) {
	if r.Provider == "" {
		r.Provider = s.cfg.DefaultProvider
	}
	p, ok := s.cfg.Providers.Provider(r.Provider)
	if !ok {
		return nil, Invalid("provider", "unknown provider %q; see GET /signing/providers", r.Provider)
	}
	now := s.now()
	if err := r.validate(now, p.Info(), s.cfg.Checks); err != nil {
		return nil, err
	}
	expires := now.Add(DefaultExpiry)
	if r.ExpiresAt != nil {
		expires = r.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	lease := now.Add(s.cfg.InitiateLease)
	sess := &Session{
		ID:            s.cfg.NewID(),
		TenantID:      tenantID,
		OrderID:       r.OrderID,
		Status:        StatusPending,
		SignerDetails: r.SignerDetails,
		CreatedAt:     now,
		UpdatedAt:     now,
		Provider:      r.Provider,
		Language:      r.Language,
		ReturnURL:     r.ReturnURL,
		ExpiresAt:     expires,
		Metadata:      r.Metadata,
		DocumentName:  r.Filename,
		NextPollAt:    &lease,
	}
	doc := Document{SessionID: sess.ID, Kind: DocumentOriginal, Filename: r.Filename, Content: r.Content, SHA256: SHA256Hex(r.Content), CreatedAt: now}
	created := AuditEntry{Type: EventCreated, ToStatus: StatusPending, CreatedAt: now,
		Detail: fmt.Sprintf("created for provider %s; document %s (%d bytes, sha256 %s)", sess.Provider, doc.Filename, len(doc.Content), doc.SHA256)}
	entries := []AuditEntry{created}
	if err := s.attachWebhooks(entries, sess); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.CreateSession(ctx, sess, doc, entries); err != nil {
		return nil, err
	}
	s.notify(entries)
	return s.initiate(ctx, p, sess, doc)
}

// initiate starts sess at its provider and records the outcome.
func (s *Service) initiate(ctx context.Context, p Provider, sess *Session, doc Document) (*Session, error) {
	res, err := p.Initiate(ctx, InitiateRequest{
		SessionID:     sess.ID,
		OrderID:       sess.OrderID,
		SignerDetails: sess.SignerDetails,
		Language:      sess.Language,
		Document:      doc,
		ReturnURL:     s.returnURL(sess),
		CallbackURL:   s.CallbackURL(sess.Provider),
		ExpiresAt:     sess.ExpiresAt,
	})
	return s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.ProviderRef != "" {
			return nil, nil, ErrNoChange // started meanwhile
		}
		if next.Status == StatusCancelled && err == nil {
			// Cancelled while the provider was accepting it: keep the
			// reference so that the poller withdraws it there.
			next.ProviderRef, next.ProviderState = res.Ref, res.State
			next.NextPollAt = &now
			return []AuditEntry{{Type: EventProviderAccepted, Detail: "provider reference " + res.Ref + " (cancelled meanwhile; to be withdrawn)", CreatedAt: now}}, nil, nil
		}
		if next.Status.Terminal() {
			return nil, nil, ErrNoChange
		}
		if err == nil {
			next.ProviderRef, next.RedirectURL, next.ProviderState = res.Ref, res.RedirectURL, res.State
			due := now.Add(s.pollInterval(next.Provider))
			next.NextPollAt = &due
			return []AuditEntry{{Type: EventProviderAccepted, Detail: "provider reference " + res.Ref, CreatedAt: now}}, nil, nil
		}
		if IsRetryable(err) {
			due := now.Add(s.retryDelay(next))
			next.NextPollAt = &due
			s.log.Warn("provider unavailable; initiate will be retried", "session", next.ID, "provider", next.Provider, "err", err)
			return []AuditEntry{{Type: EventProviderError, Detail: "initiate failed, will retry: " + err.Error(), CreatedAt: now}}, nil, nil
		}
		e, terr := s.changeStatus(next, TriggerFail, providerMessage(err), now)
		if terr != nil {
			return nil, nil, terr
		}
		return []AuditEntry{{Type: EventProviderError, Detail: "initiate refused: " + err.Error(), CreatedAt: now}, e}, nil, nil
	})
}

// retryDelay backs off a session's provider retries a little; polling
// resumes at the normal interval once the provider answers.
func (s *Service) retryDelay(sess *Session) time.Duration {
	d := s.pollInterval(sess.Provider)
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d
}

// ref identifies sess at its provider.
func (s *Service) ref(sess *Session) ProviderRef {
	tenant, id := sess.TenantID, sess.ID
	return ProviderRef{SessionID: id, Ref: sess.ProviderRef, State: sess.ProviderState,
		LoadOriginal: func(ctx context.Context) (Document, error) {
			return s.cfg.Store.Document(ctx, tenant, id, DocumentOriginal)
		}}
}

// providerMessage is the provider's own explanation of a permanent failure.
func providerMessage(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	return err.Error()
}

// Get reads a session, expiring it first if its deadline has passed.
func (s *Service) Get(ctx context.Context, tenantID, id string) (*Session, error) {
	sess, err := s.cfg.Store.Session(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.expireIfDue(ctx, sess)
}

// List lists a tenant's sessions newest first; an open session past its
// deadline is expired on the way, so none is shown open after expiresAt.
func (s *Service) List(ctx context.Context, tenantID string, f ListFilter) ([]*Session, bool, error) {
	list, more, err := s.cfg.Store.ListSessions(ctx, tenantID, f)
	if err != nil {
		return nil, false, err
	}
	for i, sess := range list {
		if list[i], err = s.expireIfDue(ctx, sess); err != nil {
			return nil, false, err
		}
	}
	return list, more, nil
}

// expireIfDue writes the EXPIRED status of an open session past its
// deadline; if even that fails, it still never shows the session open.
func (s *Service) expireIfDue(ctx context.Context, sess *Session) (*Session, error) {
	if sess.Status.Terminal() || s.now().Before(sess.ExpiresAt) {
		return s.present(sess), nil
	}
	next, err := s.Expire(ctx, sess)
	if err != nil {
		return nil, err
	}
	return s.present(next), nil
}

// Expire moves an open session past its deadline to EXPIRED.
func (s *Service) Expire(ctx context.Context, sess *Session) (*Session, error) {
	return s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if now.Before(next.ExpiresAt) {
			return nil, nil, ErrNoChange
		}
		e, err := s.changeStatus(next, TriggerExpire, "expired at "+next.ExpiresAt.Format(time.RFC3339), now)
		return []AuditEntry{e}, nil, err
	})
}

// present fills in what is derived rather than stored.
func (s *Service) present(sess *Session) *Session {
	if sess.Status == StatusCompleted {
		sess.DocumentURL = s.documentURL(sess.ID)
	}
	return sess
}

// Cancel cancels an open session and withdraws it at the provider.
// Cancelling a CANCELLED session returns it unchanged; cancelling another
// terminal one is ErrTerminal.
//
// Withdrawing at the provider is durable work: the cancel commits with the
// session's NextPollAt set, so that if this request cannot reach the
// provider (or the process dies) the poller withdraws it later, under the
// same lease as any poll.
func (s *Service) Cancel(ctx context.Context, tenantID, id string) (*Session, error) {
	sess, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if sess.Status == StatusCancelled {
		return sess, nil
	}
	next, err := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		e, err := s.changeStatus(next, TriggerCancel, "cancelled by the client", now)
		if err == nil && next.ProviderRef != "" {
			lease := now.Add(s.cfg.InitiateLease) // held by this request
			next.NextPollAt = &lease
		}
		return []AuditEntry{e}, nil, err
	})
	if err != nil {
		return nil, err
	}
	if next.Status == StatusCancelled && next.NextPollAt != nil {
		next = s.withdraw(ctx, next)
	}
	return s.present(next), nil
}

// withdraw cancels a CANCELLED session at its provider, so that the signer
// can no longer sign it there, and records the outcome. A provider that
// cannot be reached is tried again on the retry schedule until the
// session's own deadline, after which the provider has expired it anyway.
func (s *Service) withdraw(ctx context.Context, sess *Session) *Session {
	p, err := s.provider(sess.Provider)
	if err == nil {
		err = p.Cancel(ctx, s.ref(sess))
	}
	if err != nil {
		s.log.Warn("cancel at provider failed", "session", sess.ID, "provider", sess.Provider, "err", err)
	}
	next, uerr := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status != StatusCancelled || next.NextPollAt == nil {
			return nil, nil, ErrNoChange // withdrawn meanwhile
		}
		switch {
		case err == nil:
			next.NextPollAt = nil
			return []AuditEntry{{Type: EventProviderCancel, Detail: "withdrawn at the provider", CreatedAt: now}}, nil, nil
		case IsRetryable(err) && now.Before(next.ExpiresAt):
			due := now.Add(s.retryDelay(next))
			next.NextPollAt = &due
			return []AuditEntry{{Type: EventProviderCancel, Detail: "withdrawing at the provider failed, will retry: " + err.Error(), CreatedAt: now}}, nil, nil
		default:
			next.NextPollAt = nil
			return []AuditEntry{{Type: EventProviderCancel, Detail: "withdrawing at the provider failed: " + err.Error(), CreatedAt: now}}, nil, nil
		}
	})
	if uerr != nil {
		s.log.Warn("recording provider cancel failed", "session", sess.ID, "err", uerr)
		return sess
	}
	return next
}

// Refresh pulls a session's state from its provider now and applies it.
func (s *Service) Refresh(ctx context.Context, tenantID, id string) (*Session, error) {
	sess, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.sync(ctx, sess)
}

// sync brings one open session up to date with its provider: it initiates
// a session the provider has not accepted yet, and refreshes the others.
func (s *Service) sync(ctx context.Context, sess *Session) (*Session, error) {
	if sess.Status == StatusCancelled && sess.NextPollAt != nil {
		return s.present(s.withdraw(ctx, sess)), nil
	}
	if sess.Status.Terminal() {
		return s.present(sess), nil
	}
	p, err := s.provider(sess.Provider)
	if err != nil {
		return nil, err
	}
	if sess.ProviderRef == "" {
		doc, err := s.cfg.Store.Document(ctx, sess.TenantID, sess.ID, DocumentOriginal)
		if err != nil {
			return nil, err
		}
		next, err := s.initiate(ctx, p, sess, doc)
		if err != nil {
			return nil, err
		}
		return s.present(next), nil
	}
	upd, err := p.Refresh(ctx, s.ref(sess))
	if err != nil {
		return nil, s.refreshFailed(ctx, sess, err)
	}
	next, err := s.apply(ctx, p, sess, upd, "poll")
	if err != nil {
		return nil, err
	}
	return s.present(next), nil
}

// refreshFailed backs off polling after a failed refresh and returns err.
func (s *Service) refreshFailed(ctx context.Context, sess *Session, err error) error {
	_, uerr := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status.Terminal() {
			return nil, nil, ErrNoChange
		}
		due := now.Add(s.retryDelay(next))
		next.NextPollAt = &due
		return nil, nil, nil
	})
	if uerr != nil {
		s.log.Warn("recording refresh failure failed", "session", sess.ID, "err", uerr)
	}
	return err
}

// apply takes a provider's update through Transition. On completion the
// signed PDF is fetched first and stored in the same write as the status,
// so a COMPLETED session always has its document.
func (s *Service) apply(ctx context.Context, p Provider, sess *Session, upd Update, source string) (*Session, error) {
	trigger := TriggerFor(upd.Status)
	var signed []byte
	if trigger == TriggerComplete && !sess.Status.Terminal() {
		signed = upd.Signed
		if signed == nil {
			var err error
			signed, err = p.FetchDocument(ctx, s.ref(sess))
			if err != nil {
				return nil, s.refreshFailed(ctx, sess, fmt.Errorf("fetching signed document: %w", err))
			}
		}
		if s.cfg.Checks.PDF != nil {
			if err := s.cfg.Checks.PDF(signed); err != nil {
				perr := &ProviderError{Provider: sess.Provider, Op: "document", Retryable: true, Message: "signed document is not a valid PDF", Err: err}
				return nil, s.refreshFailed(ctx, sess, perr)
			}
		}
	}
	return s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status.Terminal() {
			return nil, nil, ErrNoChange // a late callback or poll changes nothing
		}
		if upd.State != nil {
			next.ProviderState = upd.State
		}
		due := now.Add(s.pollInterval(next.Provider))
		next.NextPollAt = &due
		if trigger == 0 {
			return nil, nil, nil
		}
		detail := fmt.Sprintf("provider reported %s (%s)", upd.ProviderStatus, source)
		if upd.Reason != "" {
			detail += ": " + upd.Reason
		}
		reason := upd.Reason
		if trigger == TriggerFail && reason == "" {
			reason = "signing failed at the provider (" + upd.ProviderStatus + ")"
		}
		e, err := s.changeStatus(next, trigger, reason, now)
		if errors.Is(err, ErrNoChange) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		e.Detail, e.Data = detail, upd.Evidence
		var doc *Document
		if trigger == TriggerComplete {
			doc = &Document{SessionID: next.ID, Kind: DocumentSigned, Filename: signedName(next.DocumentName), Content: signed, SHA256: SHA256Hex(signed), CreatedAt: now}
		}
		return []AuditEntry{e}, doc, nil
	})
}

// HandleCallback verifies and applies a provider's callback. With no
// update in the callback itself, the session is refreshed from the
// provider first. A callback for a terminal session changes nothing.
func (s *Service) HandleCallback(ctx context.Context, provider string, header map[string][]string, body []byte) error {
	p, ok := s.cfg.Providers.Provider(provider)
	if !ok {
		return fmt.Errorf("no provider %q: %w", provider, ErrNotFound)
	}
	cb, err := p.ParseCallback(header, body)
	if err != nil {
		return err
	}
	sess, err := s.cfg.Store.SessionByProviderRef(ctx, provider, cb.Ref)
	if err != nil {
		return err
	}
	if sess.Status.Terminal() {
		s.log.Info("callback for a terminal session ignored", "session", sess.ID, "status", sess.Status)
		return nil
	}
	upd := cb.Update
	if upd == nil {
		u, err := p.Refresh(ctx, s.ref(sess))
		if err != nil {
			return s.refreshFailed(ctx, sess, err)
		}
		upd = &u
	}
	_, err = s.apply(ctx, p, sess, *upd, "callback")
	return err
}

// Document returns the signed PDF of a COMPLETED session; ErrConflict otherwise.
func (s *Service) Document(ctx context.Context, tenantID, id string) (Document, error) {
	sess, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return Document{}, err
	}
	if sess.Status != StatusCompleted {
		return Document{}, fmt.Errorf("%w: session is %s; the signed document exists only when COMPLETED", ErrConflict, sess.Status)
	}
	return s.cfg.Store.Document(ctx, tenantID, id, DocumentSigned)
}

// Events returns a session's audit trail, oldest first.
func (s *Service) Events(ctx context.Context, tenantID, id string) ([]AuditEntry, error) {
	if _, err := s.Get(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.cfg.Store.AuditTrail(ctx, tenantID, id)
}

// PollDue refreshes (or initiates, or withdraws at the provider) up to
// limit sessions that are due, leasing them so that concurrent workers and
// replicas never poll one session at once. Up to PollConcurrency sessions
// are handled at a time. Once ctx ends no further session is started: the
// claimed ones not yet started are released at once for another worker,
// and those in flight are finished (their provider calls are bounded by
// the adapters' own timeouts). It returns how many it claimed.
func (s *Service) PollDue(ctx context.Context, limit int) (int, error) {
	// The claim itself is not cancelled by shutdown (a claim committed but
	// never seen would stay leased); what it claimed is worked or released.
	work := context.WithoutCancel(ctx)
	claimCtx, cancel := context.WithTimeout(work, 30*time.Second)
	due, err := s.cfg.Store.ClaimDuePolls(claimCtx, s.now(), s.cfg.PollLease, limit)
	cancel()
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, s.cfg.PollConcurrency)
	var wg sync.WaitGroup
	for i, sess := range due {
		select {
		case <-ctx.Done():
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			s.release(work, due[i:])
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.pollOne(work, sess)
		}()
	}
	wg.Wait()
	return len(due), nil
}

// pollOne does what a claimed session is due for.
func (s *Service) pollOne(ctx context.Context, sess *Session) {
	if sess.Status == StatusCancelled {
		s.withdraw(ctx, sess)
		return
	}
	if _, err := s.expireIfDue(ctx, sess); err != nil {
		s.log.Warn("expiring session failed", "session", sess.ID, "err", err)
		return
	}
	if !s.now().Before(sess.ExpiresAt) {
		return
	}
	if _, err := s.sync(ctx, sess); err != nil {
		s.log.Warn("polling provider failed", "session", sess.ID, "provider", sess.Provider, "err", err)
	}
}

// release gives claimed sessions back to the queue, due now, unless they
// changed since the claim (then their lease is someone else's business).
func (s *Service) release(ctx context.Context, claimed []*Session) {
	now := s.now()
	changes := make([]Change, len(claimed))
	for i, sess := range claimed {
		next := sess.Clone()
		next.NextPollAt = &now
		changes[i] = Change{Session: next, ExpectVersion: sess.Version}
	}
	if _, err := s.cfg.Store.UpdateSessions(ctx, changes); err != nil {
		s.log.Warn("releasing claimed polls failed; they return when their lease ends", "count", len(claimed), "err", err)
	}
}

// ExpireDue moves up to limit open sessions past their deadline to
// EXPIRED, in one transaction, and returns how many it expired. A session
// that changed meanwhile is expired on its own, on fresh state.
func (s *Service) ExpireDue(ctx context.Context, limit int) (int, error) {
	now := s.now()
	due, err := s.cfg.Store.DueForExpiry(ctx, now, limit)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	changes := make([]Change, 0, len(due))
	for _, sess := range due {
		next := sess.Clone()
		e, err := s.changeStatus(next, TriggerExpire, "expired at "+next.ExpiresAt.Format(time.RFC3339), now)
		if err != nil {
			return 0, err
		}
		c, err := s.change(sess, next, []AuditEntry{e}, nil, now)
		if err != nil {
			return 0, err
		}
		changes = append(changes, c)
	}
	results, err := s.cfg.Store.UpdateSessions(ctx, changes)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, r := range results {
		if r == nil {
			n++
			continue
		}
		if !errors.Is(r, ErrStale) {
			continue // deleted meanwhile
		}
		next, err := s.Expire(ctx, due[i])
		if err != nil {
			return n, err
		}
		if next.Status == StatusExpired {
			n++
		}
	}
	if n > 0 {
		s.notifyAll()
	}
	return n, nil
}

// changeStatus applies trigger t to next through Transition and sets the
// fields that belong to the new status. reason is the failureReason.
func (s *Service) changeStatus(next *Session, t Trigger, reason string, now time.Time) (AuditEntry, error) {
	from := next.Status
	to, err := Transition(from, t)
	if err != nil {
		return AuditEntry{}, err
	}
	next.Status = to
	switch to {
	case StatusCompleted:
		next.CompletedAt = &now
		next.DocumentURL = s.documentURL(next.ID)
	case StatusFailed:
		next.FailureReason = reason
	}
	if to.Terminal() {
		next.NextPollAt = nil
	}
	detail := reason
	if to != StatusFailed && to != StatusExpired && to != StatusCancelled {
		detail = ""
	}
	return AuditEntry{Type: StatusEventType(to), FromStatus: from, ToStatus: to, Detail: detail, CreatedAt: now}, nil
}

// update computes a change on a copy of sess with fn and stores it,
// conditional on the version read. When a concurrent writer won, it reads
// the session again and recomputes, so fn always decides on fresh state.
// fn returning ErrNoChange leaves the session as it is.
func (s *Service) update(ctx context.Context, sess *Session, fn func(next *Session, now time.Time) ([]AuditEntry, *Document, error)) (*Session, error) {
	for attempt := 0; ; attempt++ {
		now := s.now()
		next := sess.Clone()
		entries, doc, err := fn(next, now)
		if errors.Is(err, ErrNoChange) {
			return sess, nil
		}
		if err != nil {
			return sess, err
		}
		c, err := s.change(sess, next, entries, doc, now)
		if err != nil {
			return sess, err
		}
		err = s.cfg.Store.UpdateSession(ctx, c)
		if err == nil {
			s.notify(entries)
			return next, nil
		}
		if !errors.Is(err, ErrStale) || attempt >= 20 {
			return sess, err
		}
		if sess, err = s.cfg.Store.SessionByID(ctx, sess.ID); err != nil {
			return nil, err
		}
	}
}

// change makes the store write that moves old to next: updatedAt moves if
// clients see a difference, and the entries get their owner and, for
// status changes, their webhook bodies.
func (s *Service) change(old, next *Session, entries []AuditEntry, doc *Document, now time.Time) (Change, error) {
	if visiblyChanged(old, next) {
		next.UpdatedAt = now
	}
	for i := range entries {
		entries[i].SessionID, entries[i].TenantID = next.ID, next.TenantID
	}
	if err := s.attachWebhooks(entries, next); err != nil {
		return Change{}, err
	}
	return Change{Session: next, ExpectVersion: old.Version, Before: old, Entries: entries, Signed: doc}, nil
}

// webhookBody is the Standard Webhooks payload of CONTRACT.md §3.
type webhookBody struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      *Session  `json:"data"`
}

// attachWebhooks gives each status-change entry the body its webhooks
// carry: the session as the client would read it after the change. The
// store queues the deliveries in the same transaction as the change.
func (s *Service) attachWebhooks(entries []AuditEntry, sess *Session) error {
	for i, e := range entries {
		if !slices.Contains(WebhookEventTypes, e.Type) {
			continue
		}
		b, err := json.Marshal(webhookBody{Type: e.Type, Timestamp: e.CreatedAt, Data: s.present(sess.Clone())})
		if err != nil {
			return err
		}
		entries[i].Webhook = b
	}
	return nil
}

func (s *Service) notify(entries []AuditEntry) {
	for _, e := range entries {
		if e.Webhook != nil {
			s.notifyAll()
			return
		}
	}
}

// notifyAll tells the webhook dispatcher that events were committed.
func (s *Service) notifyAll() {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent()
	}
}

// visiblyChanged reports whether a change touches what clients see, so
// that updatedAt moves only then (not for poll bookkeeping or audit lines).
func visiblyChanged(old, next *Session) bool {
	return old.Status != next.Status || old.RedirectURL != next.RedirectURL ||
		old.FailureReason != next.FailureReason || old.DocumentURL != next.DocumentURL
}

func signedName(original string) string {
	if original == "" {
		return "signed.pdf"
	}
	return "signed-" + original
}
