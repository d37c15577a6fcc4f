package main

import (
	"context"
	"errors"
	"strings"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
	"github.com/signet-dev/signet/internal/webhook"
)

// credentials are serve's parts for API keys and the console: the record
// of keys' last use, and the watcher that tells the server's key cache
// of revocations made by any process (PostgreSQL by NOTIFY, SQLite by
// looking every 250 ms); while it is down the server does not cache keys.
type credentials struct {
	usage *auth.KeyUsage
	stop  context.CancelFunc
	done  chan struct{}
}

// revocationWatcher is a store that reports revocations (both stores).
type revocationWatcher interface {
	WatchRevocations(ctx context.Context, revoked func(), ready func(up bool, why error))
}

// consoleConfig wires the operator console. forget empties the server's
// key cache; it is called after a revocation made here.
func (m *Main) consoleConfig(svc *signing.Service, endpoints *webhook.Endpoints, forget func()) (*web.ConsoleConfig, error) {
	ops, err := auth.NewOperators(auth.OperatorsConfig{Store: m.store, Now: m.Now, Log: m.Log})
	if err != nil {
		return nil, err
	}
	return &web.ConsoleConfig{Operators: ops, Store: m.store, Sessions: svc, Webhooks: endpoints,
		Sandbox: m.Config.Sandbox.value, Secure: strings.HasPrefix(m.Config.PublicURL, "https://"), Revoked: forget}, nil
}

// startCredentials starts writing keys' last use and watching for
// revocations; cache turns the server's key cache on and off, forget
// empties it.
func (m *Main) startCredentials(ctx context.Context, cache func(bool), forget func()) {
	m.creds.usage.Start(ctx)
	w, ok := m.store.(revocationWatcher)
	if !ok {
		return
	}
	watch, stop := context.WithCancel(ctx)
	m.creds.stop, m.creds.done = stop, make(chan struct{})
	go func() {
		defer close(m.creds.done)
		w.WatchRevocations(watch, forget, func(up bool, why error) {
			cache(up)
			switch {
			case up:
				m.Log.Debug("listening for API key revocations; caching key lookups")
			case why != nil && !errors.Is(why, context.Canceled):
				m.Log.Warn("not listening for API key revocations; key lookups go to the database until it is back", "err", why)
			}
		})
	}()
}

// stopCredentials stops what startCredentials started, writing the last
// uses noted.
func (m *Main) stopCredentials() {
	if m.creds.stop != nil {
		m.creds.stop()
		<-m.creds.done
	}
	m.creds.usage.Stop()
}
