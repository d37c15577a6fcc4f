// Package digio is Signet's adapter for Digio eSign (Aadhaar, electronic
// and DSC signatures), spoken over Digio's document API:
//
//	POST /v2/client/document/uploadpdf           start a signing (base64 PDF, signers[])
//	GET  /v2/client/document/{id}                its details (agreement_status, signing_parties)
//	GET  /v2/client/document/download?document_id=  the signed PDF
//	POST /v2/client/document/{id}/cancel         withdraw it
//
// Requests are authenticated with HTTP Basic (client id and secret).
// Digio calls back through the account's webhook (doc.signed,
// doc.sign.rejected, doc.sign.failed), signed with X-Digio-Checksum. Each
// signer (up to signing.MaxSigners, in order with Digio's "sequential"
// or in any order) signs on Digio's gateway, reached by a link Signet
// builds from the document id, the signer's identifier and the access
// token Digio returns. Its simulator lives in the sim subpackage; a real deployment
// differs only in BaseURL, GatewayURL and credentials.
package digio

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Name is the provider's name in Signet's API.
const Name = "digio"

// The sign types Digio offers a signer (sign_type).
const (
	SignTypeAadhaar    = "aadhaar"    // Aadhaar eSign: OTP or biometrics at an eSign service provider
	SignTypeElectronic = "electronic" // an electronic signature (OTP to the identifier)
	SignTypeDSC        = "dsc"        // the signer's own DSC token
)

// signTypes lists the accepted sign types, in documentation order.
var signTypes = []string{SignTypeAadhaar, SignTypeElectronic, SignTypeDSC}

// Hosts and gateways. Digio's sandbox API listens on port 444 of
// ext.digio.in; the signer's gateway is a single-page app whose route
// follows the "#".
const (
	SandboxURL        = "https://ext.digio.in:444"
	ProductionURL     = "https://api.digio.in"
	SandboxGateway    = "https://ext.digio.in/#/gateway/login"
	ProductionGateway = "https://app.digio.in/#/gateway/login"
)

// Defaults for the optional Config fields.
const (
	DefaultTimeout  = httpx.DefaultTimeout
	DefaultSignType = SignTypeAadhaar
)

// Config configures an Adapter. BaseURL, ClientID, ClientSecret and
// WebhookSecret are required; everything else has a default.
type Config struct {
	// BaseURL is Digio's API host: SandboxURL, ProductionURL, or the
	// sandbox simulator's mount (http://127.0.0.1:8080/sandbox/digio).
	BaseURL string
	// ClientID and ClientSecret authenticate every call (HTTP Basic).
	// The secret is never logged or put into an error.
	ClientID     string
	ClientSecret string
	// WebhookSecret is the key of the account's webhook checksum
	// (X-Digio-Checksum = hex HMAC-SHA256 of the raw body), the only
	// proof a webhook is genuine.
	WebhookSecret string
	// GatewayURL is the signer's gateway, to which Signet appends
	// /{documentId}/{txnId}/{identifier}?token_id=…. If empty it is
	// ProductionGateway for api.digio.in, SandboxGateway for ext.digio.in
	// and BaseURL + "/gateway/login" (the simulator's page) otherwise.
	GatewayURL string
	// HTTPClient makes the calls; http.DefaultClient if nil.
	HTTPClient *http.Client
	// Timeout bounds each call to Digio (DefaultTimeout if zero).
	Timeout time.Duration
	// SignType is used when signerDetails has none (DefaultSignType if
	// empty).
	SignType string
	// NotifySigners makes Digio send the signing link to the signer by
	// email or SMS as well (notify_signers, send_sign_link). Off by
	// default: the client sends its signer to redirectUrl.
	NotifySigners bool
	// Now is the clock used to turn expiresAt into expire_in_days
	// (time.Now if nil).
	Now func() time.Time
}

