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
	if withdrawable(sess.Status) {
		s.withdraw(ctx, sess)
		return
	}
	if _, err := s.expireIfDue(ctx, sess); err != nil {
		s.log.Warn("expiring session failed", "session", sess.ID, "err", err)
		return
	}
	if !s.now().Before(sess.ExpiresAt) && sess.ProviderCompletedAt == nil {
		return
	}
	if _, err := s.sync(ctx, sess); err != nil {
		// A refresh failure is counted by refreshFailed; other failures
		// (starting the request, fetching the document) are logged each time.
		if n := s.failing.current(sess.ID); n == 0 || worthLogging(n) {
			s.log.Warn("polling provider failed", "session", sess.ID, "provider", sess.Provider, "failuresInARow", n, "err", err)
		}
	}
}

// sync brings one open session up to date with its provider: it initiates
// a session the provider has not accepted yet, and refreshes the others.
func (s *Service) sync(ctx context.Context, sess *Session) (*Session, error) {
	if withdrawable(sess.Status) && sess.NextPollAt != nil {
		return s.withdraw(ctx, sess), nil
	}
	if sess.Status.Terminal() {
		return sess, nil
	}
	p, err := s.provider(sess.Provider)
	if err != nil {
		return nil, err
	}
	if sess.ProviderCompletedAt != nil {
		return s.complete(ctx, p, sess) // the provider has told all; only the document is missing
	}
	if sess.ProviderRef == "" {
		doc, err := s.cfg.Store.Document(ctx, sess.TenantID, sess.ID, DocumentOriginal)
		if err != nil {
			return nil, err
		}
		return s.initiate(ctx, p, sess, doc)
	}
	upd, err := s.refresh(ctx, p, sess)
	if failed, ok := s.goneRefresh(ctx, sess, err); ok {
		return failed, nil
	}
	if err != nil {
		return nil, s.refreshFailed(ctx, sess, err)
	}
	s.failing.succeeded(sess.ID)
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
// Each failure in a row doubles the wait (see backoff).
func (s *Service) refreshFailed(ctx context.Context, sess *Session, err error) error {
	n := s.failing.failed(sess.ID)
	_, uerr := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status.Terminal() {
			return nil, nil, ErrNoChange
		}
		due := now.Add(backoff(s.retryDelay(next), n, err))
		next.NextPollAt = &due
		return nil, nil, nil
	})
	if uerr != nil {
		s.log.Warn("recording refresh failure failed", "session", sess.ID, "err", uerr)
	}
	return err
}

// apply takes a provider's update through SignerTransition and
// Transition. A session completes only together with its signed
// document; when the provider has every signature but the document is
// not in hand, that fact is stored first (ProviderCompletedAt, the new
// signers' statuses, the provider's state and evidence) and the document
// is fetched after, so a failing download never loses a signature.
func (s *Service) apply(ctx context.Context, p Provider, sess *Session, upd Update, source string) (*Session, error) {
	if sess.Status.Terminal() {
		return s.lateSignature(ctx, sess, upd, source)
	}
	if upd.Signed == nil && completes(sess, upd) {
		next, err := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
			if next.Status.Terminal() || !completes(next, upd) {
				return nil, nil, ErrNoChange
			}
			if upd.State != nil {
				next.ProviderState = upd.State
			}
			entries, err := s.advance(next, signerChanges(next, upd), false, now)
			if err != nil {
				return nil, nil, err
			}
			if next.ProviderCompletedAt == nil {
				next.ProviderCompletedAt = &now
				entries = append(entries, AuditEntry{Type: EventProviderCompleted, CreatedAt: now, Data: upd.Evidence,
					Detail: fmt.Sprintf("provider reported every signature (%s, %s); fetching the signed document", upd.ProviderStatus, source)})
			}
			due := now.Add(s.retryDelay(next)) // if this process dies now, the poller fetches it
			next.NextPollAt = &due
			return entries, nil, nil
		})
		if err != nil || next.Status.Terminal() {
			return next, err
		}
		return s.complete(ctx, p, next)
	}
	var signed []byte
	if upd.Signed != nil {
		if err := s.checkSigned(sess, upd.Signed); err != nil {
			return nil, s.refreshFailed(ctx, sess, err)
		}
		signed = upd.Signed
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
		entries, err := s.advance(next, signerChanges(next, upd), signed != nil, now)
		if err != nil {
			return nil, nil, err
		}
		note(entries, upd, source)
		return entries, s.signedDocument(next, signed, now), nil
	})
}

// completes reports whether upd gives every signer of sess a signature.
func completes(sess *Session, upd Update) bool {
	next := sess.Clone()
	for _, c := range signerChanges(sess, upd) {
		if to, err := SignerTransition(next.Signers[c.index].Status, c.trigger); err == nil {
			next.Signers[c.index].Status = to
		}
	}
	return DeriveStatus(next.Signers) == StatusCompleted
}

// note adds the provider's words to the session's status-change entry.
func note(entries []AuditEntry, upd Update, source string) {
	for i := range entries {
		if entries[i].ToStatus == "" {
			continue
		}
		detail := fmt.Sprintf("provider reported %s (%s)", upd.ProviderStatus, source)
		if upd.Reason != "" {
			detail += ": " + upd.Reason
		}
		entries[i].Detail, entries[i].Data = detail, upd.Evidence
	}
}

