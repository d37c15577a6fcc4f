package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/audit"
	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/gcpace"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/provider"
	"github.com/signet-dev/signet/internal/server"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
	"github.com/signet-dev/signet/internal/webhook"
	"github.com/signet-dev/signet/internal/worker"
)

// Main is one running `signet serve`: it owns the listener, the store, the
// workers and the sandboxes, and closes them in reverse order.
type Main struct {
	Config *Config
	Log    *slog.Logger
	// Now is the clock (time.Now unless a test sets one before Open).
	Now func() time.Time

	listener   net.Listener
	store      database
	http       *http.Server
	worker     *worker.Worker
	dispatcher *webhook.Dispatcher
	svc        *signing.Service
	srv        *server.Server
	creds      credentials
	sweeper    *sweeper
	closers    []io.Closer
}

// NewMain parses the serve flags.
func NewMain(args []string, getenv func(string) string, stderr io.Writer) (*Main, error) {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return nil, usageErr(err)
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return nil, err
	}
	return &Main{Config: cfg, Log: log, Now: time.Now}, nil
}

func newLogger(cfg *Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: --log-format must be text or json", errUsage)
}

// paceGC starts the garbage collector's pacing for --gc-min-heap-mb
// unless it is 0 or the operator set GOGC, and returns what stops it. It
// is not part of Run: the pace is the process's, and tests run several
// servers in one process.
func (m *Main) paceGC(getenv func(string) string) (stop func()) {
	if m.Config.GCMinHeap == 0 || getenv("GOGC") != "" {
		return func() {}
	}
	return gcpace.Start(uint64(m.Config.GCMinHeap)).Stop
}

