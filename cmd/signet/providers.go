package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
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

// SignzyConfig holds Signzy's live credentials.
type SignzyConfig struct {
	URL            string
	Token          string
	CallbackSecret string
}

// LeegalityConfig holds Leegality's live credentials.
type LeegalityConfig struct {
	URL         string
	Token       string
	ProfileID   string
	PrivateSalt string
}

// DigioConfig holds Digio's live credentials.
type DigioConfig struct {
	URL           string
	ClientID      string
	ClientSecret  string
	WebhookSecret string
}

// BankIDConfig holds the relying party's BankID certificate.
type BankIDConfig struct {
	URL         string
	P12File     string
	P12Password string
	CertFile    string
	KeyFile     string
	CAFile      string
}

// providerKit is how main wires one provider: its flags, whether they
// configure it, its adapter for the real API, and its sandbox.
type providerKit struct {
	// name is the provider's name in the API.
	name string
	// credentials names the flags that configure the provider, for the
	// message that says what to do when it is not configured.
	credentials string
	// flags are the provider's settings, each read from its flag, else
	// its SIGNET_* variable (the flag's name upper-cased), else its
	// default.
	flags func(c *Config) []setting
	// configured reports whether c carries the provider's credentials.
	configured func(c *Config) bool
	// live is the adapter for the provider's real API; seal is Signet's,
	// for providers whose signed document Signet builds (BankID).
	live func(c *Config, hc *http.Client, seal pdf.Signer) (signing.Provider, error)
	// sandbox starts the provider's simulator, mounts it on sb and
	// returns the adapter talking to it.
	sandbox func(sb *sandbox) (signing.Provider, error)
}

// setting is a provider's flag.
type setting struct {
	value      *string
	name, def  string
	help       string
	envVarHelp string // said after the variable's name in the help, if anything
}

