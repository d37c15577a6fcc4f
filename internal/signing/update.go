package signing

import (
	"context"
	"errors"
	"slices"
	"time"
)

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
			s.committed(next, entries)
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

// attachWebhooks gives each status-change entry the body its webhooks
// carry: the session as the client would read it after the change. The
// store queues the deliveries in the same transaction as the change.
func (s *Service) attachWebhooks(entries []AuditEntry, sess *Session) error {
	for i, e := range entries {
		if !slices.Contains(WebhookEventTypes, e.Type) {
			continue
		}
		b, err := s.cfg.EncodeEvent(e.Type, e.CreatedAt, sess)
		if err != nil {
			return err
		}
		entries[i].Webhook = b
	}
	return nil
}

// committed logs the status changes of a write that is now durable and
// wakes the webhook dispatcher for their events.
func (s *Service) committed(sess *Session, entries []AuditEntry) {
	wake := false
	var turns []int
	for _, e := range entries {
		if e.ToStatus != "" {
			s.logStatus(sess, e)
		}
		wake = wake || e.Webhook != nil
		if e.Type == EventSignerTurn {
			for i, sg := range sess.Signers {
				if sg.ID == e.SignerID {
					turns = append(turns, i)
				}
			}
		}
	}
	if wake {
		s.notifyAll()
	}
	s.invite(sess, turns)
}

// logStatus writes the info line of a session entering a status; it names
// ids and words, never signer details or documents.
func (s *Service) logStatus(sess *Session, e AuditEntry) {
	attrs := []any{"session", sess.ID, "tenantId", sess.TenantID, "provider", sess.Provider, "status", e.ToStatus}
	if e.ToStatus == StatusFailed {
		attrs = append(attrs, "reason", sess.FailureReason)
	}
	s.log.Info("session "+statusWord[e.ToStatus], attrs...)
	s.cfg.Observer.SessionStatus(sess, e.ToStatus)
}

var statusWord = map[Status]string{
	StatusPending: "created", StatusInProgress: "in progress", StatusCompleted: "completed",
	StatusFailed: "failed", StatusExpired: "expired", StatusCancelled: "cancelled",
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
	if old.Status != next.Status || old.FailureReason != next.FailureReason || (old.ProviderRef == "") != (next.ProviderRef == "") {
		return true
	}
	for i := range next.Signers {
		if i >= len(old.Signers) || old.Signers[i].Status != next.Signers[i].Status {
			return true
		}
	}
	return false
}
