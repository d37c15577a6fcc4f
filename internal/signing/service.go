package signing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Config wires a Service. Store, Providers, NewID and EncodeEvent are
// required; the rest have defaults.
type Config struct {
	Store     SessionStore
	Providers Providers
	Checks    Checks
	Logger    *slog.Logger
	Now       func() time.Time
	NewID     func() string
	// Links makes signer links; required.
	Links *Links
	// EncodeEvent makes the webhook body of a status-change event: the
	// session as clients see it right after the change. It is stored with
	// the change (the transactional outbox), so it must not fail on a
	// valid session.
	EncodeEvent func(eventType string, at time.Time, s *Session) ([]byte, error)
	// PublicURL is the base URL clients and providers reach Signet at; the
	// callback and return URLs are built from it.
	PublicURL       string
	DefaultProvider string
	// PollInterval is how often open sessions are refreshed from their
	// provider, as a safety net for lost callbacks, unless the provider's
	// description asks for its own interval.
	PollInterval time.Duration
	// Observer, if set, sees every provider call and status change, for
	// metrics.
	Observer Observer
	// Invite, if set, is told which signers of a session may sign from
	// now on (all PENDING signers once the provider took the request, and
	// each next signer of a sequential session when their turn comes), so
	// that they can be sent their links. It runs after the change is
	// committed, in the background; Wait waits for the running ones.
	Invite func(ctx context.Context, sess *Session, signers []int) error
	// OnEvent, if set, is called after a status-change event is committed,
	// so that webhook delivery can start at once.
	OnEvent func()
	// DocumentDeadline is how long Signet keeps trying to fetch the signed
	// document of a session whose provider has every signature, before the
	// session fails (default 24 h).
	DocumentDeadline time.Duration
	// InitiateLease is how long a session being started at its provider is
	// kept from the poller, so that a crash mid-initiate is retried without
	// two workers initiating at once.
	InitiateLease time.Duration
	// ExpiryWriters is how many transactions ExpireDue commits at once
	// (default 2), each on its own share of the due sessions; a store
	// that is a Writers caps it.
	ExpiryWriters int
}

// Observer watches the service's dealings with providers.
type Observer interface {
	// ProviderCall records one call to a provider: op is initiate,
	// refresh, cancel, document or callback (parsing one).
	ProviderCall(provider, op string, d time.Duration, err error)
	// SessionStatus records a session entering a status.
	SessionStatus(s *Session, to Status)
}

type nopObserver struct{}

func (nopObserver) ProviderCall(string, string, time.Duration, error) {}
func (nopObserver) SessionStatus(*Session, Status)                    {}

// Service carries out every use case on signing sessions: the HTTP API,
// provider callbacks and the background workers all come through it, and
// every status change goes through Transition.
type Service struct {
	cfg   Config
	log   *slog.Logger
	polls map[string]time.Duration // per provider, from its description
	// withdraws lists the providers that can withdraw a request.
	withdraws map[string]bool
	// invites are the invitations being sent.
	invites sync.WaitGroup
	// failing counts sessions' failed refreshes in a row.
	failing failures
	// gone tracks sessions whose provider says their request does not exist.
	gone goneAnswers
}

// defaultExpiryWriters is ExpiryWriters' default, the fastest in the
// expiry sweep benchmark on PostgreSQL (BENCHMARKS.md).
const defaultExpiryWriters = 2

