// Package leegality is Signet's adapter for Leegality's Document Execution
// API v3 (Aadhaar eSign), spoken over Leegality's real HTTP endpoints:
//
//	POST   /v3.0/sign/request                      create a signing request from a workflow (profileId)
//	GET    /v3.3/document/details?documentId=      the document and its invitations (Refresh)
//	GET    /v3.3/document/fetchDocument?documentId=&documentDownloadType=DOCUMENT
//	                                               a short-lived download URL of the signed PDF
//	DELETE /v3.0/sign/request?documentId=          delete the document (Cancel)
//
// Every call carries the X-Auth-Token header. Leegality answers with an
// envelope {"status": 1|0, "messages": [{"code", "message"}], "data": …}
// and reports most failures as HTTP 200 with status 0; see client.go.
//
// Webhooks are configured in the workflow on Leegality's dashboard, not per
// request: an operator points the workflow's success and error webhook
// URLs at Signet's POST /callbacks/leegality. Their only proof is a mac
// over the documentId (callback.go).
//
// A session of several signers is one document with an invitee per
// signer, in signing order (requestSignOrder true for a sequential one):
// each signer signs on their own signUrl, and the details report each
// invitation, which Refresh maps onto the signers one by one (signers.go).
// For the audit certificate, the adapter is a signing.Evidencer
// (evidence.go): what Leegality said of each signer's invitation, the
// eSign certificate behind their signature, and Leegality's audit trail.
//
// The simulator lives in the sim subpackage; a real deployment differs
// only in BaseURL and credentials.
package leegality

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
const Name = "leegality"

// DefaultTimeout bounds each call to Leegality when Config.Timeout is zero.
const DefaultTimeout = httpx.DefaultTimeout

// Config configures an Adapter. BaseURL, AuthToken, ProfileID and
// PrivateSalt are required.
type Config struct {
	// BaseURL is Leegality's API root, including its /api path:
	// https://sandbox.leegality.com/api, https://app1.leegality.com/api, or
	// the sandbox simulator's mount (http://127.0.0.1:8080/sandbox/leegality).
	BaseURL string
	// AuthToken is sent as X-Auth-Token. It is never logged or put into an
	// error.
	AuthToken string
	// ProfileID is the workflow every request is created from (sent as
	// profileId). The workflow decides the signature types, the invitation
	// expiry, the signer's journey and the webhook URLs.
	ProfileID string
	// PrivateSalt is the account's private salt (dashboard → API
	// settings), the key of the mac that proves a webhook genuine.
	PrivateSalt string
	// HTTPClient makes the calls; http.DefaultClient if nil.
	HTTPClient *http.Client
	// Timeout bounds each call to Leegality (DefaultTimeout if zero).
	Timeout time.Duration
	// Now is the clock that decides whether an invitation's expiryDate has
	// passed (time.Now if nil).
	Now func() time.Time
}

// String redacts the secrets, so that printing a Config (in a log line or
// a panic) never reveals them.
func (c Config) String() string {
	return fmt.Sprintf("leegality.Config{BaseURL:%q AuthToken:%s ProfileID:%q PrivateSalt:%s Timeout:%v}",
		c.BaseURL, httpx.Redacted(c.AuthToken), c.ProfileID, httpx.Redacted(c.PrivateSalt), c.Timeout)
}

// Adapter implements signing.Provider for Leegality.
type Adapter struct {
	cfg  Config
	http *httpx.Client
	info signing.ProviderInfo
}

var _ signing.Provider = (*Adapter)(nil)

// New validates cfg, fills in its defaults and returns an Adapter.
func New(cfg Config) (*Adapter, error) {
	hc, err := httpx.New(Name, "Leegality", cfg.BaseURL, cfg.HTTPClient, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	hc.Message, hc.Refine = httpMessage, refine
	if cfg.AuthToken == "" {
		return nil, errors.New("leegality: AuthToken is required")
	}
	if strings.ContainsAny(cfg.AuthToken, "\r\n") {
		return nil, errors.New("leegality: AuthToken must be a single-line header value")
	}
	if strings.TrimSpace(cfg.ProfileID) == "" {
		return nil, errors.New("leegality: ProfileID (the workflow's profile id) is required")
	}
	if cfg.PrivateSalt == "" {
		return nil, errors.New("leegality: PrivateSalt is required (webhooks could not be verified without it)")
	}
	cfg.ProfileID = strings.TrimSpace(cfg.ProfileID)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Adapter{cfg: cfg, http: hc}
	a.info = signing.ProviderInfo{
		Name:                 Name,
		DisplayName:          "Leegality (Aadhaar eSign)",
		Languages:            languages,
		RequiredSignerFields: []string{"name"},
		SignerDetailsSchema:  signerDetailsSchema(),
		// Webhooks, from the workflow's configuration.
		CallsBack:             true,
		CancelReachesProvider: true,
		// requestSignOrder: true makes invitees[] sign in turn, false all at
		// once. Leegality documents no limit on a document's invitees
		// ("add any number of invitees", its help centre): Signet's own
		// limit applies.
		SigningOrders:  []signing.SigningOrder{signing.Sequential, signing.Parallel},
		MaxSigners:     signing.MaxSigners,
		Identification: identification,
	}
	return a, nil
}

// languages are those Signet vouches for in Leegality's signing journey
// (English, Hindi). Leegality offers more Indian languages on its page,
// but its create API takes no language: the signer picks one there.
var languages = []string{"en", "hi"}

// Info describes Leegality for GET /signing/providers.
func (a *Adapter) Info() signing.ProviderInfo { return a.info.Clone() }
