// Package signzy is Signet's adapter for Signzy Contract360 (Aadhaar eSign):
// the seed's SignzyInitiateSigning / SignzyRefreshSigning, spoken over
// Signzy's real HTTP API (POST /api/v3/contract/initiate and
// /api/v3/contract/pullData). Its simulator lives in the sim subpackage; a
// real deployment differs only in BaseURL and credentials.
package signzy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Name is the provider's name in Signet's API.
const Name = "signzy"

// The signature types Signzy accepts for a signer.
const (
	SignatureOTP         = "AADHAARESIGN-OTP"
	SignatureFingerprint = "AADHAARESIGN-FINGERPRINT"
	SignatureFaceAuth    = "AADHAARESIGN-FACEAUTH"
)

// signatureTypes lists the accepted signature types, in documentation order.
var signatureTypes = []string{SignatureOTP, SignatureFingerprint, SignatureFaceAuth}

// Defaults for the optional Config fields.
const (
	DefaultTimeout       = httpx.DefaultTimeout
	DefaultESignProvider = "EMUDHRA"
	DefaultSignatureType = SignatureOTP
	DefaultExecuterName  = "Signet"
)

// Config configures an Adapter. BaseURL, Token and CallbackSecret are
// required; everything else has a default.
type Config struct {
	// BaseURL is Signzy's API host, e.g. https://api.signzy.app,
	// https://api-preproduction.signzy.app, or the sandbox simulator's mount
	// (http://127.0.0.1:8080/sandbox/signzy).
	BaseURL string
	// Token is Signzy's access token, sent raw as the Authorization header
	// (no "Bearer"). It is never logged or put into an error.
	Token string
	// CallbackSecret is handed to Signzy as callbackUrlAuthorizationHeader;
	// Signzy sends it back as the Authorization header of its callbacks,
	// which is the only proof a callback is genuine.
	CallbackSecret string
	// HTTPClient makes the calls; http.DefaultClient if nil.
	HTTPClient *http.Client
	// Timeout bounds each call to Signzy (DefaultTimeout if zero).
	Timeout time.Duration
	// ESignProvider is the Aadhaar eSign service provider Signzy uses
	// (DefaultESignProvider if empty; Signzy also knows "NSDL").
	ESignProvider string
	// SignatureType is used when signerDetails has none
	// (DefaultSignatureType if empty).
	SignatureType string
	// ExecuterName is sent as contractExecuterName, the party that
	// initiates the contract (DefaultExecuterName if empty).
	ExecuterName string
	// Now is the clock used to turn expiresAt into contractTtl (time.Now if nil).
	Now func() time.Time
}

// String redacts the secrets, so that printing a Config (in a log line or
// a panic) never reveals them.
func (c Config) String() string {
	return fmt.Sprintf("signzy.Config{BaseURL:%q Token:%s CallbackSecret:%s Timeout:%v ESignProvider:%q SignatureType:%q}",
		c.BaseURL, httpx.Redacted(c.Token), httpx.Redacted(c.CallbackSecret), c.Timeout, c.ESignProvider, c.SignatureType)
}

// Adapter implements signing.Provider for Signzy.
type Adapter struct {
	cfg  Config
	http *httpx.Client
	info signing.ProviderInfo
}

var _ signing.Provider = (*Adapter)(nil)

// New validates cfg, fills in its defaults and returns an Adapter.
func New(cfg Config) (*Adapter, error) {
	hc, err := httpx.New(Name, "Signzy", cfg.BaseURL, cfg.HTTPClient, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	hc.Message, hc.Refine = errorMessage, refine
	if cfg.Token == "" {
		return nil, errors.New("signzy: Token is required")
	}
	if cfg.CallbackSecret == "" {
		return nil, errors.New("signzy: CallbackSecret is required (callbacks could not be verified without it)")
	}
	if strings.ContainsAny(cfg.Token+cfg.CallbackSecret, "\r\n") {
		return nil, errors.New("signzy: Token and CallbackSecret must be single-line header values")
	}
	if cfg.ESignProvider == "" {
		cfg.ESignProvider = DefaultESignProvider
	}
	if cfg.SignatureType == "" {
		cfg.SignatureType = DefaultSignatureType
	}
	st, ok := normalizeSignatureType(cfg.SignatureType)
	if !ok {
		return nil, fmt.Errorf("signzy: SignatureType must be one of %s", strings.Join(signatureTypes, ", "))
	}
	cfg.SignatureType = st
	if cfg.ExecuterName == "" {
		cfg.ExecuterName = DefaultExecuterName
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Adapter{cfg: cfg, http: hc}
	a.info = signing.ProviderInfo{
		Name:                 Name,
		DisplayName:          "Signzy Contract360 (Aadhaar eSign)",
		Languages:            languages,
		RequiredSignerFields: []string{"name"},
		SignerDetailsSchema:  signerDetailsSchema(cfg.SignatureType),
		CallsBack:            true,
		// Signzy's contract API has no cancel (see Cancel).
		CancelReachesProvider: false,
		// Every signer of signerdetail[] gets an esignUrl of their own and
		// may sign whenever they like; Signzy documents no signing order
		// and no limit on the signers of a contract, so Signet's own
		// limit applies.
		SigningOrders:  []signing.SigningOrder{signing.Parallel},
		MaxSigners:     signing.MaxSigners,
		Identification: identification(cfg.SignatureType),
	}
	return a, nil
}

// languages are those of the signer's journey at Signzy and its eSign
// service provider (English, Hindi). Signzy's API takes no language, so
// the signer picks one on the page; Signet cannot preselect it.
var languages = []string{"en", "hi"}

// Info describes Signzy for GET /signing/providers.
func (a *Adapter) Info() signing.ProviderInfo { return a.info.Clone() }

// identification names how a signature type identifies the signer, for
// the audit certificate: "Aadhaar eSign (OTP) via Signzy".
func identification(signatureType string) string {
	how := map[string]string{SignatureOTP: "OTP", SignatureFingerprint: "fingerprint", SignatureFaceAuth: "face authentication"}
	if h, ok := how[signatureType]; ok {
		return "Aadhaar eSign (" + h + ") via Signzy"
	}
	return "Aadhaar eSign via Signzy"
}

func normalizeSignatureType(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, t := range signatureTypes {
		if s == t {
			return t, true
		}
	}
	return "", false
}
