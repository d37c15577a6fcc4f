package signing

import "fmt"

// Trigger is something that happened to a session: the signer started or
// finished at the provider, the provider reported a failure, the deadline
// passed, or the client cancelled.
type Trigger int

// The triggers; every status change is caused by exactly one of them.
const (
	TriggerStart Trigger = iota + 1
	TriggerComplete
	TriggerFail
	TriggerExpire
	TriggerCancel
)

// Triggers lists every trigger, for exhaustive tests.
var Triggers = []Trigger{TriggerStart, TriggerComplete, TriggerFail, TriggerExpire, TriggerCancel}

func (t Trigger) String() string {
	switch t {
	case TriggerStart:
		return "start"
	case TriggerComplete:
		return "complete"
	case TriggerFail:
		return "fail"
	case TriggerExpire:
		return "expire"
	case TriggerCancel:
		return "cancel"
	}
	return fmt.Sprintf("Trigger(%d)", int(t))
}

// target is the status each trigger leads to from an open session.
func (t Trigger) target() Status {
	switch t {
	case TriggerStart:
		return StatusInProgress
	case TriggerComplete:
		return StatusCompleted
	case TriggerFail:
		return StatusFailed
	case TriggerExpire:
		return StatusExpired
	case TriggerCancel:
		return StatusCancelled
	}
	return ""
}

// TriggerFor is the trigger that moves a session to status s, or 0 for
// PENDING, which no trigger enters (a provider reporting "pending" is no news).
func TriggerFor(s Status) Trigger {
	for _, t := range Triggers {
		if t.target() == s {
			return t
		}
	}
	return 0
}

// Transition is the one function that decides every status change.
//
// From an open status (PENDING, IN_PROGRESS) every trigger leads to its
// target status; a provider may report completion or failure without Signet
// having seen the signer start, so PENDING may jump straight to a terminal
// status. It returns ErrNoChange when the trigger leaves the status as it is
// (a repeated "started", a repeated cancel of a CANCELLED session), and an
// error wrapping ErrTerminal when a terminal session would change: terminal
// is final.
func Transition(from Status, t Trigger) (Status, error) {
	to := t.target()
	if to == "" || !from.Valid() {
		return from, fmt.Errorf("%w: unknown status %q or trigger %v", ErrInvalidTransition, from, t)
	}
	if from == to {
		return from, ErrNoChange
	}
	if from.Terminal() {
		return from, Errorf(ErrTerminal, "the session is %s, which is final; it cannot become %s", from, to)
	}
	return to, nil
}
