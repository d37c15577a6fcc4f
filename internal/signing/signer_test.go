package signing

import (
	"errors"
	"fmt"
	"testing"
)

// TestSignerTransitionIsExhaustive checks every (status, trigger) pair.
func TestSignerTransitionIsExhaustive(t *testing.T) {
	want := map[SignerStatus]map[SignerTrigger]SignerStatus{
		SignerWaiting:    {SignerTurn: SignerPending, SignerOpen: "conflict", SignerSign: SignerSigned, SignerFail: SignerFailed},
		SignerPending:    {SignerTurn: "same", SignerOpen: SignerInProgress, SignerSign: SignerSigned, SignerFail: SignerFailed},
		SignerInProgress: {SignerTurn: "same", SignerOpen: "same", SignerSign: SignerSigned, SignerFail: SignerFailed},
		SignerSigned:     {SignerTurn: "final", SignerOpen: "final", SignerSign: "final", SignerFail: "final"},
		SignerFailed:     {SignerTurn: "final", SignerOpen: "final", SignerSign: "final", SignerFail: "final"},
	}
	for _, from := range SignerStatuses {
		for _, tr := range SignerTriggers {
			got, err := SignerTransition(from, tr)
			switch w := want[from][tr]; w {
			case "same":
				if !errors.Is(err, ErrNoChange) || got != from {
					t.Errorf("%s + %v = %s, %v; want no change", from, tr, got, err)
				}
			case "final":
				if !errors.Is(err, ErrTerminal) || got != from {
					t.Errorf("%s + %v = %s, %v; want ErrTerminal", from, tr, got, err)
				}
			case "conflict":
				if !errors.Is(err, ErrConflict) || errors.Is(err, ErrTerminal) || got != from {
					t.Errorf("%s + %v = %s, %v; want a conflict", from, tr, got, err)
				}
			default:
				if err != nil || got != w {
					t.Errorf("%s + %v = %s, %v; want %s", from, tr, got, err, w)
				}
			}
		}
	}
}

// TestDeriveStatus derives the session's status from every combination of
// up to three signers' statuses.
func TestDeriveStatus(t *testing.T) {
	var combos [][]SignerStatus
	for n := 1; n <= 3; n++ {
		var gen func(prefix []SignerStatus)
		gen = func(prefix []SignerStatus) {
			if len(prefix) == n {
				combos = append(combos, append([]SignerStatus(nil), prefix...))
				return
			}
			for _, s := range SignerStatuses {
				gen(append(prefix, s))
			}
		}
		gen(nil)
	}
	for _, c := range combos {
		signers := make([]Signer, len(c))
		failed, signed, started := false, 0, false
		for i, s := range c {
			signers[i].Status = s
			failed = failed || s == SignerFailed
			if s == SignerSigned {
				signed++
			}
			started = started || s == SignerSigned || s == SignerInProgress
		}
		want := StatusPending
		switch {
		case failed:
			want = StatusFailed
		case signed == len(c):
			want = StatusCompleted
		case started:
			want = StatusInProgress
		}
		if got := DeriveStatus(signers); got != want {
			t.Errorf("DeriveStatus(%v) = %s, want %s", c, got, want)
		}
	}
	if got := DeriveStatus(nil); got != StatusPending {
		t.Errorf("DeriveStatus(no signers) = %s", got)
	}
}

func TestTurns(t *testing.T) {
	st := func(ss ...SignerStatus) []Signer {
		out := make([]Signer, len(ss))
		for i, s := range ss {
			out[i].Status = s
		}
		return out
	}
	for _, c := range []struct {
		signers []Signer
		order   SigningOrder
		next    int
		current int
	}{
		{st(SignerPending, SignerWaiting, SignerWaiting), Sequential, -1, 0},
		{st(SignerSigned, SignerWaiting, SignerWaiting), Sequential, 1, 1},
		{st(SignerSigned, SignerPending, SignerWaiting), Sequential, -1, 1},
		{st(SignerSigned, SignerSigned, SignerWaiting), Sequential, 2, 2},
		{st(SignerSigned, SignerSigned, SignerSigned), Sequential, -1, -1},
		{st(SignerSigned, SignerFailed, SignerWaiting), Sequential, -1, 1},
		{st(SignerSigned, SignerWaiting), Parallel, -1, 1},
	} {
		if got := NextTurn(c.signers, c.order); got != c.next {
			t.Errorf("NextTurn(%v, %s) = %d, want %d", c.signers, c.order, got, c.next)
		}
		if got := CurrentSigner(c.signers); got != c.current {
			t.Errorf("CurrentSigner(%v) = %d, want %d", c.signers, got, c.current)
		}
	}
	if got := fmt.Sprint(InitialSignerStatuses(3, Sequential)); got != "[PENDING WAITING WAITING]" {
		t.Errorf("sequential start %s", got)
	}
	if got := fmt.Sprint(InitialSignerStatuses(3, Parallel)); got != "[PENDING PENDING PENDING]" {
		t.Errorf("parallel start %s", got)
	}
}

// TestSignerChanges reads provider updates as signer changes.
func TestSignerChanges(t *testing.T) {
	sess := &Session{Signers: []Signer{{Status: SignerSigned}, {Status: SignerPending}, {Status: SignerWaiting}}}
	for _, c := range []struct {
		upd  Update
		want string
	}{
		{Update{Status: StatusPending}, "[]"},
		{Update{Status: StatusInProgress}, "[{1 open}]"},
		{Update{Status: StatusFailed, Reason: "declined"}, "[{1 fail declined}]"},
		{Update{Status: StatusCompleted}, "[{0 sign} {1 sign} {2 sign}]"},
		{Update{Signers: []SignerUpdate{{Index: 1, Status: SignerSigned}, {Index: 2, Status: SignerPending}, {Index: 7, Status: SignerSigned}}}, "[{1 sign}]"},
		{Update{Status: StatusFailed, Signers: []SignerUpdate{{Index: 2, Status: SignerFailed, Reason: "no"}}}, "[{2 fail no}]"},
	} {
		var parts []string
		for _, ch := range signerChanges(sess, c.upd) {
			p := fmt.Sprintf("{%d %v", ch.index, ch.trigger)
			if ch.reason != "" {
				p += " " + ch.reason
			}
			parts = append(parts, p+"}")
		}
		if got := fmt.Sprint(parts); got != c.want && !(c.want == "[]" && len(parts) == 0) {
			t.Errorf("signerChanges(%+v) = %s, want %s", c.upd, got, c.want)
		}
	}
}
