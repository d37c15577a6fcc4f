package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/signing"
)

// Operator is a person who runs Signet and signs in to the console.
type Operator struct {
	ID    string
	Email string // lower case
	// PasswordHash is the argon2id hash of the password, as a PHC string
	// ($argon2id$v=19$m=…,t=…,p=…$salt$key): the parameters travel with
	// it, so that they can be raised later without breaking old hashes.
	PasswordHash string
	CreatedAt    time.Time
}

// OperatorSession is a browser signed in to the console.
type OperatorSession struct {
	// ID is the hex SHA-256 of the cookie's token: what the store keeps,
	// and the subject the console's form tokens are bound to.
	ID         string
	Operator   Operator // PasswordHash left empty
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// LoginFailures is the record of wrong passwords under one key
// ("email:…" or "ip:…").
type LoginFailures struct {
	Key      string
	Failures int
	Last     time.Time
}

// OperatorStore keeps operators, their console sessions and the record of
// wrong passwords.
type OperatorStore interface {
	// CreateOperator stores an operator; ErrConflict if the e-mail exists.
	CreateOperator(ctx context.Context, op Operator) error
	// OperatorByEmail finds an operator by lower-case e-mail; ErrNotFound if none.
	OperatorByEmail(ctx context.Context, email string) (Operator, error)
	// CreateOperatorSession stores a session; ErrNotFound if the operator does not exist.
	CreateOperatorSession(ctx context.Context, s OperatorSession) error
	// OperatorSession reads a session with its operator (no password
	// hash); ErrNotFound if none. Expiry is the caller's to check.
	OperatorSession(ctx context.Context, id string) (OperatorSession, error)
	// TouchOperatorSession sets a session's LastSeenAt (never backwards).
	TouchOperatorSession(ctx context.Context, id string, at time.Time) error
	// DeleteOperatorSession ends a session; deleting a missing one is not an error.
	DeleteOperatorSession(ctx context.Context, id string) error
	// DeleteOperatorSessionsBefore deletes sessions whose ExpiresAt is
	// before t; it returns how many.
	DeleteOperatorSessionsBefore(ctx context.Context, t time.Time) (int, error)

	// LoginFailures returns the records of the keys that have one.
	LoginFailures(ctx context.Context, keys []string) ([]LoginFailures, error)
	// RecordLoginFailure counts one more wrong password under key at at,
	// atomically: the count starts again at 1 when the last failure was
	// window or longer before at. It returns the new count.
	RecordLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, error)
	// ClearLoginFailures forgets key's failures.
	ClearLoginFailures(ctx context.Context, key string) error
	// DeleteLoginFailuresBefore deletes records whose last failure is
	// before t; it returns how many.
	DeleteLoginFailuresBefore(ctx context.Context, t time.Time) (int, error)
}

// Errors of Operators.
var (
	// ErrBadCredentials is a wrong e-mail or password: the two are not
	// told apart.
	ErrBadCredentials = signing.Errorf(signing.ErrUnauthorized, "the e-mail address or the password is wrong")
	// ErrNoSession is a missing, unknown, idle or expired console session.
	ErrNoSession = signing.Errorf(signing.ErrUnauthorized, "not signed in, or the sign-in has ended")
)

// ThrottledError refuses a sign-in while too many wrong passwords were
// given for its e-mail address or from its client address.
type ThrottledError struct {
	Until time.Time // when sign-in may be tried again
}

func (e *ThrottledError) Error() string {
	return "too many wrong passwords: sign-in is paused until " + e.Until.UTC().Format(time.RFC3339)
}

// Unwrap makes a ThrottledError an ErrUnauthorized.
func (e *ThrottledError) Unwrap() error { return signing.ErrUnauthorized }

