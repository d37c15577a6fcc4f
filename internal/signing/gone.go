package signing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A provider that answers that an open session's request does not exist
// (ProviderError.Gone: Signzy's "Contract not found", Leegality's
// "no.document.found", Digio's "Document not found") has lost it, or
// someone deleted it there: nothing can be signed there any more, and
// the signer's link leads nowhere. Signet makes sure first, then fails
// the session saying so:
//
//   - confirmed: goneConfirmations such answers in a row, the last at
//     least goneConfirmWindow after the first, with no other answer in
//     between (one odd answer from a provider's replica that has not
//     caught up, or a restore from backup, never ends a session);
//   - FAILED, not EXPIRED (the session's time did not run out) nor
//     CANCELLED (nobody cancelled it), nor left open until its deadline
//     (the client would wait days for a session that cannot end
//     otherwise); the reason says what the provider answered and names
//     the signers who had already signed;
//   - a signature is never lost to it: a session whose provider has
//     reported every signature is not refreshed but fetches its document,
//     which has its own deadline (Config.DocumentDeadline);
//   - near the session's deadline (goneNearExpiry) it waits instead:
//     providers forget requests that ran out (Signzy answers "Contract not
//     found" after its contractTtl), and a provider's clock a little ahead
//     of Signet's must not turn an expiry into a failure.
//
// The count lives in memory, like failures: after a restart, or on
// another replica, confirming starts again, which only takes longer.
const (
	goneConfirmations = 3
	goneConfirmWindow = 2 * time.Minute
	goneNearExpiry    = 15 * time.Minute
)

// goneAnswers tracks each session's run of "no such request" answers.
type goneAnswers struct{ perSession[goneRun] }

type goneRun struct {
	n     int
	since time.Time
}

// seen records one more such answer for the session at now and returns
// the run so far; forget (perSession's) ends the run when the provider
// answers something else.
func (g *goneAnswers) seen(id string, now time.Time) goneRun {
	return g.update(id, func(r *goneRun) {
		if r.n == 0 {
			r.since = now
		}
		r.n++
	})
}

// confirmed reports whether the run makes the answer final.
func (r goneRun) confirmed(now time.Time) bool {
	return r.n >= goneConfirmations && now.Sub(r.since) >= goneConfirmWindow
}

// isGone reports whether err is a provider's own "no such request".
func isGone(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.Gone && !pe.Retryable
}

// goneRefresh takes the outcome of a refresh: a provider's "no such
// request" counts towards confirming it, and once it is confirmed the
// session fails; anything else ends the run. ok says the session was
// failed (failed is then the session as stored).
func (s *Service) goneRefresh(ctx context.Context, sess *Session, cause error) (failed *Session, ok bool) {
	if !isGone(cause) {
		s.gone.forget(sess.ID)
		return nil, false
	}
	now := s.now()
	run := s.gone.seen(sess.ID, now)
	if !run.confirmed(now) || !now.Before(sess.ExpiresAt.Add(-goneNearExpiry)) {
		return nil, false
	}
	next, err := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status.Terminal() || next.ProviderCompletedAt != nil || !now.Before(next.ExpiresAt.Add(-goneNearExpiry)) {
			return nil, nil, ErrNoChange
		}
		e, err := s.changeStatus(next, TriggerFail, s.goneReason(next, cause, run, now), now)
		return []AuditEntry{e}, nil, err
	})
	if err != nil || next.Status != StatusFailed {
		if err != nil {
			s.log.Warn("failing a session its provider no longer has failed", "session", sess.ID, "err", err)
		}
		return nil, false
	}
	s.gone.forget(sess.ID)
	s.log.Info("session failed: its provider no longer has the request", "session", sess.ID, "provider", sess.Provider)
	return next, true
}

// goneReason is the failureReason of a session whose provider no longer
// has its request.
func (s *Service) goneReason(sess *Session, cause error, run goneRun, now time.Time) string {
	name := sess.Provider
	if p, ok := s.cfg.Providers.Provider(sess.Provider); ok && p.Info().DisplayName != "" {
		name = p.Info().DisplayName
	}
	reason := fmt.Sprintf("%s no longer has this signing request: it answered %s %d times in a row over %s, so nothing can be signed there any more",
		name, Quote(providerMessage(cause)), run.n, now.Sub(run.since).Round(time.Second))
	var signed []string
	for i, sg := range sess.Signers {
		if sg.Status == SignerSigned {
			signed = append(signed, signerLabel(sess, i))
		}
	}
	if len(signed) > 0 {
		reason += "; signer " + strings.Join(signed, ", ") + " had signed, but the provider never delivered a signed document"
	}
	return reason
}