// Open listens, opens the store and wires everything, without serving yet.
// Addr() is known after it.
func (m *Main) Open(ctx context.Context) error {
	cfg := m.Config
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	m.listener = ln
	m.closers = append(m.closers, ln)
	if strings.HasSuffix(cfg.PublicURL, ":0") { // tests listen on a free port
		cfg.PublicURL = "http://" + ln.Addr().String()
	}

	docs, err := documentStore(ctx, cfg.Documents)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg.Database, docs, true)
	if err != nil {
		return err
	}
	m.store = store
	m.sweeper = &sweeper{sweep: blob.Sweeper{Store: store.Documents(), Refs: store},
		interval: cfg.SweepInterval, grace: cfg.SweepGrace, now: time.Now, log: m.Log}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	guard := webhook.Guard{AllowPrivate: cfg.AllowPrivateWebhooks.value}
	m.dispatcher, err = webhook.NewDispatcher(webhook.Config{Store: store, Sender: webhook.NewSender(guard, m.Now, cfg.WebhookTimeout),
		Logger: m.Log, Now: m.Now, Retries: cfg.WebhookRetries, Lease: cfg.WebhookLease, Registry: reg})
	if err != nil {
		return err
	}
	endpoints := &webhook.Endpoints{Store: store, Guard: guard, Now: m.Now, Wake: m.dispatcher.Wake}
	linkKey, err := store.Secret(ctx, signing.LinkSecretName, randomKey)
	if err != nil {
		return err
	}
	links, err := signing.NewLinks(linkKey, cfg.PublicURL)
	if err != nil {
		return err
	}
	presenter := present.Presenter{PublicURL: cfg.PublicURL, Links: links}

	seal, err := m.sealer(ctx)
	if err != nil {
		return err
	}
	providers, err := m.providers(ctx, seal)
	if err != nil {
		return err
	}
	lw, err := m.local(ctx, links, seal)
	if err != nil {
		return err
	}
	adapters := providers.adapters
	if lw != nil {
		adapters = append([]signing.Provider{lw.adapter}, adapters...)
	}
	registry, err := provider.NewRegistry(adapters...)
	if err != nil {
		return err
	}
	if _, ok := registry.Provider(cfg.DefaultProvider); !ok {
		return fmt.Errorf("%w: --default-provider %s: %s", errUsage, cfg.DefaultProvider, m.unconfigured(cfg.DefaultProvider))
	}
	providerMetrics, err := provider.NewMetrics(reg)
	if err != nil {
		return err
	}
	svc, err := signing.NewService(signing.Config{
		Store:     store,
		Providers: registry,
		Checks: signing.Checks{
			SignerDetails: registry.ValidateSignerDetails,
			PDF:           limitedPDFCheck(cfg.PDFLimits, 2*runtime.GOMAXPROCS(0)),
		},
		Logger:          m.Log,
		Now:             m.Now,
		NewID:           func() string { return uuid.Must(uuid.NewV7()).String() },
		Links:           links,
		PublicURL:       cfg.PublicURL,
		DefaultProvider: cfg.DefaultProvider,
		PollInterval:    cfg.PollInterval,
		EncodeEvent:     presenter.WebhookEvent,
		Observer:        providerMetrics,
		OnEvent:         m.dispatcher.Wake,
		Invite:          lw.invite,
	})
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	m.svc = svc
	issuer, err := auth.NewIssuer(ctx, store, m.Now)
	if err != nil {
		return err
	}
	spec, err := api.JSON()
	if err != nil {
		return err
	}
	srvCfg := server.Config{
		Service:     svc,
		Store:       store,
		Documents:   store.Documents(),
		Certifier:   audit.Certifier{Seal: seal, Limits: cfg.PDFLimits, Issuer: m.issuer(), Now: m.Now},
		Webhooks:    endpoints,
		Presenter:   presenter,
		Issuer:      issuer,
		Logger:      m.Log,
		Registry:    reg,
		Spec:        spec,
		RateLimit:   cfg.RateLimit,
		UploadBytes: cfg.UploadBytes,
		UploadWait:  cfg.UploadWait,
		Sandbox:     providers.sandboxes,
		Now:         m.Now,
	}
	m.creds.usage = auth.NewKeyUsage(store, m.Log, m.Now, 0, 0)
	srvCfg.KeyUsed = m.creds.usage.Seen
	console, err := m.consoleConfig(svc, endpoints, func() { m.srv.ForgetCredentials() })
	if err != nil {
		return err
	}
	formKey, err := store.Secret(ctx, "web-forms", randomSecret)
	if err != nil {
		return err
	}
	webCfg := web.Config{FormKey: formKey, Now: m.Now, Logger: m.Log, BankID: &web.BankIDConfig{
		Lookup: store.SessionByID,
		Refresh: func(ctx context.Context, s *signing.Session) (*signing.Session, error) {
			return svc.Refresh(ctx, s.TenantID, s.ID)
		},
		Start:     svc.StartSigner,
		SimAppURL: providers.bankidApp,
	}, SignerLinks: &web.SignerLinkConfig{Find: svc.SignerByLink, Open: svc.OpenSigner, Destination: destination},
		Console: console}
	if lw != nil {
		webCfg.SigningPage = lw.page(svc, store, cfg.PublicURL)
	}
	pages, err := web.New(webCfg)
	if err != nil {
		return err
	}
	srvCfg.Pages = pages.Routes()
	if lw != nil && lw.outbox != nil {
		srvCfg.Pages["GET /sandbox/mail"] = lw.outbox
	}
	if m.srv, err = server.New(srvCfg); err != nil {
		return err
	}
	m.http = &http.Server{
		Handler:           m.srv,
		ReadHeaderTimeout: 10 * time.Second,
		// No fixed read or write timeout: the server moves each
		// connection's deadlines as its body and response make progress,
		// so slow uploads finish and stalled ones are cut off.
		IdleTimeout: 120 * time.Second,
		ErrorLog:    slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.worker, err = worker.New(worker.Config{Service: svc, Store: store, Logger: m.Log, Now: m.Now, Registry: reg, PollLease: cfg.PollLease})
	if err != nil {
		return err
	}
	// Signers of sessions made before signer links existed get theirs.
	if n, err := svc.BackfillSignerLinks(ctx); err != nil {
		return err
	} else if n > 0 {
		m.Log.Info("signer links made for sessions of an earlier release", "signers", n)
	}
	// Only a configuration that works gets a tenant and a key.
	return m.firstRun(ctx)
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Run opens (if not yet open) and serves until ctx ends, then shuts down
// gracefully: in-flight requests finish, the workers finish their batch.
func (m *Main) Run(ctx context.Context) error {
	if m.listener == nil {
		if err := m.Open(ctx); err != nil {
			return err
		}
	}
	m.worker.Start(context.WithoutCancel(ctx))
	m.dispatcher.Start(context.WithoutCancel(ctx))
	m.startCredentials(context.WithoutCancel(ctx), m.srv.CacheCredentials, m.srv.ForgetCredentials)
	if m.Config.SweepInterval > 0 {
		m.sweeper.start(context.WithoutCancel(ctx))
	}
	documents := "database"
	if m.Config.Documents != nil {
		documents = m.Config.Documents.String()
	}
	m.Log.Info("signet serving", "addr", m.Addr(), "publicUrl", m.Config.PublicURL,
		"database", redactDSN(m.Config.Database), "documents", documents, "sandbox", m.Config.Sandbox.value)
	errc := make(chan error, 1)
	go func() { errc <- m.http.Serve(m.listener) }()
	select {
	case err := <-errc:
		m.stopWorkers()
		return err
	case <-ctx.Done():
	}
	m.Log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := m.http.Shutdown(shutdownCtx)
	m.stopWorkers()
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}

// stopWorkers stops the background loops; each finishes the batch in hand
// (webhook attempts in flight are completed and recorded).
func (m *Main) stopWorkers() {
	m.worker.Stop()
	m.dispatcher.Stop()
	m.svc.Wait() // invitations being sent
	m.stopCredentials()
	m.sweeper.Stop()
}

// Close releases everything Open acquired.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i].Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

// firstRun gives a new, empty database a tenant "default" and logs its
// first API key once, so that a new user can call the API at once.
func (m *Main) firstRun(ctx context.Context) error {
	n, err := m.store.CountTenants(ctx)
	if err != nil || n > 0 {
		return err
	}
	key, _, err := auth.CreateAPIKey(ctx, m.store, "default", m.Now())
	if err != nil {
		return err
	}
	m.Log.Info("created tenant \"default\" with an API key; it is shown only this once", "apiKey", key)
	return nil
}

// limitedPDFCheck validates PDFs under lim with at most n checks at once:
// a check at the limits takes a few megabytes and a fraction of a second,
// so a burst of uploads must queue rather than all check at the same time.
func limitedPDFCheck(lim pdf.Limits, n int) func([]byte) error {
	slots := make(chan struct{}, n)
	return func(b []byte) error {
		slots <- struct{}{}
		defer func() { <-slots }()
		_, err := lim.Validate(context.Background(), b)
		return err
	}
}

// randomKey makes a 32-byte server key.
func randomKey() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// randomSecret makes a throwaway credential for a sandbox.
func randomSecret() []byte {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return []byte(hex.EncodeToString(b))
}