// String redacts the secrets, so that printing a Config (in a log line or
// a panic) never reveals them.
func (c Config) String() string {
	return fmt.Sprintf("digio.Config{BaseURL:%q GatewayURL:%q ClientID:%q ClientSecret:%s WebhookSecret:%s Timeout:%v SignType:%q}",
		c.BaseURL, c.GatewayURL, c.ClientID, httpx.Redacted(c.ClientSecret), httpx.Redacted(c.WebhookSecret), c.Timeout, c.SignType)
}

// Adapter implements signing.Provider for Digio.
type Adapter struct {
	cfg     Config
	base    string      // BaseURL without a trailing slash
	gateway string      // GatewayURL without a trailing slash
	auth    http.Header // HTTP Basic with the client id and secret
	http    *httpx.Client
	info    signing.ProviderInfo
}

var _ signing.Provider = (*Adapter)(nil)

// New validates cfg, fills in its defaults and returns an Adapter.
func New(cfg Config) (*Adapter, error) {
	hc, err := httpx.New(Name, "Digio", cfg.BaseURL, cfg.HTTPClient, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	hc.Message, hc.Refine = errorMessage, refine
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("digio: ClientID and ClientSecret are required")
	}
	if strings.Contains(cfg.ClientID, ":") || strings.ContainsAny(cfg.ClientID+cfg.ClientSecret, "\r\n") {
		return nil, errors.New("digio: ClientID must not contain ':' and the credentials must be single-line")
	}
	if cfg.WebhookSecret == "" {
		return nil, errors.New("digio: WebhookSecret is required (webhooks could not be verified without it)")
	}
	if cfg.SignType == "" {
		cfg.SignType = DefaultSignType
	}
	st, ok := normalizeSignType(cfg.SignType)
	if !ok {
		return nil, fmt.Errorf("digio: SignType must be one of %s", strings.Join(signTypes, ", "))
	}
	cfg.SignType = st
	if cfg.GatewayURL == "" {
		cfg.GatewayURL = defaultGateway(hc.Base)
	}
	g, err := url.Parse(cfg.GatewayURL)
	if err != nil || (g.Scheme != "http" && g.Scheme != "https") || g.Host == "" || g.RawQuery != "" {
		return nil, errors.New("digio: GatewayURL must be an absolute http(s) URL without a query")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	basic := &http.Request{Header: http.Header{}}
	basic.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	a := &Adapter{
		cfg:     cfg,
		gateway: strings.TrimRight(cfg.GatewayURL, "/"),
		auth:    basic.Header,
		http:    hc,
	}
	a.info = signing.ProviderInfo{
		Name:                 Name,
		DisplayName:          "Digio eSign",
		Languages:            languages,
		RequiredSignerFields: []string{"name", "identifier"},
		SignerDetailsSchema:  signerDetailsSchema(cfg.SignType),
		// Webhooks, from the account's configuration.
		CallsBack:             true,
		CancelReachesProvider: true,
		// signers[] sign whenever they like, or in the order given with
		// the upload's "sequential": true (Digio's API reference; not in
		// PROVIDERS.md). Digio documents no limit on a document's signers.
		SigningOrders:  []signing.SigningOrder{signing.Sequential, signing.Parallel},
		MaxSigners:     maxSigners,
		Identification: method(cfg.SignType),
	}
	return a, nil
}

// defaultGateway is the signer's gateway that goes with an API host.
func defaultGateway(base string) string {
	u, _ := url.Parse(base) // ParseBase checked it
	switch strings.ToLower(u.Hostname()) {
	case "api.digio.in", "app.digio.in":
		return ProductionGateway
	case "ext.digio.in":
		return SandboxGateway
	}
	return base + "/gateway/login"
}

// languages are those of Digio's signing gateway that Signet can vouch
// for. Digio's document API takes no language, so Signet cannot
// preselect one.
var languages = []string{"en"}

// Info describes Digio for GET /signing/providers.
func (a *Adapter) Info() signing.ProviderInfo { return a.info.Clone() }

func normalizeSignType(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, t := range signTypes {
		if s == t {
			return t, true
		}
	}
	return "", false
}