// providerKits are the providers Signet offers, in the order
// GET /signing/providers lists them.
func providerKits() []providerKit {
	return []providerKit{{
		name: signzy.Name, credentials: "--signzy-token and --signzy-callback-secret",
		flags: func(c *Config) []setting {
			return []setting{
				{&c.Signzy.URL, "signzy-url", "https://api-preproduction.signzy.app", "Signzy API base URL", ""},
				{&c.Signzy.Token, "signzy-token", "", "Signzy access token", ""},
				{&c.Signzy.CallbackSecret, "signzy-callback-secret", "", "secret Signzy sends back as the callbacks' Authorization header", ""},
			}
		},
		configured: func(c *Config) bool { return c.Signzy.Token != "" },
		live: func(c *Config, hc *http.Client, _ pdf.Signer) (signing.Provider, error) {
			return signzy.New(signzy.Config{BaseURL: c.Signzy.URL, Token: c.Signzy.Token, CallbackSecret: c.Signzy.CallbackSecret, HTTPClient: hc})
		},
		sandbox: func(sb *sandbox) (signing.Provider, error) {
			s, err := sb.secrets("signzy-token", "signzy-callback")
			if err != nil {
				return nil, err
			}
			sim, err := signzysim.New(signzysim.Config{BaseURL: sb.publicURL(signzy.Name), Token: s[0], HTTPClient: sb.client,
				RetainBytes: sb.m.Config.SandboxDocumentBytes})
			if err != nil {
				return nil, err
			}
			sb.mount(signzy.Name, sim)
			return signzy.New(signzy.Config{BaseURL: sb.loopbackURL(signzy.Name), Token: s[0], CallbackSecret: s[1], HTTPClient: sb.client})
		},
	}, {
		name: leegality.Name, credentials: "--leegality-token, --leegality-profile-id and --leegality-private-salt",
		flags: func(c *Config) []setting {
			return []setting{
				{&c.Leegality.URL, "leegality-url", "https://sandbox.leegality.com/api", "Leegality API base URL", ""},
				{&c.Leegality.Token, "leegality-token", "", "Leegality X-Auth-Token", ""},
				{&c.Leegality.ProfileID, "leegality-profile-id", "", "Leegality workflow profile id", ""},
				{&c.Leegality.PrivateSalt, "leegality-private-salt", "", "Leegality private salt, the webhook MAC key", ""},
			}
		},
		configured: func(c *Config) bool { return c.Leegality.Token != "" },
		live: func(c *Config, hc *http.Client, _ pdf.Signer) (signing.Provider, error) {
			return leegality.New(leegality.Config{BaseURL: c.Leegality.URL, AuthToken: c.Leegality.Token, ProfileID: c.Leegality.ProfileID,
				PrivateSalt: c.Leegality.PrivateSalt, HTTPClient: hc})
		},
		sandbox: func(sb *sandbox) (signing.Provider, error) {
			s, err := sb.secrets("leegality-token", "leegality-salt")
			if err != nil {
				return nil, err
			}
			const profile = "sandbox-profile" // the one workflow of the simulated account
			sim, err := leegalitysim.New(leegalitysim.Config{BaseURL: sb.publicURL(leegality.Name), Token: s[0], PrivateSalt: s[1],
				ProfileID: profile, WebhookURL: sb.callbackURL(leegality.Name), HTTPClient: sb.client, RetainBytes: sb.m.Config.SandboxDocumentBytes})
			if err != nil {
				return nil, err
			}
			sb.mount(leegality.Name, sim)
			return leegality.New(leegality.Config{BaseURL: sb.loopbackURL(leegality.Name), AuthToken: s[0], ProfileID: profile,
				PrivateSalt: s[1], HTTPClient: sb.client})
		},
	}, {
		name: digio.Name, credentials: "--digio-client-id, --digio-client-secret and --digio-webhook-secret",
		flags: func(c *Config) []setting {
			return []setting{
				{&c.Digio.URL, "digio-url", "https://ext.digio.in:444", "Digio API base URL", "; production https://api.digio.in"},
				{&c.Digio.ClientID, "digio-client-id", "", "Digio client id", ""},
				{&c.Digio.ClientSecret, "digio-client-secret", "", "Digio client secret", ""},
				{&c.Digio.WebhookSecret, "digio-webhook-secret", "", "Digio webhook secret, the X-Digio-Checksum key", ""},
			}
		},
		configured: func(c *Config) bool { return c.Digio.ClientID != "" },
		live: func(c *Config, hc *http.Client, _ pdf.Signer) (signing.Provider, error) {
			return digio.New(digio.Config{BaseURL: c.Digio.URL, ClientID: c.Digio.ClientID, ClientSecret: c.Digio.ClientSecret,
				WebhookSecret: c.Digio.WebhookSecret, HTTPClient: hc})
		},
		sandbox: func(sb *sandbox) (signing.Provider, error) {
			s, err := sb.secrets("digio-client-secret", "digio-webhook-secret")
			if err != nil {
				return nil, err
			}
			const clientID = "sandbox-client"
			sim, err := digiosim.New(digiosim.Config{BaseURL: sb.publicURL(digio.Name), ClientID: clientID, ClientSecret: s[0],
				WebhookSecret: s[1], WebhookURL: sb.callbackURL(digio.Name), HTTPClient: sb.client, RetainBytes: sb.m.Config.SandboxDocumentBytes})
			if err != nil {
				return nil, err
			}
			sb.mount(digio.Name, sim)
			return digio.New(digio.Config{BaseURL: sb.loopbackURL(digio.Name), ClientID: clientID, ClientSecret: s[0],
				WebhookSecret: s[1], GatewayURL: sim.GatewayURL(), HTTPClient: sb.client})
		},
	}, {
		name: bankid.Name, credentials: "--bankid-p12 (or --bankid-cert and --bankid-key) and --bankid-ca",
		flags: func(c *Config) []setting {
			return []setting{
				{&c.BankID.URL, "bankid-url", "https://appapi2.test.bankid.com/rp/v6.0", "BankID RP API URL", "; production https://appapi2.bankid.com/rp/v6.0"},
				{&c.BankID.P12File, "bankid-p12", "", "relying party certificate as issued, PKCS#12", ""},
				{&c.BankID.P12Password, "bankid-p12-password", "", "its password", ""},
				{&c.BankID.CertFile, "bankid-cert", "", "relying party client certificate, PEM", ""},
				{&c.BankID.KeyFile, "bankid-key", "", "its private key, PEM", ""},
				{&c.BankID.CAFile, "bankid-ca", "", "the CA BankID's server certificate chains to, PEM", ""},
			}
		},
		configured: func(c *Config) bool { return c.BankID.P12File != "" || c.BankID.CertFile != "" },
		live: func(c *Config, _ *http.Client, seal pdf.Signer) (signing.Provider, error) {
			if c.BankID.CAFile == "" {
				// The system's roots never validate BankID's server
				// certificate: every call would fail its handshake.
				return nil, fmt.Errorf("%w: --bankid-ca is required: BankID's server certificate chains to BankID's own root CA, "+
					"which no system trust store has; save the root for %s from BankID's relying-party documentation as PEM "+
					"and pass its file with --bankid-ca (SIGNET_BANKID_CA)", errUsage, c.BankID.URL)
			}
			// BankID is spoken over mutual TLS with its own client.
			var tlsCfg *tls.Config
			var err error
			if c.BankID.P12File != "" {
				tlsCfg, err = bankid.LoadClientPKCS12(c.BankID.P12File, c.BankID.P12Password, c.BankID.CAFile)
			} else {
				tlsCfg, err = bankid.LoadClientPEM(c.BankID.CertFile, c.BankID.KeyFile, c.BankID.CAFile)
			}
			if err != nil {
				return nil, err
			}
			return bankid.New(bankid.Config{BaseURL: c.BankID.URL, TLS: tlsCfg, PublicURL: c.PublicURL, Seal: seal})
		},
		sandbox: func(sb *sandbox) (signing.Provider, error) {
			// A throwaway PKI per process: the simulator's API speaks real
			// mutual TLS on its own loopback port, the app pages are mounted.
			pki, err := bankidsim.NewTestPKI(nil)
			if err != nil {
				return nil, err
			}
			sim, err := bankidsim.New(bankidsim.Config{BaseURL: sb.publicURL(bankid.Name), RPCommonName: pki.ClientCommonName, Logger: sb.m.Log, Now: sb.m.Now})
			if err != nil {
				return nil, err
			}
			sb.mount(bankid.Name, sim)
			apiURL, err := sim.ListenTLS("127.0.0.1:0", pki.ServerTLS)
			if err != nil {
				return nil, err
			}
			sb.wired.bankidApp = sim.AppURL
			return bankid.New(bankid.Config{BaseURL: apiURL, TLS: pki.ClientTLS, PublicURL: sb.m.Config.PublicURL, Now: sb.m.Now, Seal: sb.seal})
		},
	}}
}

