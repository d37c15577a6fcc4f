package signzy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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

// state is the adapter-private data kept with a session: Signzy's ids of
// the signers, in Signet's order (SignerID is the first, as sessions
// kept it before there were several).
type state struct {
	SignerID  string   `json:"signerId"`
	SignerIDs []string `json:"signerIds,omitempty"`
}

// Initiate creates the contract at Signzy with every signer of the
// session in signerdetail[] and returns Signzy's contractId as the
// reference, each signer's signerId and esignUrl (their own link), and
// the first signer's link as the redirect.
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
	// Signzy answers signerdetail[] in the order it was sent (anything
	// after Signet's signers is not Signet's to offer).
	signers := make([]signing.InitiatedSigner, len(body.SignerDetail))
	ids := make([]string, len(body.SignerDetail))
	usable := contractID != "" && len(resp.SignerDetail) >= len(body.SignerDetail)
	for i := range signers {
		if !usable {
			break
		}
		s := resp.SignerDetail[i]
		ids[i] = strings.TrimSpace(string(s.SignerID))
		signers[i] = signing.InitiatedSigner{Ref: ids[i], URL: strings.TrimSpace(string(s.ESignURL))}
		usable = httpx.IsHTTPURL(signers[i].URL)
	}
	if !usable {
		// Not retryable: Signzy did create something, and asking again
		// would create another contract.
		return signing.Initiated{}, a.http.Error(httpx.OpInitiate, "Signzy accepted the contract but returned no contractId or not an esignUrl for every signer")
	}
	st := state{SignerID: ids[0]}
	if len(ids) > 1 {
		st.SignerIDs = ids
	}
	raw, _ := json.Marshal(st)
	return signing.Initiated{Ref: contractID, RedirectURL: signers[0].URL, Signers: signers, State: raw}, nil
}

// initiateRequest builds Signzy's initiate body from Signet's request. It
// fails with a *signing.ValidationError (ErrInvalid) when the request
// cannot make a valid contract.
func (a *Adapter) initiateRequest(req signing.InitiateRequest) (*initiateRequest, error) {
	v := &signing.ValidationError{}
	signers := a.signerRequests(req, v)
	if len(signers) > 1 && req.SigningOrder == signing.Sequential {
		v.Add("signingOrder", "Signzy takes its signers in parallel only")
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
	body := &initiateRequest{
		PDF:                            base64.StdEncoding.EncodeToString(req.Document.Content),
		ContractName:                   contractName,
		ContractExecuterName:           a.cfg.ExecuterName,
		SuccessRedirectURL:             redirect,
		FailureRedirectURL:             redirect,
		ContractTTL:                    ttl.Milliseconds(),
		CallbackURL:                    req.CallbackURL,
		CallbackURLAuthorizationHeader: a.cfg.CallbackSecret,
		ESignProvider:                  a.cfg.ESignProvider,
		SignerDetail:                   signers,
	}
	if len(signers) > 1 {
		body.SignerCallbackURL = req.CallbackURL
		body.SignerCallbackAuthorizationHeader = a.cfg.CallbackSecret
		body.SignerCallbackURLAuthorizationHeader = a.cfg.CallbackSecret
	}
	return body, nil
}

// signerRequests is signerdetail[]: the request's signers in order, or
// its one signerDetails. Problems go into v, named the way the client
// gave the signers (signerDetails.<key>, or signers[N].signerDetails.<key>).
func (a *Adapter) signerRequests(req signing.InitiateRequest, v *signing.ValidationError) []signerRequest {
	details := []json.RawMessage{req.SignerDetails}
	if len(req.Signers) > 0 {
		details = details[:0]
		for _, s := range req.Signers {
			details = append(details, s.Details)
		}
	}
	out := make([]signerRequest, 0, len(details))
	for i, raw := range details {
		field := "signerDetails"
		if len(details) > 1 {
			field = fmt.Sprintf("signers[%d].signerDetails", i)
		}
		if s, ok := a.signerRequest(raw, field, v); ok {
			out = append(out, s)
		}
	}
	return out
}

// signerRequest is one signer of signerdetail[]; false (with the problems
// in v) when their details cannot make one.
func (a *Adapter) signerRequest(raw json.RawMessage, field string, v *signing.ValidationError) (signerRequest, bool) {
	var sd signerDetails
	if err := json.Unmarshal(raw, &sd); err != nil {
		v.Add(field, "must be a JSON object")
		return signerRequest{}, false
	}
	ok := true
	name := strings.TrimSpace(string(sd.Name))
	if name == "" {
		v.Add(field+".name", "is required")
		ok = false
	}
	sigType := a.cfg.SignatureType
	if s := strings.TrimSpace(string(sd.SignatureType)); s != "" {
		t, known := normalizeSignatureType(s)
		if !known {
			v.Add(field+".signatureType", "must be one of %s", strings.Join(signatureTypes, ", "))
			ok = false
		}
		sigType = t
	}
	return signerRequest{
		SignerName:        name,
		SignerEmail:       strings.TrimSpace(string(sd.Email)),
		SignerMobile:      strings.TrimSpace(string(sd.Mobile)),
		SignerGender:      strings.ToLower(strings.TrimSpace(string(sd.Gender))),
		SignerYearOfBirth: strings.TrimSpace(string(sd.YearOfBirth)),
		UIDLastFourDigits: strings.TrimSpace(string(sd.UIDLastFourDigits)),
		SignatureType:     sigType,
		Signatures:        defaultPlacement,
	}, ok
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