// MinPasswordLen and MaxPasswordLen bound a password, in characters.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// PasswordParams are the argon2id parameters of new password hashes:
// OWASP's first recommendation (46 MiB, one pass, one lane).
var PasswordParams = argon2id.Params{Memory: 46 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Throttle is how wrong passwords slow down sign-in: after Free
// failures under one key within Window of each other, sign-in under it
// waits 1 s after the next failure, then 2 s, 4 s …, up to Max.
type Throttle struct {
	Free   int
	Window time.Duration
	Max    time.Duration
}

// Default throttles: an e-mail address gets 5 free tries, a client
// address (perhaps an office behind one NAT) 20.
var (
	EmailThrottle = Throttle{Free: 5, Window: time.Hour, Max: 15 * time.Minute}
	IPThrottle    = Throttle{Free: 20, Window: time.Hour, Max: 15 * time.Minute}
)

// Delay is how long sign-in under a key waits after its n-th failure.
func (t Throttle) Delay(n int) time.Duration {
	if n < t.Free {
		return 0
	}
	shift := min(n-t.Free, 30)
	return min(time.Second<<shift, t.Max)
}

// OperatorsConfig configures Operators. Store is required.
type OperatorsConfig struct {
	Store OperatorStore
	Now   func() time.Time
	Log   *slog.Logger
	// SessionTTL bounds a console session whatever its activity (12 h);
	// IdleTimeout ends one unused for that long (30 min).
	SessionTTL, IdleTimeout time.Duration
	// Params are the argon2id parameters of new hashes (PasswordParams).
	Params *argon2id.Params
	// Hashers bounds the password hashes computed at once (2): each
	// takes Params.Memory, and a burst of sign-ins must queue.
	Hashers int
	// Email and IP throttle wrong passwords (EmailThrottle, IPThrottle).
	Email, IP *Throttle
}

// Operators creates operators and signs them in and out of the console.
type Operators struct {
	cfg     OperatorsConfig
	hashers chan struct{}

	dummyOnce sync.Once
	dummy     string // a hash no password matches, for unknown e-mails

	mu        sync.Mutex
	lastSweep time.Time
}

// NewOperators validates cfg and fills in its defaults.
func NewOperators(cfg OperatorsConfig) (*Operators, error) {
	if cfg.Store == nil {
		return nil, errors.New("auth: operators: Store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.Params == nil {
		p := PasswordParams
		cfg.Params = &p
	}
	if cfg.Hashers <= 0 {
		cfg.Hashers = 2
	}
	if cfg.Email == nil {
		cfg.Email = &EmailThrottle
	}
	if cfg.IP == nil {
		cfg.IP = &IPThrottle
	}
	return &Operators{cfg: cfg, hashers: make(chan struct{}, cfg.Hashers)}, nil
}

func (o *Operators) now() time.Time { return o.cfg.Now().UTC().Truncate(time.Microsecond) }

// NormalizeEmail checks that s is a bare e-mail address and returns it in
// lower case, the form operators are stored and throttled under.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", signing.Invalid("email", "must be an e-mail address such as ops@example.com")
	}
	return strings.ToLower(s), nil
}

// CheckPassword says what is wrong with a new password, if anything.
func CheckPassword(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return signing.Invalid("password", "must be UTF-8 text")
	case n < MinPasswordLen:
		return signing.Invalid("password", "must have at least %d characters, it has %d", MinPasswordLen, n)
	case n > MaxPasswordLen:
		return signing.Invalid("password", "must have at most %d characters", MaxPasswordLen)
	}
	return nil
}

// Create makes an operator with an e-mail address and a password.
// ErrConflict if the address is taken.
func (o *Operators) Create(ctx context.Context, email, password string) (Operator, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Operator{}, err
	}
	if err := CheckPassword(password); err != nil {
		return Operator{}, err
	}
	hash, err := o.hash(ctx, password)
	if err != nil {
		return Operator{}, err
	}
	op := Operator{ID: "op_" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", ""), Email: email,
		PasswordHash: hash, CreatedAt: o.now()}
	if err := o.cfg.Store.CreateOperator(ctx, op); err != nil {
		if errors.Is(err, signing.ErrConflict) {
			return Operator{}, signing.Wrap(signing.ErrConflict, err, "there is already an operator %s", email)
		}
		return Operator{}, err
	}
	return op, nil
}

// SignIn checks an operator's e-mail address and password and starts a
// console session: it returns the token for the cookie (shown once, kept
// only hashed) and the session. A wrong address or password is
// ErrBadCredentials, the same answer in about the same time for an
// address that has no operator. While too many wrong passwords were
// given for the address or from clientIP (see Throttle), it is a
// *ThrottledError and the password is not checked at all.
func (o *Operators) SignIn(ctx context.Context, email, password, clientIP string) (string, OperatorSession, error) {
	// The throttle is checked with a hasher slot held, so that a burst of
	// guesses cannot all pass the check before the first failure counts.
	release, err := o.acquire(ctx)
	if err != nil {
		return "", OperatorSession{}, err
	}
	defer release()
	now := o.now()
	o.sweep(ctx, now)
	norm, err := NormalizeEmail(email)
	if err != nil {
		norm = strings.ToLower(strings.TrimSpace(email)) // still throttled and answered alike
	}
	keys := []throttled{{"email:" + clipKey(norm), o.cfg.Email}}
	if clientIP != "" {
		keys = append(keys, throttled{"ip:" + clipKey(clientIP), o.cfg.IP})
	}
	if until, err := o.pausedUntil(ctx, keys, now); err != nil {
		return "", OperatorSession{}, err
	} else if now.Before(until) {
		return "", OperatorSession{}, &ThrottledError{Until: until}
	}
	op, err := o.cfg.Store.OperatorByEmail(ctx, norm)
	if err != nil && !errors.Is(err, signing.ErrNotFound) {
		return "", OperatorSession{}, err
	}
	hash := op.PasswordHash
	if hash == "" {
		hash = o.dummyHash() // the same work as for a real operator
	}
	ok, cerr := argon2id.ComparePasswordAndHash(password, hash)
	if cerr != nil {
		o.cfg.Log.Error("auth: an operator's password hash is unreadable", "operator", op.ID, "err", cerr)
	}
	if !ok || op.ID == "" {
		for _, k := range keys {
			if _, err := o.cfg.Store.RecordLoginFailure(ctx, k.key, now, k.t.Window); err != nil {
				return "", OperatorSession{}, err
			}
		}
		return "", OperatorSession{}, ErrBadCredentials
	}
	if err := o.cfg.Store.ClearLoginFailures(ctx, keys[0].key); err != nil {
		return "", OperatorSession{}, err
	}
	token := randomToken()
	op.PasswordHash = ""
	s := OperatorSession{ID: Hash(token), Operator: op, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(o.cfg.SessionTTL)}
	if err := o.cfg.Store.CreateOperatorSession(ctx, s); err != nil {
		return "", OperatorSession{}, err
	}
	return token, s, nil
}