// registerProviderFlags adds every provider's flags to fs.
func registerProviderFlags(fs *flag.FlagSet, c *Config, env func(name, def string) string) {
	for _, k := range providerKits() {
		for _, s := range k.flags(c) {
			v := "SIGNET_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
			fs.StringVar(s.value, s.name, env(v, s.def), s.help+" ("+v+s.envVarHelp+")")
		}
	}
}

func (c *Config) providersConfigured() bool {
	for _, k := range providerKits() {
		if k.configured(c) {
			return true
		}
	}
	return false
}

type wiredProviders struct {
	adapters  []signing.Provider
	sandboxes map[string]http.Handler
	// bankidApp is the simulated BankID app's form URL (sandbox only).
	bankidApp func(orderRef string) string
}

// sandbox is what a provider's simulator gets from main.
type sandbox struct {
	ctx    context.Context
	m      *Main
	wired  *wiredProviders
	client *http.Client
	seal   pdf.Signer // Signet's seal
}

// secrets returns the named sandbox secrets, created once per database:
// replicas on one database share them.
func (sb *sandbox) secrets(names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		b, err := sb.m.store.Secret(sb.ctx, "sandbox-"+n, randomSecret)
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

// publicURL is where signers and providers reach a simulator: its links
// are built on it.
func (sb *sandbox) publicURL(name string) string { return sb.m.Config.PublicURL + "/sandbox/" + name }

// loopbackURL is where the adapter reaches its simulator: this process's
// own listener, whatever the public URL.
func (sb *sandbox) loopbackURL(name string) string {
	addr := sb.m.listener.Addr().String()
	addr = strings.Replace(addr, "0.0.0.0:", "127.0.0.1:", 1)
	addr = strings.Replace(addr, "[::]:", "127.0.0.1:", 1)
	return "http://" + addr + "/sandbox/" + name
}

// callbackURL is Signet's callback route for a provider.
func (sb *sandbox) callbackURL(name string) string {
	return sb.m.Config.PublicURL + "/callbacks/" + name
}

// mount serves a simulator under /sandbox/{name}/ and closes it with Main.
func (sb *sandbox) mount(name string, h interface {
	http.Handler
	io.Closer
}) {
	sb.wired.sandboxes[name] = h
	sb.m.closers = append(sb.m.closers, h)
}

// providers builds every configured adapter. In sandbox mode each talks
// over real HTTP (loopback) to its simulator, mounted in this process under
// /sandbox/{name}/; signer-facing links use the public URL.
func (m *Main) providers(ctx context.Context, seal pdf.Signer) (*wiredProviders, error) {
	w := &wiredProviders{sandboxes: map[string]http.Handler{}}
	client := &http.Client{Timeout: 30 * time.Second}
	sb := &sandbox{ctx: ctx, m: m, wired: w, client: client, seal: seal}
	for _, k := range providerKits() {
		var p signing.Provider
		var err error
		switch {
		case m.Config.Sandbox.value:
			p, err = k.sandbox(sb)
		case k.configured(m.Config):
			p, err = k.live(m.Config, client, seal)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		w.adapters = append(w.adapters, p)
	}
	return w, nil
}

// unconfigured says why provider name is not offered, and what to do.
func (m *Main) unconfigured(name string) string {
	var names []string
	for _, k := range providerKits() {
		if k.name == name {
			if !m.Config.Sandbox.value {
				return fmt.Sprintf("%s is not configured: add its credentials (%s) or drop --sandbox=false", name, k.credentials)
			}
			return name + " is not configured"
		}
		names = append(names, k.name)
	}
	return fmt.Sprintf("there is no provider %q; the providers are %s", name, strings.Join(names, ", "))
}
