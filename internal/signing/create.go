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
	OrderID       string
	SignerDetails json.RawMessage
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

	if len(r.SignerDetails) == 0 || string(r.SignerDetails) == "null" {
		v.Add("signerDetails", "is required")
	} else if checks.SignerDetails != nil {
		v.Errors = append(v.Errors, checks.SignerDetails(info.Name, r.SignerDetails)...)
	}

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
	s.committed(sess, entries)
	return s.initiate(ctx, p, sess, doc)
}

// initiate starts sess at its provider and records the outcome.
func (s *Service) initiate(ctx context.Context, p Provider, sess *Session, doc Document) (*Session, error) {
	start := time.Now()
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
	s.observe(sess.Provider, "initiate", start, err)
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
