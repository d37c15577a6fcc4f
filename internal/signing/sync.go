package signing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Refresh pulls a session's state from its provider now and applies it.
func (s *Service) Refresh(ctx context.Context, tenantID, id string) (*Session, error) {
	sess, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.sync(ctx, sess)
}

// Poll does what a session claimed from the poll queue is due for: it
// withdraws a cancelled session at its provider, expires one past its
// deadline, and otherwise brings it up to date with its provider. Errors
// are logged: the session's next poll is already scheduled.
func (s *Service) Poll(ctx context.Context, sess *Session) {
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

// sync brings one open session up to date with its provider: it initiates
// a session the provider has not accepted yet, and refreshes the others.
func (s *Service) sync(ctx context.Context, sess *Session) (*Session, error) {
	if sess.Status == StatusCancelled && sess.NextPollAt != nil {
		return s.withdraw(ctx, sess), nil
	}
	if sess.Status.Terminal() {
		return sess, nil
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
		return s.initiate(ctx, p, sess, doc)
	}
	upd, err := s.refresh(ctx, p, sess)
	if err != nil {
		return nil, s.refreshFailed(ctx, sess, err)
	}
	return s.apply(ctx, p, sess, upd, "poll")
}

// refresh asks the provider for the session's state.
func (s *Service) refresh(ctx context.Context, p Provider, sess *Session) (Update, error) {
	start := time.Now()
	upd, err := p.Refresh(ctx, s.ref(sess))
	s.observe(sess.Provider, "refresh", start, err)
	return upd, err
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
			start := time.Now()
			signed, err = p.FetchDocument(ctx, s.ref(sess))
			s.observe(sess.Provider, "document", start, err)
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
func (s *Service) HandleCallback(ctx context.Context, provider string, header http.Header, body []byte) error {
	p, ok := s.cfg.Providers.Provider(provider)
	if !ok {
		return Errorf(ErrNotFound, "there is no provider %s on this server", Quote(provider))
	}
	start := time.Now()
	cb, err := p.ParseCallback(header, body)
	s.observe(provider, "callback", start, err)
	if err != nil {
		return err
	}
	sess, err := s.cfg.Store.SessionByProviderRef(ctx, provider, cb.Ref)
	if errors.Is(err, ErrNotFound) {
		return Wrap(ErrNotFound, err, "no signing session has this %s reference", provider)
	}
	if err != nil {
		return err
	}
	if sess.Status.Terminal() {
		s.log.Info("callback for a terminal session ignored", "session", sess.ID, "status", sess.Status)
		return nil
	}
	upd := cb.Update
	if upd == nil {
		u, err := s.refresh(ctx, p, sess)
		if err != nil {
			return s.refreshFailed(ctx, sess, err)
		}
		upd = &u
	}
	_, err = s.apply(ctx, p, sess, *upd, "callback")
	return err
}
