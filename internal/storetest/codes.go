package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

func codeFor(s *signing.Session, hash string, at time.Time) signing.Code {
	return signing.Code{SignerID: s.Signers[0].ID, SessionID: s.ID, Hash: hash, SentAt: at, ExpiresAt: at.Add(10 * time.Minute)}
}

func is(hash string) func(string) bool { return func(h string) bool { return h == hash } }

var codeTests = []test{
	{"UseOnce", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		if err := st.IssueCode(ctx, codeFor(s, "h1", base), 5); err != nil {
			t.Fatal(err)
		}
		id := s.Signers[0].ID
		if err := st.UseCode(ctx, id, base.Add(time.Minute), 5, is("nope")); !errors.Is(err, signing.ErrCodeWrong) {
			t.Errorf("wrong code: %v", err)
		}
		if err := st.UseCode(ctx, id, base.Add(time.Minute), 5, is("h1")); err != nil {
			t.Errorf("right code: %v", err)
		}
		if err := st.UseCode(ctx, id, base.Add(time.Minute), 5, is("h1")); !errors.Is(err, signing.ErrCodeExpired) {
			t.Errorf("the code again: %v, want ErrCodeExpired (used)", err)
		}
		if err := st.UseCode(ctx, "sgn_unknown", base, 5, is("h1")); !errors.Is(err, signing.ErrCodeExpired) {
			t.Errorf("no code at all: %v", err)
		}
	}},
	{"Expires", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		st.IssueCode(ctx, codeFor(s, "h1", base), 5)
		if err := st.UseCode(ctx, s.Signers[0].ID, base.Add(10*time.Minute), 5, is("h1")); !errors.Is(err, signing.ErrCodeExpired) {
			t.Errorf("at its expiry: %v, want ErrCodeExpired", err)
		}
	}},
	{"TriesUseItUp", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		st.IssueCode(ctx, codeFor(s, "h1", base), 5)
		id := s.Signers[0].ID
		for i := 1; i <= 4; i++ {
			if err := st.UseCode(ctx, id, base, 5, is("x")); !errors.Is(err, signing.ErrCodeWrong) {
				t.Fatalf("wrong try %d: %v", i, err)
			}
		}
		if err := st.UseCode(ctx, id, base, 5, is("x")); !errors.Is(err, signing.ErrCodeUsedUp) {
			t.Fatalf("fifth wrong try: %v, want ErrCodeUsedUp", err)
		}
		if err := st.UseCode(ctx, id, base, 5, is("h1")); !errors.Is(err, signing.ErrCodeExpired) {
			t.Errorf("the right code after it was used up: %v", err)
		}
		// A new code starts with fresh tries.
		st.IssueCode(ctx, codeFor(s, "h2", base.Add(time.Minute)), 5)
		if err := st.UseCode(ctx, id, base.Add(time.Minute), 5, is("h2")); err != nil {
			t.Errorf("a new code: %v", err)
		}
	}},
	{"HourlyLimit", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		for i := range 5 {
			if err := st.IssueCode(ctx, codeFor(s, "h", base.Add(time.Duration(i)*time.Minute)), 5); err != nil {
				t.Fatalf("code %d: %v", i+1, err)
			}
		}
		if err := st.IssueCode(ctx, codeFor(s, "h6", base.Add(59*time.Minute)), 5); !errors.Is(err, signing.ErrTooManyCodes) {
			t.Errorf("sixth code within the hour: %v, want ErrTooManyCodes", err)
		}
		if err := st.UseCode(ctx, s.Signers[0].ID, base.Add(5*time.Minute), 5, is("h")); err != nil {
			t.Errorf("the refused sixth replaced the fifth: %v", err)
		}
		if err := st.IssueCode(ctx, codeFor(s, "h7", base.Add(61*time.Minute)), 5); err != nil {
			t.Errorf("a code once the first is an hour old: %v", err)
		}
	}},
	{"ConcurrentTriesCounted", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		st.IssueCode(ctx, codeFor(s, "h1", base), 5)
		var wrong, usedUp, gone, other atomic.Int32
		race(20, func(int) {
			switch err := st.UseCode(ctx, s.Signers[0].ID, base, 5, is("x")); {
			case errors.Is(err, signing.ErrCodeWrong):
				wrong.Add(1)
			case errors.Is(err, signing.ErrCodeUsedUp):
				usedUp.Add(1)
			case errors.Is(err, signing.ErrCodeExpired):
				gone.Add(1)
			default:
				other.Add(1)
			}
		})
		if wrong.Load() != 4 || usedUp.Load() != 1 || gone.Load() != 15 || other.Load() != 0 {
			t.Errorf("20 concurrent wrong tries: %d wrong, %d used up, %d gone, %d other; want 4, 1, 15, 0",
				wrong.Load(), usedUp.Load(), gone.Load(), other.Load())
		}
	}},
}