// signedDocument is the signed document to store with a change that
// completes next, or nil.
func (s *Service) signedDocument(next *Session, signed []byte, now time.Time) *Document {
	if next.Status != StatusCompleted || signed == nil {
		return nil
	}
	return &Document{SessionID: next.ID, Kind: DocumentSigned, Filename: signedName(next.DocumentName), Content: signed, SHA256: SHA256Hex(signed), CreatedAt: now}
}

// checkSigned refuses a "signed document" that is not a PDF.
func (s *Service) checkSigned(sess *Session, signed []byte) error {
	if s.cfg.Checks.PDF == nil {
		return nil
	}
	if err := s.cfg.Checks.PDF(signed); err != nil {
		return &ProviderError{Provider: sess.Provider, Op: "document", Retryable: true, Message: "the signed document is not a valid PDF", Err: err}
	}
	return nil
}

// complete fetches the signed document of a session whose provider has
// every signature, and completes the session with it (and the provider's
// DocumentNotice, if it had one, in the events).
func (s *Service) complete(ctx context.Context, p Provider, sess *Session) (*Session, error) {
	start := time.Now()
	signed, err := p.FetchDocument(ctx, s.ref(sess))
	notice, err := documentNotice(signed, err)
	s.observe(sess.Provider, "document", start, err)
	if err == nil {
		err = s.checkSigned(sess, signed)
	}
	if err != nil {
		return s.documentFailed(ctx, sess, err)
	}
	return s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status.Terminal() {
			return nil, nil, ErrNoChange
		}
		entries, err := s.advance(next, nil, true, now)
		if err != nil {
			return nil, nil, err
		}
		if notice != nil {
			// Before the completion: it is about the document completing it.
			entries = append([]AuditEntry{{Type: EventDocumentNotice, CreatedAt: now, Detail: notice.Message}}, entries...)
		}
		return entries, s.signedDocument(next, signed, now), nil
	})
}

// documentFailed records a failed download of a signed document and
// retries it later, backing off as time passes; once DocumentDeadline
// has passed since the provider completed, the session fails saying so.
func (s *Service) documentFailed(ctx context.Context, sess *Session, cause error) (*Session, error) {
	next, err := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status.Terminal() || next.ProviderCompletedAt == nil {
			return nil, nil, ErrNoChange
		}
		waited := now.Sub(*next.ProviderCompletedAt)
		if waited >= s.cfg.DocumentDeadline {
			e, err := s.changeStatus(next, TriggerFail, fmt.Sprintf("every signer signed at the provider, but the signed document could not be retrieved within %s: %s",
				s.cfg.DocumentDeadline, providerMessage(cause)), now)
			return []AuditEntry{e}, nil, err
		}
		due := now.Add(min(max(waited/4, s.retryDelay(next)), 10*time.Minute))
		next.NextPollAt = &due
		return []AuditEntry{{Type: EventProviderError, CreatedAt: now,
			Detail: "fetching the signed document failed, will retry at " + due.Format(time.RFC3339) + ": " + cause.Error()}}, nil, nil
	})
	if err != nil {
		return next, err
	}
	if next.Status.Terminal() {
		return next, nil
	}
	return next, fmt.Errorf("fetching signed document: %w", cause)
}

// lateSignature records, once per signer, a signature the provider reports
// for a session Signet has already ended: the session stays as it is.
func (s *Service) lateSignature(ctx context.Context, sess *Session, upd Update, source string) (*Session, error) {
	if sess.Status == StatusCompleted {
		return sess, nil
	}
	var late []int
	for _, c := range signerChanges(sess, upd) {
		if c.trigger == SignerSign && sess.Signers[c.index].Status != SignerSigned {
			late = append(late, c.index)
		}
	}
	if len(late) == 0 {
		return sess, nil
	}
	trail, err := s.cfg.Store.AuditTrail(ctx, sess.TenantID, sess.ID)
	if err != nil {
		return nil, err
	}
	recorded := map[string]bool{}
	for _, e := range trail {
		if e.Type == EventLateSignature {
			recorded[e.SignerID] = true
		}
	}
	return s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		var entries []AuditEntry
		for _, i := range late {
			sg := next.Signers[i]
			if recorded[sg.ID] {
				continue
			}
			entries = append(entries, AuditEntry{Type: EventLateSignature, SignerID: sg.ID, CreatedAt: now, Data: upd.Evidence,
				Detail: fmt.Sprintf("the provider reported a signature by signer %s (%s, %s) after the session was %s; the session stays %s",
					signerLabel(next, i), upd.ProviderStatus, source, next.Status, next.Status)})
		}
		if len(entries) == 0 {
			return nil, nil, ErrNoChange
		}
		s.log.Info("late signature recorded", "session", next.ID, "provider", next.Provider, "status", next.Status)
		return entries, nil, nil
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
	if sess.Status == StatusCompleted {
		return nil // nothing a callback says changes it
	}
	upd := cb.Update
	if upd == nil {
		u, err := s.refresh(ctx, p, sess)
		if err != nil && sess.Status.Terminal() {
			// Only a late signature is of interest: nothing to retry.
			s.log.Info("refresh after a callback for an ended session failed", "session", sess.ID, "status", sess.Status, "err", err)
			return nil
		}
		if _, ok := s.goneRefresh(ctx, sess, err); ok {
			return nil
		}
		if err != nil {
			return s.refreshFailed(ctx, sess, err)
		}
		upd = &u
	}
	_, err = s.apply(ctx, p, sess, *upd, "callback")
	return err
}
