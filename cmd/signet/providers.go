package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/signzy"
	signzysim "github.com/signet-dev/signet/internal/provider/signzy/sim"
	"github.com/signet-dev/signet/internal/signing"
)

type wiredProviders struct {
	adapters  []signing.Provider
	sandboxes map[string]http.Handler
}

// providers builds every adapter. In sandbox mode each talks over real
// HTTP (loopback) to its simulator, mounted in this process under
// /sandbox/{name}/; the signer-facing links use the public URL. Sandbox
// credentials come from the store, so replicas on one database share them.
func (m *Main) providers(ctx context.Context) (*wiredProviders, error) {
	cfg := m.Config
	w := &wiredProviders{sandboxes: map[string]http.Handler{}}
	client := &http.Client{Timeout: 30 * time.Second}

	signzyCfg := signzy.Config{BaseURL: cfg.Signzy.URL, Token: cfg.Signzy.Token, CallbackSecret: cfg.Signzy.CallbackSecret, HTTPClient: client}
	if cfg.Sandbox.value {
		token, err := m.store.Secret(ctx, "sandbox-signzy-token", randomSecret)
		if err != nil {
			return nil, err
		}
		secret, err := m.store.Secret(ctx, "sandbox-signzy-callback", randomSecret)
		if err != nil {
			return nil, err
		}
		sim, err := signzysim.New(signzysim.Config{BaseURL: cfg.PublicURL + "/sandbox/signzy", Token: string(token), HTTPClient: client})
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, sim)
		w.sandboxes[signzy.Name] = sim
		signzyCfg = signzy.Config{BaseURL: m.loopbackURL() + "/sandbox/signzy", Token: string(token), CallbackSecret: string(secret), HTTPClient: client}
	}
	if cfg.Sandbox.value || cfg.Signzy.configured() {
		a, err := signzy.New(signzyCfg)
		if err != nil {
			return nil, err
		}
		w.adapters = append(w.adapters, a)
	}
	return w, nil
}

// loopbackURL reaches this process's own listener, whatever the public URL.
func (m *Main) loopbackURL() string {
	addr := m.listener.Addr().String()
	addr = strings.Replace(addr, "0.0.0.0:", "127.0.0.1:", 1)
	addr = strings.Replace(addr, "[::]:", "127.0.0.1:", 1)
	return "http://" + addr
}
