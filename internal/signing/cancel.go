package signing

import (
	"context"
	"time"
)

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
	if sess.ProviderCompletedAt != nil && !sess.Status.Terminal() {
		return nil, Errorf(ErrConflict, "every signer has signed at the provider; the session completes as soon as Signet has the signed document, and cannot be cancelled")
	}
	next, err := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		e, err := s.changeStatus(next, TriggerCancel, "cancelled by the client", now)
		if err != nil {
			return nil, nil, err
		}
		entries := []AuditEntry{e}
		if w, ok := s.toWithdraw(next, now); ok {
			lease := now.Add(s.cfg.InitiateLease) // held by this request
			next.NextPollAt = &lease
		} else if len(w.Detail) > 0 {
			entries = append(entries, w)
		}
		return entries, nil, nil
	})
	if err != nil {
		return nil, err
	}
	if next.Status == StatusCancelled && next.NextPollAt != nil {
		next = s.withdraw(ctx, next)
	}
	return next, nil
}

// toWithdraw says whether a session Signet just ended must be withdrawn
// at its provider (it was accepted there, and the provider has a way). If
// not for want of a way, it returns the audit entry that says so.
func (s *Service) toWithdraw(next *Session, now time.Time) (AuditEntry, bool) {
	if next.ProviderRef == "" {
		return AuditEntry{}, false
	}
	if !s.withdraws[next.Provider] {
		return AuditEntry{Type: EventProviderCancel, CreatedAt: now,
			Detail: next.Provider + " has no way to withdraw a request: the signer link no longer forwards there, and a signature made there anyway is recorded as late"}, false
	}
	return AuditEntry{}, true
}

// withdrawable reports whether a session in status st may have a request
// still to withdraw at its provider.
func withdrawable(st Status) bool { return st == StatusCancelled || st == StatusExpired }

// withdrawDeadline is when Signet stops trying to withdraw a request: the
// session's own deadline, and at least a day after it ended.
func withdrawDeadline(sess *Session) time.Time {
	return later(sess.ExpiresAt, sess.UpdatedAt.Add(24*time.Hour))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// withdraw withdraws a CANCELLED or EXPIRED session's request at its
// provider, so that the signer can no longer sign it there, and records
// the outcome. A provider that cannot be reached is tried again on the
// retry schedule until withdrawDeadline.
func (s *Service) withdraw(ctx context.Context, sess *Session) *Session {
	p, err := s.provider(sess.Provider)
	if err == nil {
		start := time.Now()
		err = p.Cancel(ctx, s.ref(sess))
		s.observe(sess.Provider, "cancel", start, err)
	}
	if err != nil {
		s.log.Warn("cancel at provider failed", "session", sess.ID, "provider", sess.Provider, "err", err)
	}
	next, uerr := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if !withdrawable(next.Status) || next.NextPollAt == nil {
			return nil, nil, ErrNoChange // withdrawn meanwhile
		}
		switch {
		case err == nil:
			next.NextPollAt = nil
			return []AuditEntry{{Type: EventProviderCancel, Detail: "withdrawn at the provider", CreatedAt: now}}, nil, nil
		case IsRetryable(err) && now.Before(withdrawDeadline(next)):
			due := now.Add(backoff(s.retryDelay(next), 1, err))
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
