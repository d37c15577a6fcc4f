package signing

import (
	"encoding/json"
	"fmt"
	"time"
)

// SignerStatus is where one signer of a session stands (CONTRACT.md §8).
type SignerStatus string

// The signer statuses.
const (
	// SignerWaiting: not yet their turn in a sequential session.
	SignerWaiting SignerStatus = "WAITING"
	// SignerPending: may sign, has not opened their link yet.
	SignerPending SignerStatus = "PENDING"
	// SignerInProgress: opened their link (or started at the provider).
	SignerInProgress SignerStatus = "IN_PROGRESS"
	SignerSigned     SignerStatus = "SIGNED"
	// SignerFailed: declined, or failed at the provider.
	SignerFailed SignerStatus = "FAILED"
)

// SignerStatuses lists every signer status.
var SignerStatuses = []SignerStatus{SignerWaiting, SignerPending, SignerInProgress, SignerSigned, SignerFailed}

// Terminal reports whether the signer is done: signed or failed.
func (s SignerStatus) Terminal() bool { return s == SignerSigned || s == SignerFailed }

// SigningOrder is how several signers take turns (CONTRACT.md §8).
type SigningOrder string

// The signing orders.
const (
	// Sequential: each signer may sign once everyone before has signed.
	Sequential SigningOrder = "sequential"
	// Parallel: every signer may sign at once.
	Parallel SigningOrder = "parallel"
)

// MaxSigners is the most signers a session may have (CONTRACT.md §8).
const MaxSigners = 10

// Signer is one person who signs a session's document.
type Signer struct {
	// ID is the signer's id in the API (signerId), unique in Signet.
	ID string
	// Details are the signer's signerDetails, as the client sent them.
	Details json.RawMessage
	Status  SignerStatus
	// SignedAt is when the signer signed (SIGNED only).
	SignedAt *time.Time
	// FailureReason says why the signer failed (FAILED only).
	FailureReason string
	// OpenedAt is when the signer first opened their signer link.
	OpenedAt *time.Time
	// ProviderRef is the provider's id for this signer, if it has one
	// (Signzy's signerId, BankID's orderRef, …).
	ProviderRef string
	// ProviderURL is where the signer signs at the provider: the signer
	// link forwards there. Empty where Signet's own page is the place.
	ProviderURL string
	// LinkHash is the SHA-256 of the signer's link token (Links), by which
	// the store finds the signer when the link is opened.
	LinkHash string
	// Evidence is what Signet learnt of how the signer signed (IP, user
	// agent, verification method …), for the audit certificate.
	Evidence json.RawMessage
}

// Clone returns a deep copy of s.
func (s Signer) Clone() Signer {
	c := s
	c.Details = append(json.RawMessage(nil), s.Details...)
	c.Evidence = append(json.RawMessage(nil), s.Evidence...)
	c.SignedAt = cloneTime(s.SignedAt)
	c.OpenedAt = cloneTime(s.OpenedAt)
	return c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// SignerTrigger is something that happened to one signer.
type SignerTrigger int

// The signer triggers.
const (
	// SignerTurn: everyone before a waiting signer has signed.
	SignerTurn SignerTrigger = iota + 1
	// SignerOpen: the signer opened their link or started at the provider.
	SignerOpen
	// SignerSign: the signer signed.
	SignerSign
	// SignerFail: the signer declined or failed at the provider.
	SignerFail
)

// SignerTriggers lists every signer trigger, for exhaustive tests.
var SignerTriggers = []SignerTrigger{SignerTurn, SignerOpen, SignerSign, SignerFail}

func (t SignerTrigger) String() string {
	switch t {
	case SignerTurn:
		return "turn"
	case SignerOpen:
		return "open"
	case SignerSign:
		return "sign"
	case SignerFail:
		return "fail"
	}
	return fmt.Sprintf("SignerTrigger(%d)", int(t))
}

// SignerTransition decides every change of a signer's status, as
// Transition does for sessions. A signed or failed signer never changes
// (ErrTerminal); a trigger that changes nothing is ErrNoChange. A
// signature is never refused while the signer is open, even out of turn:
// a provider that reports one has it, and Signet must not lose it.
func SignerTransition(from SignerStatus, t SignerTrigger) (SignerStatus, error) {
	if from.Terminal() {
		return from, Errorf(ErrTerminal, "the signer is %s, which is final", from)
	}
	switch t {
	case SignerTurn:
		if from == SignerWaiting {
			return SignerPending, nil
		}
		return from, ErrNoChange
	case SignerOpen:
		switch from {
		case SignerPending:
			return SignerInProgress, nil
		case SignerWaiting:
			return from, Errorf(ErrConflict, "it is not this signer's turn yet")
		}
		return from, ErrNoChange
	case SignerSign:
		return SignerSigned, nil
	case SignerFail:
		return SignerFailed, nil
	}
	return from, fmt.Errorf("%w: unknown signer trigger %v", ErrInvalidTransition, t)
}

// DeriveStatus is the status a session's signers give it: FAILED once one
// failed, COMPLETED when all signed, IN_PROGRESS once any opened their
// link or signed, else PENDING. Expiry and cancellation are the session's
// own and are not derived.
func DeriveStatus(signers []Signer) Status {
	signed, started := 0, false
	for _, s := range signers {
		switch s.Status {
		case SignerFailed:
			return StatusFailed
		case SignerSigned:
			signed++
			started = true
		case SignerInProgress:
			started = true
		}
	}
	switch {
	case len(signers) > 0 && signed == len(signers):
		return StatusCompleted
	case started:
		return StatusInProgress
	}
	return StatusPending
}

// InitialSignerStatuses are the statuses signers start with: everyone
// PENDING in a parallel session, only the first in a sequential one.
func InitialSignerStatuses(n int, order SigningOrder) []SignerStatus {
	out := make([]SignerStatus, n)
	for i := range out {
		out[i] = SignerPending
		if order == Sequential && i > 0 {
			out[i] = SignerWaiting
		}
	}
	return out
}

// NextTurn is the index of the signer whose turn comes after the signers'
// current state in a sequential session: the first one WAITING with
// everyone before signed; -1 if none.
func NextTurn(signers []Signer, order SigningOrder) int {
	if order != Sequential {
		return -1
	}
	for i, s := range signers {
		switch s.Status {
		case SignerSigned:
			continue
		case SignerWaiting:
			return i
		}
		return -1
	}
	return -1
}

// CurrentSigner is the index of the signer a sequential session waits for
// (the first one not signed), or -1 when none is awaited.
func CurrentSigner(signers []Signer) int {
	for i, s := range signers {
		if s.Status != SignerSigned {
			return i
		}
	}
	return -1
}
