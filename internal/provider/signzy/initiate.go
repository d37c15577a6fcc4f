package signzy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// defaultTTL is the contract's life when the request has no ExpiresAt
// (Signet's own default session life).
const defaultTTL = 24 * time.Hour

// signerDetails is Signzy's view of a session's signerDetails. Fields are
// read leniently (a year of birth may come as a number); the schema in
// Info is what clients are held to.
type signerDetails struct {
	Name              text `json:"name"`
	Email             text `json:"email"`
	Mobile            text `json:"mobile"`
	Gender            text `json:"gender"`
	YearOfBirth       text `json:"yearOfBirth"`
	UIDLastFourDigits text `json:"uidLastFourDigits"`
	SignatureType     text `json:"signatureType"`
}

// state is the adapter-private data kept with a session.
type state struct {
	SignerID string `json:"signerId"`
}

// Initiate creates the contract at Signzy with the session's one signer
// and returns Signzy's contractId as the reference and the signer's
// esignUrl as the redirect.
//
// Signzy has no idempotency key: a retried initiate after a lost answer
// creates a second contract. The first one is never signed and expires by
// its contractTtl.
func (a *Adapter) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	body, err := a.initiateRequest(req)
	if err != nil {
		return signing.Initiated{}, err
	}
	var resp initiateResponse
	if err := a.post(ctx, httpx.OpInitiate, "/api/v3/contract/initiate", body, &resp, false); err != nil {
		return signing.Initiated{}, err
	}
	contractID := strings.TrimSpace(string(resp.ContractID))
	var signer signerInitiated
	if len(resp.SignerDetail) > 0 {
		signer = resp.SignerDetail[0]
	}
	redirect := strings.TrimSpace(string(signer.ESignURL))
	if contractID == "" || !httpx.IsHTTPURL(redirect) {
		// Not retryable: Signzy did create something, and asking again
		// would create another contract.
		return signing.Initiated{}, a.http.Error(httpx.OpInitiate, "Signzy accepted the contract but returned no contractId or esignUrl")
	}
	st, _ := json.Marshal(state{SignerID: strings.TrimSpace(string(signer.SignerID))})
	return signing.Initiated{Ref: contractID, RedirectURL: redirect, State: st}, nil
}

// initiateRequest builds Signzy's initiate body from Signet's request. It
// fails with a *signing.ValidationError (ErrInvalid) when the request
// cannot make a valid contract.
func (a *Adapter) initiateRequest(req signing.InitiateRequest) (*initiateRequest, error) {
	var sd signerDetails
	if err := json.Unmarshal(req.SignerDetails, &sd); err != nil {
		return nil, signing.Invalid("signerDetails", "must be a JSON object")
	}
	v := &signing.ValidationError{}
	name := strings.TrimSpace(string(sd.Name))
	if name == "" {
		v.Add("signerDetails.name", "is required")
	}
	sigType := a.cfg.SignatureType
	if s := strings.TrimSpace(string(sd.SignatureType)); s != "" {
		t, ok := normalizeSignatureType(s)
		if !ok {
			v.Add("signerDetails.signatureType", "must be one of %s", strings.Join(signatureTypes, ", "))
		}
		sigType = t
	}
	if len(req.Document.Content) == 0 {
		v.Add("document.content", "is required")
	}
	ttl := defaultTTL
	if !req.ExpiresAt.IsZero() {
		ttl = req.ExpiresAt.Sub(a.cfg.Now())
		if ttl < time.Second {
			v.Add("expiresAt", "must be in the future")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	contractName := strings.TrimSpace(req.Document.Filename)
	if contractName == "" {
		contractName = "Contract " + req.OrderID
	}
	redirect := req.ReturnURL
	if redirect == "" {
		redirect = defaultRedirect(req.CallbackURL)
	}
	return &initiateRequest{
		PDF:                            base64.StdEncoding.EncodeToString(req.Document.Content),
		ContractName:                   contractName,
		ContractExecuterName:           a.cfg.ExecuterName,
		SuccessRedirectURL:             redirect,
		FailureRedirectURL:             redirect,
		ContractTTL:                    ttl.Milliseconds(),
		CallbackURL:                    req.CallbackURL,
		CallbackURLAuthorizationHeader: a.cfg.CallbackSecret,
		ESignProvider:                  a.cfg.ESignProvider,
		SignerDetail: []signerRequest{{
			SignerName:        name,
			SignerEmail:       strings.TrimSpace(string(sd.Email)),
			SignerMobile:      strings.TrimSpace(string(sd.Mobile)),
			SignerGender:      strings.ToLower(strings.TrimSpace(string(sd.Gender))),
			SignerYearOfBirth: strings.TrimSpace(string(sd.YearOfBirth)),
			UIDLastFourDigits: strings.TrimSpace(string(sd.UIDLastFourDigits)),
			SignatureType:     sigType,
			Signatures:        defaultPlacement,
		}},
	}, nil
}

// defaultRedirect is where Signzy sends the signer when the client gave no
// returnUrl: Signzy requires both redirect URLs, and the root of Signet's
// own public URL (the origin of the callback URL) is a harmless landing.
func defaultRedirect(callbackURL string) string {
	u, err := url.Parse(callbackURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}
