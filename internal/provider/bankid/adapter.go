// Package bankid is Signet's adapter for Swedish BankID, spoken over the
// Relying Party API v6.0 (POST /sign, /collect and /cancel) with mutual
// TLS: the relying party (Signet) proves itself with its client
// certificate, and there is no other credential.
//
// BankID signs text, not PDFs, and has no signing page of its own: each
// signer's page is Signet's BankID page (internal/web), which shows the
// animated QR code and the autostart link and follows the order. An
// order must be picked up within about 30 seconds of its start, and one
// person can have only one at a time, so Signet starts a signer's order
// when the signer arrives at their page (the adapter is a
// signing.Starter), one signer after another in a sequential session,
// and replaces an order that times out unscanned while the page is open.
// The text each signer approves in the BankID app names the contract and
// its SHA-256, so the signature covers the document. BankID hands a
// completed order out once: the completion data becomes the signer's
// evidence the first time a collect returns it, and the adapter builds
// the signed document from it: the original PDF with an appended audit
// page and each signer's signature XML and OCSP response attached.
//
// BankID never calls back: Signet polls /collect (every 2 s while an
// order is open, as BankID asks). The simulator lives in the sim
// subpackage; a real deployment differs only in BaseURL and the TLS
// configuration.
package bankid

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Name is the provider's name in Signet's API.
const Name = "bankid"

// BankID's hosts for the RP API v6.0.
const (
	TestURL       = "https://appapi2.test.bankid.com/rp/v6.0"
	ProductionURL = "https://appapi2.bankid.com/rp/v6.0"
)

// Defaults for the optional Config fields.
const (
	DefaultTimeout = httpx.DefaultTimeout
	// DefaultEndUserIP is sent as endUserIp when the signer's address is
	// unknown. BankID requires the end user's IP as seen by the relying
	// party; Signet's sessions are created by the client's server, not by
	// the signer's browser, so unless the client passes
	// signerDetails.endUserIp the real address is not known when the order
	// starts. BankID accepts the loopback address but loses it as a risk
	// signal.
	DefaultEndUserIP = "127.0.0.1"
)

// pollInterval is how often BankID wants open orders collected.
const pollInterval = 2 * time.Second

// Config configures an Adapter. BaseURL, PublicURL and either TLS or
// HTTPClient are required.
type Config struct {
	// BaseURL is the RP API's base, e.g. TestURL, ProductionURL, or the
	// sandbox simulator's TLS listener (https://127.0.0.1:PORT/rp/v6.0).
	BaseURL string
	// TLS carries the relying party's client certificate and the CA that
	// issued BankID's server certificate (BankID's own root, not a public
	// one). LoadClientPEM builds it from files.
	TLS *tls.Config
	// PublicURL is Signet's public base URL; the signer's redirectUrl is
	// Signet's BankID page under it: {PublicURL}/bankid/{sessionId}?t=….
	PublicURL string
	// HTTPClient, when set, makes the calls instead of a client built on
	// TLS (for tests). It must present the client certificate itself.
	HTTPClient *http.Client
	// Timeout bounds each call to BankID (DefaultTimeout if zero).
	Timeout time.Duration
	// EndUserIP is the endUserIp sent when signerDetails has none
	// (DefaultEndUserIP if empty).
	EndUserIP string
	// Now is the clock for the QR start time and the audit page (time.Now
	// if nil).
	Now func() time.Time
	// Seal, when set, seals the signed document Signet builds (BankID
	// signs data, not PDFs), so that any later change to it shows.
	Seal pdf.Signer
}

// String describes the configuration without key material.
func (c Config) String() string {
	certs := 0
	if c.TLS != nil {
		certs = len(c.TLS.Certificates)
	}
	return fmt.Sprintf("bankid.Config{BaseURL:%q PublicURL:%q ClientCertificates:%d Timeout:%v}",
		c.BaseURL, c.PublicURL, certs, c.Timeout)
}

// Adapter implements signing.Provider for BankID.
type Adapter struct {
	cfg    Config
	public string // PublicURL without a trailing slash
	http   *httpx.Client
	info   signing.ProviderInfo

	mu          sync.Mutex
	completions map[string]keptCompletion // by orderRef: see collectOrder
}