// NewService validates cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Providers == nil {
		return nil, errors.New("signing: Store and Providers are required")
	}
	if cfg.NewID == nil || cfg.EncodeEvent == nil || cfg.Links == nil {
		return nil, errors.New("signing: NewID, EncodeEvent and Links are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 30 * time.Second
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.DocumentDeadline <= 0 {
		cfg.DocumentDeadline = 24 * time.Hour
	}
	if cfg.InitiateLease <= 0 {
		cfg.InitiateLease = time.Minute
	}
	if cfg.ExpiryWriters <= 0 {
		cfg.ExpiryWriters = defaultExpiryWriters
	}
	if _, ok := cfg.Providers.Provider(cfg.DefaultProvider); !ok {
		return nil, fmt.Errorf("signing: default provider %q is not configured", cfg.DefaultProvider)
	}
	polls, withdraws := map[string]time.Duration{}, map[string]bool{}
	for _, p := range cfg.Providers.All() {
		info := p.Info()
		if info.PollInterval > 0 {
			polls[info.Name] = info.PollInterval
		}
		withdraws[info.Name] = info.CancelReachesProvider
	}
	return &Service{cfg: cfg, log: cfg.Logger, polls: polls, withdraws: withdraws}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// CallbackURL is where provider p posts its callbacks.
func (s *Service) CallbackURL(p string) string { return s.cfg.PublicURL + "/callbacks/" + p }

// returnURL is where the provider sends the signer afterwards: the
// client's returnUrl, or else Signet's own "you may close this page".
func (s *Service) returnURL(sess *Session) string {
	if sess.ReturnURL != "" {
		return sess.ReturnURL
	}
	return s.cfg.PublicURL + "/signing-finished"
}

// pollInterval is PollIntervals' for the provider, else the provider's
// own (Info().PollInterval), else PollInterval.
func (s *Service) pollInterval(provider string) time.Duration {
	if d, ok := s.polls[provider]; ok {
		return d
	}
	if p, ok := s.cfg.Providers.Provider(provider); ok && p.Info().PollInterval > 0 {
		return p.Info().PollInterval
	}
	return s.cfg.PollInterval
}

// retryDelay backs off a session's provider retries a little; polling
// resumes at the normal interval once the provider answers.
func (s *Service) retryDelay(sess *Session) time.Duration {
	return min(s.pollInterval(sess.Provider), 30*time.Second)
}

// Providers lists the configured providers' descriptions.
func (s *Service) Providers() []ProviderInfo {
	all := s.cfg.Providers.All()
	infos := make([]ProviderInfo, len(all))
	for i, p := range all {
		infos[i] = p.Info()
	}
	return infos
}

func (s *Service) provider(name string) (Provider, error) {
	p, ok := s.cfg.Providers.Provider(name)
	if !ok {
		return nil, Wrap(ErrUnavailable, fmt.Errorf("provider %q is not configured", name),
			"the session's provider %s is not configured on this server", name)
	}
	return p, nil
}

// observe times a provider call for the Observer.
func (s *Service) observe(provider, op string, start time.Time, err error) {
	s.cfg.Observer.ProviderCall(provider, op, time.Since(start), err)
}

// ref identifies sess at its provider.
func (s *Service) ref(sess *Session) ProviderRef {
	tenant, id := sess.TenantID, sess.ID
	return ProviderRef{SessionID: id, Ref: sess.ProviderRef, State: sess.ProviderState, Signers: sess.Signers, SigningOrder: sess.SigningOrder,
		LoadOriginal: func(ctx context.Context) (Document, error) {
			return s.cfg.Store.Document(ctx, tenant, id, DocumentOriginal)
		},
		Session: sess.Clone(),
		LoadEvents: func(ctx context.Context) ([]AuditEntry, error) {
			return s.cfg.Store.AuditTrail(ctx, tenant, id)
		}}
}

// providerMessage is the provider's own explanation of a permanent failure.
func providerMessage(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	return err.Error()
}

func signedName(original string) string {
	if original == "" {
		return "signed.pdf"
	}
	return "signed-" + original
}

// Wait waits until the invitations being sent are sent; call it after the
// last request has been served.
func (s *Service) Wait() { s.invites.Wait() }

// invite tells Config.Invite, in the background, which signers of sess
// may now sign. A failure is logged: the links are in the session too.
func (s *Service) invite(sess *Session, signers []int) {
	if s.cfg.Invite == nil || len(signers) == 0 {
		return
	}
	s.invites.Add(1)
	go func() {
		defer s.invites.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.cfg.Invite(ctx, sess, signers); err != nil {
			s.log.Warn("inviting signers failed; their links are in the session", "session", sess.ID, "err", err)
		}
	}()
}
