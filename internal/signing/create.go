package signing

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of CONTRACT.md §1 and §2.
const (
	MaxOrderIDLen       = 255
	MaxMetadataKeys     = 50
	MaxMetadataKeyLen   = 40
	MaxMetadataValueLen = 500
	MaxFilenameLen      = 255
	MaxURLLen           = 2048
	MaxExpiry           = 30 * 24 * time.Hour
	DefaultExpiry       = 24 * time.Hour
	DefaultLanguage     = "en"
)

// CreateRequest is a decoded POST /signing body. The HTTP layer decodes
// JSON and base64; the rules about values live here.
type CreateRequest struct {
	OrderID string
	// SignerDetails is the one signer of a single-signer request; Signers
	// lists several (each one's signerDetails) in signing order. A request
	// has one or the other.
	SignerDetails json.RawMessage
	Signers       []json.RawMessage
	SigningOrder  SigningOrder
	Filename      string
	Content       []byte // the decoded PDF
	Provider      string
	Language      string
	ReturnURL     string
	ExpiresAt     *time.Time
	Metadata      map[string]string
}

// Checks are the validations that need more than the request itself: the
// provider's signer-details schema and a PDF parser. The service is given
// them so that the domain stays free of those libraries.
type Checks struct {
	// SignerDetails validates signerDetails against the provider's JSON
	// Schema and returns one FieldError per problem, with fields named
	// "signerDetails.<path>".
	SignerDetails func(provider string, details json.RawMessage) []FieldError
	// PDF returns an error explaining why content is not a usable PDF.
	PDF func(content []byte) error
}

// validate applies every rule of CONTRACT.md to r, filling in defaults.
// It names each invalid field; provider must be the resolved provider.
func (r *CreateRequest) validate(now time.Time, info ProviderInfo, checks Checks) error {
	v := &ValidationError{}
	switch {
	case r.OrderID == "":
		v.Add("orderId", "is required")
	case utf8.RuneCountInString(r.OrderID) > MaxOrderIDLen:
		v.Add("orderId", "must be at most %d characters", MaxOrderIDLen)
	case strings.TrimSpace(r.OrderID) == "":
		v.Add("orderId", "must not be blank")
	}

	if r.Language == "" {
		r.Language = DefaultLanguage
	}
	if !slices.Contains(info.Languages, r.Language) {
		v.Add("language", "provider %s does not support %s; supported: %s", info.Name, Quote(r.Language), strings.Join(info.Languages, ", "))
	}

	r.validateSigners(v, info, checks)

	switch {
	case strings.TrimSpace(r.Filename) == "":
		v.Add("document.filename", "is required")
	case utf8.RuneCountInString(r.Filename) > MaxFilenameLen:
		v.Add("document.filename", "must be at most %d characters", MaxFilenameLen)
	case strings.ContainsAny(r.Filename, "/\\\x00"):
		v.Add("document.filename", "must be a file name, not a path")
	}
	if len(r.Content) == 0 {
		v.Add("document.content", "is required: the base64-encoded PDF")
	} else if checks.PDF != nil {
		if err := checks.PDF(r.Content); err != nil {
			v.Add("document.content", "is not a valid PDF: %v", err)
		}
	}

	if r.ReturnURL != "" {
		if msg := checkHTTPURL(r.ReturnURL); msg != "" {
			v.Add("returnUrl", "%s", msg)
		}
	}

	if r.ExpiresAt != nil {
		switch {
		case !r.ExpiresAt.After(now):
			v.Add("expiresAt", "must be in the future")
		case r.ExpiresAt.Sub(now) > MaxExpiry:
			v.Add("expiresAt", "must be at most 30 days ahead")
		}
	}

	if len(r.Metadata) > MaxMetadataKeys {
		v.Add("metadata", "must have at most %d keys, has %d", MaxMetadataKeys, len(r.Metadata))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Metadata)) {
		switch {
		case k == "":
			v.Add("metadata", "keys must not be empty")
		case utf8.RuneCountInString(k) > MaxMetadataKeyLen:
			v.Add("metadata."+k, "key must be at most %d characters", MaxMetadataKeyLen)
		case utf8.RuneCountInString(r.Metadata[k]) > MaxMetadataValueLen:
			v.Add("metadata."+k, "value must be at most %d characters", MaxMetadataValueLen)
		}
	}
	return v.Err()
}

