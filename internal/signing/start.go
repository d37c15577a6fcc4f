package signing

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Starter is implemented by providers at which Signet starts each signer
// when the signer arrives at Signet's page for them, rather than when the
// session is created: Swedish BankID, whose order must be picked up
// within about 30 seconds of its start and of which one person can have
// only one at a time. Initiate then only accepts the session (with each
// signer's page in Initiated.Signers); the page calls
// Service.StartSigner, which starts the signer whose turn it is, once
// however many pages ask at the same moment.
//
// The provider's state is written by several parties at once (the page
// starting one signer, the poller recording another's progress), so a
// Starter changes it only through functions applied to the state as
// stored at the moment of writing.
type Starter interface {
	// ClaimStart decides, on the provider state as stored, whether signer
	// i is to be started at the provider now, and if so returns the state
	// with that start claimed (so that a concurrent caller sees the claim
	// and starts nothing). asked says the signer asked for a start
	// (opened or reloaded the page) rather than a page polling. It does
	// no I/O: Signet calls it inside a conditional write, perhaps more
	// than once.
	ClaimStart(state json.RawMessage, signer int, now time.Time, asked bool) (claimed json.RawMessage, ok bool, err error)
	// Start starts signer i at the provider after a successful claim
	// (ref.State holds the claim). It returns how to record the outcome,
	// also when it fails (why, for the page), and the error.
	Start(ctx context.Context, ref ProviderRef, signer int) (Started, error)
}

// Started is the outcome of a Starter's Start.
type Started struct {
	// Ref is the provider's reference of what was started (BankID's
	// orderRef), for the audit trail; empty on failure.
	Ref string
	// Record writes the outcome into the provider state as stored when
	// Signet writes it; it does no I/O and may be called more than once.
	// Nil when there is nothing to record.
	Record func(state json.RawMessage, now time.Time) (json.RawMessage, error)
}

// StartSigner starts signer i of sess at its provider, when the provider
// is a Starter and the signer may sign now (the session is open and not
// past its deadline, and the signer is PENDING or IN_PROGRESS: their
// turn has come). The start is claimed in the session first, through
// the conditional update, so that of several callers one starts; the
// outcome is written after, into the state as stored then. asked says
// the signer asked (see Starter.ClaimStart).
//
// It returns the session as stored after it, and the provider's error
// if the start failed (the session then records why, and the failure is
// an audit entry). A session that ended while the provider was starting
// is withdrawn there at once. It is ErrConflict when the signer may not
// sign now, and a no-op (the session as given) for other providers or
// when nothing is to be started.
func (s *Service) StartSigner(ctx context.Context, sess *Session, i int, asked bool) (*Session, error) {
	p, err := s.provider(sess.Provider)
	if err != nil {
		return nil, err
	}
	st, ok := p.(Starter)
	if !ok {
		return sess, nil
	}
	if i < 0 || i >= len(sess.Signers) {
		return nil, Errorf(ErrNotFound, "the session has no signer %d", i+1)
	}
	claimed := false
	next, err := s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		claimed = false
		if err := mayStart(next, i, now); err != nil {
			return nil, nil, err
		}
		state, ok, err := st.ClaimStart(next.ProviderState, i, now, asked)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, ErrNoChange
		}
		next.ProviderState, claimed = state, true
		return nil, nil, nil
	})
	if err != nil || !claimed {
		return next, err
	}
	start := time.Now()
	started, startErr := st.Start(ctx, s.ref(next), i)
	s.observe(next.Provider, "start", start, startErr)
	if started.Record == nil {
		return next, startErr
	}
	recorded, err := s.update(ctx, next, func(n *Session, now time.Time) ([]AuditEntry, *Document, error) {
		state, err := started.Record(n.ProviderState, now)
		if err != nil {
			return nil, nil, err
		}
		n.ProviderState = state
		e := AuditEntry{Type: EventProviderAccepted, SignerID: n.Signers[i].ID, CreatedAt: now,
			Detail: "started signer " + signerLabel(n, i) + " at the provider"}
		if started.Ref != "" {
			e.Detail += ": " + started.Ref
		}
		if startErr != nil {
			e.Type, e.Detail = EventProviderError, "starting signer "+signerLabel(n, i)+" at the provider failed: "+startErr.Error()
		}
		return []AuditEntry{e}, nil, nil
	})
	if err != nil {
		s.log.Warn("recording a start at the provider failed", "session", next.ID, "provider", next.Provider, "err", err)
		return next, errors.Join(startErr, err)
	}
	if startErr == nil && recorded.Status.Terminal() {
		// Cancelled, expired or failed while the provider was starting:
		// what was just started must not stay signable there.
		start := time.Now()
		err := p.Cancel(ctx, s.ref(recorded))
		s.observe(recorded.Provider, "cancel", start, err)
		if err != nil {
			s.log.Warn("withdrawing a start for an ended session failed", "session", recorded.ID, "provider", recorded.Provider, "err", err)
		}
	}
	return recorded, startErr
}

// mayStart says why signer i of next may not be started at the provider
// at now, or nil if they may.
func mayStart(next *Session, i int, now time.Time) error {
	switch st := next.Signers[i].Status; {
	case next.Status.Terminal():
		return Errorf(ErrConflict, "the session is %s", next.Status)
	case !now.Before(next.ExpiresAt):
		return Errorf(ErrConflict, "the session expired at %s", next.ExpiresAt.Format(time.RFC3339))
	case next.ProviderCompletedAt != nil:
		return Errorf(ErrConflict, "every signer has signed")
	case next.ProviderRef == "":
		return Errorf(ErrConflict, "the provider has not accepted the session yet")
	case st == SignerWaiting:
		return Errorf(ErrConflict, "it is not this signer's turn yet")
	case st.Terminal():
		return Errorf(ErrConflict, "the signer is %s", st)
	}
	return nil
}
