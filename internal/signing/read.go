package signing

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Get reads a session, expiring it first if its deadline has passed.
func (s *Service) Get(ctx context.Context, tenantID, id string) (*Session, error) {
	sess, err := s.cfg.Store.Session(ctx, tenantID, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Wrap(ErrNotFound, err, "there is no signing session %s", id)
	}
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
	if sess.Status.Terminal() || s.now().Before(sess.ExpiresAt) || sess.ProviderCompletedAt != nil {
		return sess, nil
	}
	return s.Expire(ctx, sess)
}

// Document returns the signed PDF of a COMPLETED session; ErrConflict otherwise.
func (s *Service) Document(ctx context.Context, tenantID, id string) (Document, error) {
	return s.signed(ctx, tenantID, id, s.cfg.Store.Document)
}

// DocumentHeader is Document without its content when that is a blob
// (BlobKey), for the API to stream it from the blob store.
func (s *Service) DocumentHeader(ctx context.Context, tenantID, id string) (Document, error) {
	return s.signed(ctx, tenantID, id, s.cfg.Store.DocumentHeader)
}

func (s *Service) signed(ctx context.Context, tenantID, id string, read func(context.Context, string, string, DocumentKind) (Document, error)) (Document, error) {
	sess, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return Document{}, err
	}
	if sess.Status != StatusCompleted {
		return Document{}, Errorf(ErrConflict, "the session is %s; the signed document exists only when it is COMPLETED", sess.Status)
	}
	return read(ctx, tenantID, id, DocumentSigned)
}

// Events returns a session's audit trail, oldest first.
func (s *Service) Events(ctx context.Context, tenantID, id string) ([]AuditEntry, error) {
	if _, err := s.Get(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.cfg.Store.AuditTrail(ctx, tenantID, id)
}

// Expire moves an open session past its deadline to EXPIRED, unless its
// provider has already reported every signature (those are never lost to
// expiry: the session waits for its document instead).
func (s *Service) Expire(ctx context.Context, sess *Session) (*Session, error) {
	return s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if now.Before(next.ExpiresAt) || next.ProviderCompletedAt != nil {
			return nil, nil, ErrNoChange
		}
		return s.expire(next, now)
	})
}

// expire moves next to EXPIRED and, where the provider has a way, leaves
// it due for withdrawing its request there (the poller does it, under
// the same lease as any poll).
func (s *Service) expire(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
	e, err := s.changeStatus(next, TriggerExpire, "expired at "+next.ExpiresAt.Format(time.RFC3339), now)
	if err != nil {
		return nil, nil, err
	}
	entries := []AuditEntry{e}
	if w, ok := s.toWithdraw(next, now); ok {
		next.NextPollAt = &now
	} else if len(w.Detail) > 0 {
		entries = append(entries, w)
	}
	return entries, nil, nil
}

// ExpireDue moves up to limit open sessions past their deadline to
// EXPIRED and returns how many it expired. It finds them in one query
// and commits them in up to ExpiryWriters transactions at once, each on
// its own share of the sessions. A session that changed meanwhile is
// expired on its own, on fresh state. On an error, the count is of the
// expiries that were committed nonetheless.
func (s *Service) ExpireDue(ctx context.Context, limit int) (int, error) {
	now := s.now()
	due, err := s.cfg.Store.DueForExpiry(ctx, now, limit)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	changes := make([]Change, 0, len(due))
	for _, sess := range due {
		if sess.ProviderCompletedAt != nil {
			continue // a store that does not filter them out
		}
		next := sess.Clone()
		entries, _, err := s.expire(next, now)
		if err != nil {
			return 0, err
		}
		c, err := s.change(sess, next, entries, nil, now)
		if err != nil {
			return 0, err
		}
		changes = append(changes, c)
	}
	parts := slices.Collect(slices.Chunk(changes, s.expiryShare(len(changes))))
	counts, errs := make([]int, len(parts)), make([]error, len(parts))
	var wg sync.WaitGroup
	for k, part := range parts {
		wg.Go(func() { counts[k], errs[k] = s.expireBatch(ctx, part) })
	}
	wg.Wait()
	n := 0
	for _, c := range counts {
		n += c
	}
	if n > 0 {
		s.notifyAll()
	}
	return n, errors.Join(errs...)
}

// expiryShare is how many of n expiries one transaction takes: an even
// share among the writers, but never so few that the transactions cost
// more than they save.
func (s *Service) expiryShare(n int) int {
	writers := s.cfg.ExpiryWriters
	if w, ok := s.cfg.Store.(Writers); ok {
		writers = min(writers, max(1, w.Writers()))
	}
	return max(minExpiryShare, (n+writers-1)/writers)
}

// minExpiryShare is the least number of expiries worth a transaction of
// their own.
const minExpiryShare = 50

// expireBatch commits changes, expiries computed from the sessions as
// found, in one transaction and expires again, on fresh state, each one
// that lost a race. It returns how many sessions it expired.
func (s *Service) expireBatch(ctx context.Context, changes []Change) (int, error) {
	results, err := s.cfg.Store.UpdateSessions(ctx, changes)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, r := range results {
		if r == nil {
			n++
			s.logStatus(changes[i].Session, changes[i].Entries[0])
			continue
		}
		if !errors.Is(r, ErrStale) {
			continue // deleted meanwhile
		}
		next, err := s.Expire(ctx, changes[i].Before)
		if err != nil {
			return n, err
		}
		if next.Status == StatusExpired {
			n++
		}
	}
	return n, nil
}