// validateSigners checks the signers and their order against the
// provider, naming each field as the request has it: signerDetails.<key>
// for one signer, signers[N].signerDetails.<key> for several.
func (r *CreateRequest) validateSigners(v *ValidationError, info ProviderInfo, checks Checks) {
	has := len(r.SignerDetails) > 0 && string(r.SignerDetails) != "null"
	switch {
	case has && r.Signers != nil:
		v.Add("signers", "give either signerDetails (one signer) or signers, not both")
		return
	case !has && r.Signers == nil:
		v.Add("signerDetails", "is required (or signers, for several signers)")
		v.Add("signers", "give signerDetails (one signer) or signers (1 to %d signers in signing order)", MaxSigners)
		return
	}
	max := max(info.MaxSigners, 1)
	switch n := len(r.Signers); {
	case r.Signers == nil:
	case n == 0:
		v.Add("signers", "must list at least one signer")
	case n > MaxSigners:
		v.Add("signers", "must list at most %d signers, lists %d", MaxSigners, n)
	case n > max:
		v.Add("signers", "provider %s takes at most %d signer(s) in a session, got %d", info.Name, max, n)
	}
	if r.SigningOrder == "" {
		r.SigningOrder = Sequential
	}
	switch {
	case r.SigningOrder != Sequential && r.SigningOrder != Parallel:
		v.Add("signingOrder", "must be sequential or parallel")
	case len(r.Signers) > 1 && !slices.Contains(info.SigningOrders, r.SigningOrder):
		v.Add("signingOrder", "provider %s does not take signers in %s order", info.Name, r.SigningOrder)
	}
	if checks.SignerDetails == nil {
		return
	}
	if has {
		v.Errors = append(v.Errors, checks.SignerDetails(info.Name, r.SignerDetails)...)
		return
	}
	for i, d := range r.Signers {
		prefix := fmt.Sprintf("signers[%d].signerDetails", i)
		if len(d) == 0 || string(d) == "null" {
			v.Add(prefix, "is required")
			continue
		}
		for _, fe := range checks.SignerDetails(info.Name, d) {
			v.Add(prefix+strings.TrimPrefix(fe.Field, "signerDetails"), "%s", fe.Message)
		}
	}
}

// signerDetails lists every signer's details in order.
func (r *CreateRequest) signerDetails() []json.RawMessage {
	if r.Signers != nil {
		return r.Signers
	}
	return []json.RawMessage{r.SignerDetails}
}

