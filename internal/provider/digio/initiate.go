package digio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Limits of Digio's upload.
const (
	// maxExpireDays caps expire_in_days. Signet sessions live at most 30
	// days; Digio integrations ask for up to 90.
	maxExpireDays = 90
	// maxFileName is the longest file_name Signet sends; integrations
	// truncate longer names to 100 characters for Digio.
	maxFileName = 100
	// maxTxnID bounds the transaction id put into the gateway link.
	maxTxnID = 64
)

// mobileRE is a 10-digit Indian mobile number, the form Digio takes as an
// identifier.
var mobileRE = regexp.MustCompile(`^[6-9][0-9]{9}$`)

// signerDetails is Digio's view of a session's signerDetails. Fields are
// read leniently; the schema in Info is what clients are held to.
type signerDetails struct {
	Name       text `json:"name"`
	Identifier text `json:"identifier"`
	SignType   text `json:"signType"`
	Reason     text `json:"reason"`
}

// state is the adapter-private data kept with a session: what the
// signer's gateway link was built from.
type state struct {
	Identifier           string `json:"identifier"`
	TxnID                string `json:"txnId"`
	AccessTokenID        string `json:"accessTokenId,omitempty"`
	AccessTokenValidTill string `json:"accessTokenValidTill,omitempty"`
}

// Initiate uploads the contract to Digio with the session's one signer
// and returns Digio's document id (DID…) as the reference and the
// signer's gateway link as the redirect.
//
// The link carries the access token Digio minted (token_id), which logs
// the signer straight in; Digio's tokens are short-lived, and a link whose
// token has expired still works, with the signer logging in by an OTP to
// their identifier. It carries the client's returnUrl as redirect_url,
// where Digio sends the signer afterwards (with digio_doc_id, status and
// message appended).
//
// Digio has no idempotency key: a retried initiate after a lost answer
// creates a second document. The first one is never signed and expires
// at Digio.
func (a *Adapter) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	body, identifier, err := a.uploadRequest(req)
	if err != nil {
		return signing.Initiated{}, err
	}
	var resp document
	if err := a.callJSON(ctx, httpx.OpInitiate, http.MethodPost, "/v2/client/document/uploadpdf", body, &resp, false); err != nil {
		return signing.Initiated{}, err
	}
	id := strings.TrimSpace(string(resp.ID))
	if !validRef(id) {
		// Not retryable: Digio did create something, and asking again
		// would create another document.
		return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate,
			Message: "Digio accepted the document but returned no usable document id"}
	}
	st := state{Identifier: identifier, TxnID: txnID(req.SessionID)}
	if tok := resp.AccessToken.V; tok.ID.set() {
		st.AccessTokenID = strings.TrimSpace(string(tok.ID))
		st.AccessTokenValidTill = strings.TrimSpace(string(tok.ValidTill))
	}
	raw, _ := json.Marshal(st) // a struct of strings always marshals
	return signing.Initiated{Ref: id, RedirectURL: a.signLink(id, st, req.ReturnURL), State: raw}, nil
}