var _ signing.Provider = (*Adapter)(nil)

// New validates cfg, fills in its defaults and returns an Adapter.
func New(cfg Config) (*Adapter, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("bankid: BaseURL must be an absolute https URL without query (BankID is only spoken over mutual TLS)")
	}
	p, err := url.Parse(cfg.PublicURL)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
		return nil, errors.New("bankid: PublicURL must be Signet's absolute http(s) base URL")
	}
	if cfg.HTTPClient == nil {
		if cfg.TLS == nil || (len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetClientCertificate == nil) {
			return nil, errors.New("bankid: TLS with the relying party's client certificate is required")
		}
	}
	if cfg.EndUserIP == "" {
		cfg.EndUserIP = DefaultEndUserIP
	}
	if net.ParseIP(cfg.EndUserIP) == nil {
		return nil, errors.New("bankid: EndUserIP must be an IP address")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = tlsClient(cfg.TLS)
	}
	c, err := httpx.New(Name, "BankID", cfg.BaseURL, hc, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	// BankID's HTTP policy is httpx's, with BankID's error codes (refine)
	// and words for a TLS handshake that fails.
	c.Message, c.Refine, c.TransportMessage = errorMessage, refine, tlsMessage
	a := &Adapter{cfg: cfg, public: strings.TrimRight(cfg.PublicURL, "/"), http: c, completions: map[string]keptCompletion{}}
	a.info = signing.ProviderInfo{
		Name:                 Name,
		DisplayName:          "Swedish BankID",
		Identification:       "Swedish BankID",
		Languages:            languages,
		RequiredSignerFields: []string{"identity"},
		SignerDetailsSchema:  signerDetailsSchema(),
		// BankID asks relying parties to collect open orders every 2 s and
		// never calls back.
		PollInterval:          pollInterval,
		CallsBack:             false,
		CancelReachesProvider: true,
		// An order is one person's (requirement.personalNumber): Signet
		// runs one per signer, in the session's order (each signer's own
		// when they open their page).
		SigningOrders: []signing.SigningOrder{signing.Sequential, signing.Parallel},
		MaxSigners:    maxSigners,
	}
	return a, nil
}

// languages are those the adapter writes the text shown in the BankID app
// (and Signet's BankID page) in; the app itself follows the phone.
var languages = []string{"sv", "en"}

// Info describes BankID for GET /signing/providers.
func (a *Adapter) Info() signing.ProviderInfo { return a.info.Clone() }

// tlsClient is an HTTP client presenting cfg's client certificate. It is
// http.DefaultTransport's setup with the TLS configuration swapped in.
func tlsClient(cfg *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tc := cfg.Clone()
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12
	}
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: tr}
}

// LoadClientPEM builds the TLS configuration for BankID from PEM files:
// the relying party's certificate (certFile, optionally followed by its
// chain) and private key (keyFile), and the CA certificate(s) that issued
// BankID's server certificate (caFile; BankID publishes its own root for
// the test and production hosts). An empty caFile trusts the system's
// roots, which do not include BankID's.
//
// BankID hands out RP certificates as PKCS#12 (.p12) files: use
// LoadClientPKCS12 for those.
func LoadClientPEM(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("bankid: client certificate: %w", err)
	}
	return clientTLS(cert, caFile)
}

// LoadClientPKCS12 builds the TLS configuration for BankID from the
// relying party's PKCS#12 file (as BankID issues it, legacy or AES
// encrypted) and its password; caFile is as for LoadClientPEM.
func LoadClientPKCS12(p12File, password, caFile string) (*tls.Config, error) {
	data, err := os.ReadFile(p12File)
	if err != nil {
		return nil, fmt.Errorf("bankid: PKCS#12 file: %w", err)
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("bankid: PKCS#12 file %s: %w", p12File, err)
	}
	cert := tls.Certificate{PrivateKey: key, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return clientTLS(cert, caFile)
}

func clientTLS(cert tls.Certificate, caFile string) (*tls.Config, error) {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("bankid: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("bankid: CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