// checkHTTPURL returns why s is not an absolute http(s) URL, or "".
func checkHTTPURL(s string) string {
	if len(s) > MaxURLLen {
		return "must be at most 2048 characters"
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
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
		return nil, Invalid("provider", "unknown provider %s; see GET /signing/providers", Quote(r.Provider))
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
	details := r.signerDetails()
	statuses := InitialSignerStatuses(len(details), r.SigningOrder)
	signers := make([]Signer, len(details))
	for i, d := range details {
		signers[i] = Signer{ID: "sgn_" + s.cfg.NewID(), Details: d, Status: statuses[i]}
		signers[i].LinkHash = HashToken(s.cfg.Links.Token(signers[i].ID))
	}
	sess := &Session{
		ID:            s.cfg.NewID(),
		TenantID:      tenantID,
		OrderID:       r.OrderID,
		Status:        StatusPending,
		SignerDetails: details[0],
		Signers:       signers,
		SigningOrder:  r.SigningOrder,
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
	// A provider inside this process answers at once and cannot be
	// unreachable: its answer is stored with the session, in one
	// transaction instead of two. Should it refuse, the session is
	// stored and started as at any other provider, which records why.
	var answered bool
	var res Initiated
	var ierr error
	if p.Info().InProcess {
		answered = true
		if res, ierr = s.callInitiate(ctx, p, sess, doc); ierr == nil {
			entries = append(entries, accept(sess, res, now.Add(s.pollInterval(sess.Provider)), now))
		}
	}
	if err := s.attachWebhooks(entries, sess); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.CreateSession(ctx, sess, doc, entries); err != nil {
		return nil, err
	}
	s.committed(sess, entries)
	switch {
	case !answered:
		return s.initiate(ctx, p, sess, doc)
	case ierr != nil:
		return s.recordInitiate(ctx, sess, res, ierr)
	}
	s.inviteOpen(sess)
	return sess, nil
}

// callInitiate asks p to start sess, and observes the call.
func (s *Service) callInitiate(ctx context.Context, p Provider, sess *Session, doc Document) (Initiated, error) {
	start := time.Now()
	signers := make([]SignerRequest, len(sess.Signers))
	for i, sg := range sess.Signers {
		signers[i] = SignerRequest{ID: sg.ID, Details: sg.Details}
	}
	res, err := p.Initiate(ctx, InitiateRequest{
		SessionID:     sess.ID,
		OrderID:       sess.OrderID,
		SignerDetails: sess.SignerDetails,
		Signers:       signers,
		SigningOrder:  sess.SigningOrder,
		Language:      sess.Language,
		Document:      doc,
		ReturnURL:     s.returnURL(sess),
		CallbackURL:   s.CallbackURL(sess.Provider),
		ExpiresAt:     sess.ExpiresAt,
	})
	s.observe(sess.Provider, "initiate", start, err)
	return res, err
}

// accept records the provider's acceptance res in next, due to be
// polled at due, and returns the audit entry that says so.
func accept(next *Session, res Initiated, due, now time.Time) AuditEntry {
	next.ProviderRef, next.ProviderState = res.Ref, res.State
	next.Signers[0].ProviderURL = res.RedirectURL
	for i, is := range res.Signers {
		if i < len(next.Signers) {
			next.Signers[i].ProviderRef, next.Signers[i].ProviderURL = is.Ref, is.URL
		}
	}
	next.NextPollAt = &due
	return AuditEntry{Type: EventProviderAccepted, Detail: "provider reference " + res.Ref, CreatedAt: now}
}

// initiate starts sess at its provider and records the outcome.
func (s *Service) initiate(ctx context.Context, p Provider, sess *Session, doc Document) (*Session, error) {
	res, err := s.callInitiate(ctx, p, sess, doc)
	return s.recordInitiate(ctx, sess, res, err)
}

// recordInitiate records the provider's answer to starting sess: res, or
// err (to retry, or the session fails).
func (s *Service) recordInitiate(ctx context.Context, sess *Session, res Initiated, err error) (*Session, error) {
	accepted := false // by this call, in the write that won
	next, uerr := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		accepted = false
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
			accepted = true
			return []AuditEntry{accept(next, res, now.Add(s.pollInterval(next.Provider)), now)}, nil, nil
		}
		if IsRetryable(err) {
			due := now.Add(backoff(s.retryDelay(next), 1, err)) // at least the provider's Retry-After
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
	if uerr == nil && accepted {
		s.inviteOpen(next)
	}
	return next, uerr
}

// inviteOpen invites the signers of a session the provider just took who
// may sign at once.
func (s *Service) inviteOpen(next *Session) {
	var open []int
	for i, sg := range next.Signers {
		if sg.Status == SignerPending {
			open = append(open, i)
		}
	}
	s.invite(next.Clone(), open)
}
