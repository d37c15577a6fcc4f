package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
)

// fastParams keep the tests' password hashes cheap; the parameters travel
// in each hash, so production's do not matter here.
var fastParams = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

const password = "correct horse battery"

type operatorsFixture struct {
	ops   *auth.Operators
	store *sqlite.Store
	clock *simtest.Clock
}

func newOperators(t *testing.T) operatorsFixture {
	t.Helper()
	store := newStore(t)
	clock := simtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	ops, err := auth.NewOperators(auth.OperatorsConfig{Store: store, Now: clock.Now, Params: &fastParams, Log: discard})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Create(context.Background(), "Ops@Example.com", password); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return operatorsFixture{ops: ops, store: store, clock: clock}
}

func TestCreateOperator(t *testing.T) {
	f := newOperators(t)
	ctx := context.Background()
	op, err := f.store.OperatorByEmail(ctx, "ops@example.com")
	if err != nil {
		t.Fatalf("the operator is stored under the lower-case address: %v", err)
	}
	if !strings.HasPrefix(op.PasswordHash, "$argon2id$v=19$") || strings.Contains(op.PasswordHash, password) {
		t.Errorf("stored hash %q, want an argon2id PHC string", op.PasswordHash)
	}
	for _, tt := range []struct {
		email, password string
		want            error
		field           string
	}{
		{"ops@example.com", password, signing.ErrConflict, ""},
		{"OPS@example.COM", password, signing.ErrConflict, ""},
		{"not an address", password, signing.ErrInvalid, "email"},
		{"Ops <ops2@example.com>", password, signing.ErrInvalid, "email"},
		{"ops2@example.com", "elevenchars", signing.ErrInvalid, "password"},
		{"ops2@example.com", strings.Repeat("x", auth.MaxPasswordLen+1), signing.ErrInvalid, "password"},
		{"ops2@example.com", "twelve chars", nil, ""},
		{"ops3@example.com", "ÅÄÖåäöÅÄÖåäö", nil, ""}, // 12 characters, 24 bytes
	} {
		_, err := f.ops.Create(ctx, tt.email, tt.password)
		if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("Create(%q, %d chars) = %v, want %v", tt.email, len([]rune(tt.password)), err, tt.want)
		}
		var v *signing.ValidationError
		if tt.field != "" && (!errors.As(err, &v) || v.Errors[0].Field != tt.field) {
			t.Errorf("Create(%q): %v, want a problem with %s", tt.email, err, tt.field)
		}
	}
	err = auth.CheckPassword("elevenchars")
	if err == nil || !strings.Contains(err.Error(), "at least 12 characters") {
		t.Errorf("CheckPassword(11 characters) = %v, want one that says at least 12", err)
	}
}

func TestSignInAndSessions(t *testing.T) {
	f := newOperators(t)
	ctx := context.Background()
	token, s, err := f.ops.SignIn(ctx, " OPS@example.com ", password, "192.0.2.1")
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if len(token) < 40 || s.ID != auth.Hash(token) || s.Operator.Email != "ops@example.com" || s.Operator.PasswordHash != "" {
		t.Errorf("SignIn = %q, %+v; want a long token whose hash is the session id", token, s)
	}
	if stored, err := f.store.OperatorSession(ctx, token); err == nil {
		t.Errorf("the plain token finds session %+v: it must be kept only hashed", stored)
	}
	got, err := f.ops.Session(ctx, token)
	if err != nil || got.ID != s.ID || got.Operator.Email != "ops@example.com" {
		t.Fatalf("Session = %+v, %v", got, err)
	}

	// Activity keeps it alive past the idle timeout, up to its lifetime.
	for range 24 { // 24 × 29 min = 11 h 36 min
		f.clock.Add(29 * time.Minute)
		if _, err := f.ops.Session(ctx, token); err != nil {
			t.Fatalf("Session after %v of activity: %v", f.clock.Now().Sub(s.CreatedAt), err)
		}
	}
	f.clock.Add(29 * time.Minute) // 12 h 5 min
	if _, err := f.ops.Session(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Session after 12 h = %v, want ErrNoSession", err)
	}

	// An idle session ends.
	token2, _, err := f.ops.SignIn(ctx, "ops@example.com", password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(30 * time.Minute)
	if _, err := f.ops.Session(ctx, token2); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Session after 30 idle minutes = %v, want ErrNoSession", err)
	}

	// Sign-out ends it at once.
	token3, _, err := f.ops.SignIn(ctx, "ops@example.com", password, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ops.SignOut(ctx, token3); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ops.Session(ctx, token3); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Session after SignOut = %v, want ErrNoSession", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("y", 500)} {
		if _, err := f.ops.Session(ctx, bad); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("Session(%q…) = %v, want ErrNoSession", bad[:min(len(bad), 8)], err)
		}
	}
}

func TestSessionActivityWrittenAtMostOnceAMinute(t *testing.T) {
	f := newOperators(t)
	ctx := context.Background()
	token, s, err := f.ops.SignIn(ctx, "ops@example.com", password, "")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(59 * time.Second)
	if _, err := f.ops.Session(ctx, token); err != nil {
		t.Fatal(err)
	}
	stored, _ := f.store.OperatorSession(ctx, s.ID)
	if !stored.LastSeenAt.Equal(s.CreatedAt) {
		t.Errorf("activity 59 s after sign-in was written: LastSeenAt %v", stored.LastSeenAt)
	}
	f.clock.Add(time.Second)
	if _, err := f.ops.Session(ctx, token); err != nil {
		t.Fatal(err)
	}
	stored, _ = f.store.OperatorSession(ctx, s.ID)
	if !stored.LastSeenAt.Equal(f.clock.Now()) {
		t.Errorf("activity a minute after sign-in: LastSeenAt %v, want %v", stored.LastSeenAt, f.clock.Now())
	}
}