// uploadRequest builds Digio's upload body from Signet's request and
// returns it with the signer's identifier. It fails with a
// *signing.ValidationError (ErrInvalid) when the request cannot make a
// valid document.
func (a *Adapter) uploadRequest(req signing.InitiateRequest) (*uploadRequest, string, error) {
	var sd signerDetails
	if err := json.Unmarshal(req.SignerDetails, &sd); err != nil {
		return nil, "", signing.Invalid("signerDetails", "must be a JSON object")
	}
	v := &signing.ValidationError{}
	name := strings.TrimSpace(string(sd.Name))
	if name == "" {
		v.Add("signerDetails.name", "is required")
	}
	identifier, ok := normalizeIdentifier(string(sd.Identifier))
	if !ok {
		if strings.TrimSpace(string(sd.Identifier)) == "" {
			v.Add("signerDetails.identifier", "is required")
		} else {
			v.Add("signerDetails.identifier", "must be an email address or a 10-digit Indian mobile number")
		}
	}
	signType := a.cfg.SignType
	if s := strings.TrimSpace(string(sd.SignType)); s != "" {
		t, ok := normalizeSignType(s)
		if !ok {
			v.Add("signerDetails.signType", "must be one of %s", strings.Join(signTypes, ", "))
		}
		signType = t
	}
	if len(req.Document.Content) == 0 {
		v.Add("document.content", "is required")
	}
	days := 1
	if !req.ExpiresAt.IsZero() {
		ttl := req.ExpiresAt.Sub(a.cfg.Now())
		if ttl < time.Second {
			v.Add("expiresAt", "must be in the future")
		}
		days = expireInDays(ttl)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}

	fileName := fileName(req.Document.Filename, req.OrderID)
	reason := strings.TrimSpace(string(sd.Reason))
	if reason == "" {
		reason = strings.TrimSuffix(fileName, path.Ext(fileName))
	}
	return &uploadRequest{
		Signers: []signerRequest{{
			Identifier: identifier,
			Name:       name,
			SignType:   signType,
			Reason:     httpx.Clip(reason, 200),
		}},
		ExpireInDays:        days,
		DisplayOnPage:       "all",
		NotifySigners:       a.cfg.NotifySigners,
		SendSignLink:        a.cfg.NotifySigners,
		GenerateAccessToken: true,
		FileName:            fileName,
		FileData:            base64.StdEncoding.EncodeToString(req.Document.Content),
	}, identifier, nil
}

// normalizeIdentifier checks a Digio identifier: an email address
// (lower-cased, as Digio matches it) or a 10-digit Indian mobile number.
func normalizeIdentifier(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if mobileRE.MatchString(s) {
		return s, true
	}
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " <>\"/?#") {
		return "", false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", false
	}
	return strings.ToLower(s), true
}

// expireInDays turns the time left into Digio's whole days, rounded up:
// Digio's own deadline (the end of that day, IST) never comes before
// Signet's expiresAt, which Signet enforces itself.
func expireInDays(ttl time.Duration) int {
	days := int((ttl + 24*time.Hour - 1) / (24 * time.Hour))
	return min(max(days, 1), maxExpireDays)
}

// fileName is the file_name sent to Digio: the client's file name (or
// one made from the order), ending in .pdf, at most maxFileName
// characters.
func fileName(given, orderID string) string {
	name := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, strings.TrimSpace(given))
	if name == "" {
		name = "Contract " + strings.TrimSpace(orderID)
	}
	if !strings.EqualFold(path.Ext(name), ".pdf") {
		name += ".pdf"
	}
	if utf8.RuneCountInString(name) > maxFileName {
		r := []rune(strings.TrimSuffix(name, path.Ext(name)))
		name = string(r[:maxFileName-len(".pdf")]) + ".pdf"
	}
	return name
}

// txnID is the transaction id of the gateway link, which Digio hands
// back on the redirect: Signet's session id, or a random one.
func txnID(sessionID string) string {
	s := strings.TrimSpace(sessionID)
	if s != "" && len(s) <= maxTxnID && url.PathEscape(s) == s {
		return s
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// signLink is the signer's gateway link:
// {gateway}/{documentId}/{txnId}/{identifier}?token_id={token}&redirect_url={returnUrl}.
// Digio's gateway is a single-page app routed after the "#", so the link
// is assembled as text rather than through url.URL, which would escape
// the route.
func (a *Adapter) signLink(docID string, st state, returnURL string) string {
	var b strings.Builder
	b.WriteString(a.gateway)
	for _, seg := range []string{docID, st.TxnID, st.Identifier} {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(seg))
	}
	sep := byte('?')
	if st.AccessTokenID != "" {
		b.WriteByte(sep)
		b.WriteString("token_id=" + url.QueryEscape(st.AccessTokenID))
		sep = '&'
	}
	if returnURL != "" {
		b.WriteByte(sep)
		b.WriteString("redirect_url=" + url.QueryEscape(returnURL))
	}
	return b.String()
}

// validRef reports whether s can be a Digio document id: non-empty,
// printable, no spaces, and short. Digio's ids are "DID" and 29 more
// letters and digits; the bound is loose so that a format change does not
// break Signet.
func validRef(s string) bool { return flexjson.ID(s) && !strings.ContainsAny(s, "/?#%") }
