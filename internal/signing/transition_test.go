package signing

import (
	"errors"
	"testing"
)

func TestTransitionEveryPair(t *testing.T) {
	// want[from][trigger] is the resulting status, "" for ErrNoChange and
	// "terminal" for a refused change of a terminal session.
	const same, refused = Status(""), Status("terminal")
	want := map[Status]map[Trigger]Status{
		StatusPending: {
			TriggerStart: StatusInProgress, TriggerComplete: StatusCompleted, TriggerFail: StatusFailed,
			TriggerExpire: StatusExpired, TriggerCancel: StatusCancelled,
		},
		StatusInProgress: {
			TriggerStart: same, TriggerComplete: StatusCompleted, TriggerFail: StatusFailed,
			TriggerExpire: StatusExpired, TriggerCancel: StatusCancelled,
		},
		StatusCompleted: {
			TriggerStart: refused, TriggerComplete: same, TriggerFail: refused, TriggerExpire: refused, TriggerCancel: refused,
		},
		StatusFailed: {
			TriggerStart: refused, TriggerComplete: refused, TriggerFail: same, TriggerExpire: refused, TriggerCancel: refused,
		},
		StatusExpired: {
			TriggerStart: refused, TriggerComplete: refused, TriggerFail: refused, TriggerExpire: same, TriggerCancel: refused,
		},
		StatusCancelled: {
			TriggerStart: refused, TriggerComplete: refused, TriggerFail: refused, TriggerExpire: refused, TriggerCancel: same,
		},
	}
	if len(want) != len(Statuses) {
		t.Fatalf("table covers %d statuses, want %d", len(want), len(Statuses))
	}
	for _, from := range Statuses {
		for _, tr := range Triggers {
			exp, ok := want[from][tr]
			if !ok {
				t.Fatalf("table misses (%s, %v)", from, tr)
			}
			got, err := Transition(from, tr)
			switch exp {
			case same:
				if !errors.Is(err, ErrNoChange) || got != from {
					t.Errorf("Transition(%s, %v) = %s, %v; want %s, ErrNoChange", from, tr, got, err, from)
				}
			case refused:
				if !errors.Is(err, ErrTerminal) || !errors.Is(err, ErrConflict) || got != from {
					t.Errorf("Transition(%s, %v) = %s, %v; want %s, ErrTerminal", from, tr, got, err, from)
				}
			default:
				if err != nil || got != exp {
					t.Errorf("Transition(%s, %v) = %s, %v; want %s, nil", from, tr, got, err, exp)
				}
			}
		}
	}
}

func TestTransitionRejectsUnknown(t *testing.T) {
	if _, err := Transition("BOGUS", TriggerStart); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("unknown status: err = %v, want ErrInvalidTransition", err)
	}
	if _, err := Transition(StatusPending, Trigger(99)); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("unknown trigger: err = %v, want ErrInvalidTransition", err)
	}
}

func TestTerminalStatusesNeverReopen(t *testing.T) {
	for _, from := range Statuses {
		for _, tr := range Triggers {
			got, err := Transition(from, tr)
			if err == nil && !from.Terminal() && got == from {
				t.Errorf("Transition(%s, %v) reported a change to the same status", from, tr)
			}
			if from.Terminal() && got != from {
				t.Errorf("terminal %s moved to %s on %v", from, got, tr)
			}
		}
	}
}

func TestTriggerFor(t *testing.T) {
	for _, s := range Statuses {
		tr := TriggerFor(s)
		if s == StatusPending {
			if tr != 0 {
				t.Errorf("TriggerFor(PENDING) = %v, want none", tr)
			}
			continue
		}
		if tr.target() != s {
			t.Errorf("TriggerFor(%s) = %v, which leads to %s", s, tr, tr.target())
		}
	}
}

func TestStatusEventType(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Statuses {
		e := StatusEventType(s)
		if e == "" || seen[e] {
			t.Errorf("StatusEventType(%s) = %q (empty or duplicate)", s, e)
		}
		seen[e] = true
	}
}
