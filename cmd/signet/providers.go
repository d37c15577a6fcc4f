package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid"
	bankidsim "github.com/signet-dev/signet/internal/provider/bankid/sim"
	"github.com/signet-dev/signet/internal/provider/digio"
	digiosim "github.com/signet-dev/signet/internal/provider/digio/sim"
	"github.com/signet-dev/signet/internal/provider/leegality"
	leegalitysim "github.com/signet-dev/signet/internal/provider/leegality/sim"
	"github.com/signet-dev/signet/internal/provider/signzy"
	signzysim "github.com/signet-dev/signet/internal/provider/signzy/sim"
	"github.com/signet-dev/signet/internal/signing"
)

type wiredProviders struct {
	adapters  []signing.Provider
	sandboxes map[string]http.Handler
	// bankidApp is the simulated BankID app's form URL (sandbox only).
	bankidApp func(orderRef string) string
}

// sandboxProfile is the Leegality workflow the simulated account has.
const sandboxProfile = "sandbox-profile"

// providers builds every configured adapter. In sandbox mode each talks
// over real HTTP (loopback) to its simulator, mounted in this process under
// /sandbox/{name}/; signer-facing links use the public URL. Sandbox
// credentials live in the store, so replicas on one database share them.
func (m *Main) providers(ctx context.Context) (*wiredProviders, error) {
	cfg := m.Config
	w := &wiredProviders{sandboxes: map[string]http.Handler{}}
	client := &http.Client{Timeout: 30 * time.Second}
	sandbox := cfg.Sandbox.value

	// secrets returns the named sandbox secrets, created once per database.
	secrets := func(names ...string) ([]string, error) {
		out := make([]string, len(names))
		for i, n := range names {
			b, err := m.store.Secret(ctx, "sandbox-"+n, randomSecret)
			if err != nil {
				return nil, err
			}
			out[i] = string(b)
		}
		return out, nil
	}
	mount := func(name string, h interface {
		http.Handler
		io.Closer
	}) {
		w.sandboxes[name] = h
		m.closers = append(m.closers, h)
	}

	signzyCfg := signzy.Config{BaseURL: cfg.Signzy.URL, Token: cfg.Signzy.Token, CallbackSecret: cfg.Signzy.CallbackSecret, HTTPClient: client}
	if sandbox {
		s, err := secrets("signzy-token", "signzy-callback")
		if err != nil {
			return nil, err
		}
		sim, err := signzysim.New(signzysim.Config{BaseURL: cfg.PublicURL + "/sandbox/signzy", Token: s[0], HTTPClient: client})
		if err != nil {
			return nil, err
		}
		mount(signzy.Name, sim)
		signzyCfg = signzy.Config{BaseURL: m.loopbackURL() + "/sandbox/signzy", Token: s[0], CallbackSecret: s[1], HTTPClient: client}
	}
	if sandbox || cfg.Signzy.configured() {
		a, err := signzy.New(signzyCfg)
		if err != nil {
			return nil, err
		}
		w.adapters = append(w.adapters, a)
	}

	leegalityCfg := leegality.Config{BaseURL: cfg.Leegality.URL, AuthToken: cfg.Leegality.Token, ProfileID: cfg.Leegality.ProfileID,
		PrivateSalt: cfg.Leegality.PrivateSalt, HTTPClient: client}
	if sandbox {
		s, err := secrets("leegality-token", "leegality-salt")
		if err != nil {
			return nil, err
		}
		sim, err := leegalitysim.New(leegalitysim.Config{BaseURL: cfg.PublicURL + "/sandbox/leegality", Token: s[0], PrivateSalt: s[1],
			ProfileID: sandboxProfile, WebhookURL: cfg.PublicURL + "/callbacks/leegality", HTTPClient: client})
		if err != nil {
			return nil, err
		}
		mount(leegality.Name, sim)
		leegalityCfg = leegality.Config{BaseURL: m.loopbackURL() + "/sandbox/leegality", AuthToken: s[0], ProfileID: sandboxProfile,
			PrivateSalt: s[1], HTTPClient: client}
	}
	if sandbox || cfg.Leegality.configured() {
		a, err := leegality.New(leegalityCfg)
		if err != nil {
			return nil, err
		}
		w.adapters = append(w.adapters, a)
	}

	digioCfg := digio.Config{BaseURL: cfg.Digio.URL, ClientID: cfg.Digio.ClientID, ClientSecret: cfg.Digio.ClientSecret,
		WebhookSecret: cfg.Digio.WebhookSecret, HTTPClient: client}
	if sandbox {
		s, err := secrets("digio-client-secret", "digio-webhook-secret")
		if err != nil {
			return nil, err
		}
		const clientID = "sandbox-client"
		sim, err := digiosim.New(digiosim.Config{BaseURL: cfg.PublicURL + "/sandbox/digio", ClientID: clientID, ClientSecret: s[0],
			WebhookSecret: s[1], WebhookURL: cfg.PublicURL + "/callbacks/digio", HTTPClient: client})
		if err != nil {
			return nil, err
		}
		mount(digio.Name, sim)
		digioCfg = digio.Config{BaseURL: m.loopbackURL() + "/sandbox/digio", ClientID: clientID, ClientSecret: s[0],
			WebhookSecret: s[1], GatewayURL: sim.GatewayURL(), HTTPClient: client}
	}
	if sandbox || cfg.Digio.configured() {
		a, err := digio.New(digioCfg)
		if err != nil {
			return nil, err
		}
		w.adapters = append(w.adapters, a)
	}

	bankidCfg := bankid.Config{BaseURL: cfg.BankID.URL, PublicURL: cfg.PublicURL}
	if sandbox {
		// A throwaway PKI per process: the simulator's API speaks real
		// mutual TLS on its own loopback port, the app pages are mounted.
		pki, err := bankidsim.NewTestPKI(nil)
		if err != nil {
			return nil, err
		}
		sim, err := bankidsim.New(bankidsim.Config{BaseURL: cfg.PublicURL + "/sandbox/bankid", RPCommonName: pki.ClientCommonName, Logger: m.Log})
		if err != nil {
			return nil, err
		}
		mount(bankid.Name, sim)
		apiURL, err := sim.ListenTLS("127.0.0.1:0", pki.ServerTLS)
		if err != nil {
			return nil, err
		}
		w.bankidApp = sim.AppURL
		bankidCfg = bankid.Config{BaseURL: apiURL, TLS: pki.ClientTLS, PublicURL: cfg.PublicURL}
	} else if cfg.BankID.configured() {
		var tlsCfg *tls.Config
		var err error
		if cfg.BankID.P12File != "" {
			tlsCfg, err = bankid.LoadClientPKCS12(cfg.BankID.P12File, cfg.BankID.P12Password, cfg.BankID.CAFile)
		} else {
			tlsCfg, err = bankid.LoadClientPEM(cfg.BankID.CertFile, cfg.BankID.KeyFile, cfg.BankID.CAFile)
		}
		if err != nil {
			return nil, err
		}
		bankidCfg.TLS = tlsCfg
	}
	if sandbox || cfg.BankID.configured() {
		a, err := bankid.New(bankidCfg)
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

// unconfigured says why provider name is not offered, and what to do.
func (m *Main) unconfigured(name string) string {
	creds := map[string]string{
		"signzy":    "--signzy-token and --signzy-callback-secret",
		"leegality": "--leegality-token, --leegality-profile-id and --leegality-private-salt",
		"digio":     "--digio-client-id, --digio-client-secret and --digio-webhook-secret",
		"bankid":    "--bankid-p12 (or --bankid-cert and --bankid-key) and --bankid-ca",
	}
	flags, known := creds[name]
	switch {
	case !known:
		names := slices.Sorted(maps.Keys(creds))
		return fmt.Sprintf("there is no provider %q; the providers are %s", name, strings.Join(names, ", "))
	case !m.Config.Sandbox.value:
		return fmt.Sprintf("%s is not configured: add its credentials (%s) or drop --sandbox=false", name, flags)
	}
	return name + " is not configured"
}