// throttled is a throttle key and its rule.
type throttled struct {
	key string
	t   *Throttle
}

// clipKey bounds what a client can make the store keep as a key.
func clipKey(s string) string {
	if len(s) > 300 {
		return Hash(s)
	}
	return s
}

// pausedUntil is when sign-in under keys may be tried again.
func (o *Operators) pausedUntil(ctx context.Context, keys []throttled, now time.Time) (time.Time, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	recs, err := o.cfg.Store.LoginFailures(ctx, names)
	if err != nil {
		return time.Time{}, err
	}
	var until time.Time
	for _, r := range recs {
		for _, k := range keys {
			if k.key != r.Key || now.Sub(r.Last) >= k.t.Window {
				continue
			}
			if u := r.Last.Add(k.t.Delay(r.Failures)); u.After(until) {
				until = u
			}
		}
	}
	return until, nil
}

// Session returns the console session of a cookie's token. It is
// ErrNoSession when the token is unknown, the session has expired or it
// was idle for IdleTimeout. Activity is written at most once a minute.
func (o *Operators) Session(ctx context.Context, token string) (OperatorSession, error) {
	if token == "" || len(token) > 100 {
		return OperatorSession{}, ErrNoSession
	}
	s, err := o.cfg.Store.OperatorSession(ctx, Hash(token))
	if errors.Is(err, signing.ErrNotFound) {
		return OperatorSession{}, ErrNoSession
	}
	if err != nil {
		return OperatorSession{}, err
	}
	now := o.now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= o.cfg.IdleTimeout {
		return OperatorSession{}, ErrNoSession
	}
	if now.Sub(s.LastSeenAt) >= time.Minute {
		if err := o.cfg.Store.TouchOperatorSession(ctx, s.ID, now); err != nil {
			return OperatorSession{}, err
		}
		s.LastSeenAt = now
	}
	return s, nil
}

// SignOut ends the session of a token; an unknown token is not an error.
func (o *Operators) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return o.cfg.Store.DeleteOperatorSession(ctx, Hash(token))
}

// hash computes a new password hash, within the hashers' bound.
func (o *Operators) hash(ctx context.Context, password string) (string, error) {
	release, err := o.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	h, err := argon2id.CreateHash(password, o.cfg.Params)
	if err != nil {
		return "", fmt.Errorf("auth: hashing a password: %w", err)
	}
	return h, nil
}

// acquire takes a hasher slot, or gives up with ctx.
func (o *Operators) acquire(ctx context.Context) (func(), error) {
	select {
	case o.hashers <- struct{}{}:
		return func() { <-o.hashers }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dummyHash is a hash of a random password with the current parameters.
func (o *Operators) dummyHash() string {
	o.dummyOnce.Do(func() {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		h, err := argon2id.CreateHash(string(b), o.cfg.Params)
		if err != nil {
			panic("auth: hashing a random password: " + err.Error())
		}
		o.dummy = h
	})
	return o.dummy
}

// sweepEvery is how often (per process) expired sessions and forgotten
// failures are deleted, on the way through a sign-in.
const sweepEvery = time.Hour

// sweep deletes expired console sessions and old failure records, at
// most once per sweepEvery; its errors are only logged.
func (o *Operators) sweep(ctx context.Context, now time.Time) {
	o.mu.Lock()
	due := now.Sub(o.lastSweep) >= sweepEvery
	if due {
		o.lastSweep = now
	}
	o.mu.Unlock()
	if !due {
		return
	}
	if _, err := o.cfg.Store.DeleteOperatorSessionsBefore(ctx, now); err != nil {
		o.cfg.Log.Warn("auth: deleting expired console sessions", "err", err)
	}
	window := max(o.cfg.Email.Window, o.cfg.IP.Window)
	if _, err := o.cfg.Store.DeleteLoginFailuresBefore(ctx, now.Add(-window)); err != nil {
		o.cfg.Log.Warn("auth: deleting old sign-in failures", "err", err)
	}
}