func TestWrongPasswordsAreSlowedDown(t *testing.T) {
	f := newOperators(t)
	ctx := context.Background()
	signIn := func(email, pw, ip string) error {
		_, _, err := f.ops.SignIn(ctx, email, pw, ip)
		return err
	}
	// An unknown address gets the very same answer as a wrong password.
	if err := signIn("nobody@example.com", password, "198.51.100.1"); err != auth.ErrBadCredentials {
		t.Errorf("unknown e-mail: %v, want ErrBadCredentials", err)
	}
	for i := range auth.EmailThrottle.Free {
		if err := signIn("ops@example.com", "wrong password", "198.51.100.2"); err != auth.ErrBadCredentials {
			t.Fatalf("wrong password #%d: %v, want ErrBadCredentials", i+1, err)
		}
	}
	// Five wrong: even the right password waits a second, unchecked.
	err := signIn("ops@example.com", password, "198.51.100.3")
	var th *auth.ThrottledError
	if !errors.As(err, &th) || !th.Until.Equal(f.clock.Now().Add(time.Second)) || !errors.Is(err, signing.ErrUnauthorized) {
		t.Fatalf("after 5 wrong passwords: %v, want a pause of 1 s", err)
	}
	f.clock.Add(time.Second)
	if err := signIn("ops@example.com", "wrong again", "198.51.100.3"); err != auth.ErrBadCredentials {
		t.Fatalf("after the pause: %v", err)
	}
	if err := signIn("ops@example.com", password, "198.51.100.3"); !errors.As(err, &th) || !th.Until.Equal(f.clock.Now().Add(2*time.Second)) {
		t.Fatalf("after 6 wrong passwords: %v, want a pause of 2 s", err)
	}
	f.clock.Add(2 * time.Second)
	if err := signIn("ops@example.com", password, "198.51.100.3"); err != nil {
		t.Fatalf("the right password after the pause: %v", err)
	}
	// Success forgets the address's failures.
	for range auth.EmailThrottle.Free - 1 {
		signIn("ops@example.com", "wrong", "198.51.100.4")
	}
	if err := signIn("ops@example.com", password, "198.51.100.4"); err != nil {
		t.Errorf("4 wrong passwords after a success: %v, want no pause", err)
	}

	// An unknown address is slowed down alike.
	for range auth.EmailThrottle.Free {
		signIn("ghost@example.com", "guess", "198.51.100.5")
	}
	if err := signIn("ghost@example.com", "guess", "198.51.100.6"); !errors.As(err, &th) {
		t.Errorf("an unknown address after 5 failures: %v, want a pause", err)
	}

	// One client guessing many addresses is slowed down by its address.
	f.clock.Add(time.Hour)
	for i := range auth.IPThrottle.Free {
		signIn("user"+string(rune('a'+i))+"@example.com", "guess", "203.0.113.9")
	}
	if err := signIn("ops@example.com", password, "203.0.113.9"); !errors.As(err, &th) {
		t.Errorf("a client after 20 failures on 20 addresses: %v, want a pause", err)
	}
	if err := signIn("ops@example.com", password, "203.0.113.10"); err != nil {
		t.Errorf("another client: %v", err)
	}
}

// TestConcurrentGuessesAllCount: a burst of wrong passwords at once is
// counted in full, so the pause that follows is as long as for guesses
// one after another.
func TestConcurrentGuessesAllCount(t *testing.T) {
	f := newOperators(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.ops.SignIn(ctx, "ops@example.com", "wrong", "192.0.2.7")
		}()
	}
	wg.Wait()
	recs, err := f.store.LoginFailures(ctx, []string{"email:ops@example.com"})
	if err != nil || len(recs) != 1 {
		t.Fatalf("LoginFailures = %+v, %v", recs, err)
	}
	// Some guesses find the pause begun and are refused unchecked; every
	// checked one counted. At least Free+1 got through the check.
	if recs[0].Failures < auth.EmailThrottle.Free || recs[0].Failures > 12 {
		t.Errorf("%d failures counted for 12 concurrent guesses", recs[0].Failures)
	}
	_, _, err = f.ops.SignIn(ctx, "ops@example.com", password, "192.0.2.8")
	var th *auth.ThrottledError
	if !errors.As(err, &th) {
		t.Errorf("the right password after a burst of guesses: %v, want a pause", err)
	}
}

func TestThrottleDelay(t *testing.T) {
	th := auth.Throttle{Free: 5, Window: time.Hour, Max: 15 * time.Minute}
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{14, 512 * time.Second}, {15, 15 * time.Minute}, {1000, 15 * time.Minute},
	} {
		if got := th.Delay(tt.n); got != tt.want {
			t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ops@example.com", "ops@example.com"},
		{" Ops@Example.COM ", "ops@example.com"},
		{"a.b+c@sub.example.org", "a.b+c@sub.example.org"},
		{"", ""},
		{"ops", ""},
		{"ops@", ""},
		{"Ops <ops@example.com>", ""},
		{"ops@example.com, eve@example.com", ""},
	} {
		got, err := auth.NormalizeEmail(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
