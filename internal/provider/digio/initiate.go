package digio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	// maxSigners is the most signers Signet puts on one document: Digio
	// documents no limit of its own, so it is Signet's.
	maxSigners = signing.MaxSigners
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
// signers' gateway links were built from.
type state struct {
	Identifier           string `json:"identifier"` // the first signer's
	TxnID                string `json:"txnId"`
	AccessTokenID        string `json:"accessTokenId,omitempty"`
	AccessTokenValidTill string `json:"accessTokenValidTill,omitempty"`
	// Identifiers are every signer's, in Signet's order, when there are
	// several.
	Identifiers []string `json:"identifiers,omitempty"`
}

// Initiate uploads the contract to Digio with the session's signers and
// returns Digio's document id (DID…) as the reference and the first
// signer's gateway link as the redirect; with several signers, each
// signer's identifier (Digio's handle on them) and gateway link too, in
// the request's order. A sequential session is uploaded with
// "sequential": true, so that Digio lets each signer sign only after
// everyone before.
//
// A link carries the access token Digio minted (token_id), which logs
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
	body, err := a.uploadRequest(req)
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
	st := state{Identifier: body.Signers[0].Identifier, TxnID: txnID(req.SessionID)}
	if tok := resp.AccessToken.V; tok.ID.set() {
		st.AccessTokenID = strings.TrimSpace(string(tok.ID))
		st.AccessTokenValidTill = strings.TrimSpace(string(tok.ValidTill))
	}
	var signers []signing.InitiatedSigner
	if len(body.Signers) > 1 {
		for _, s := range body.Signers {
			st.Identifiers = append(st.Identifiers, s.Identifier)
			own := st
			own.Identifier = s.Identifier
			signers = append(signers, signing.InitiatedSigner{Ref: s.Identifier, URL: a.signLink(id, own, req.ReturnURL)})
		}
	}
	raw, _ := json.Marshal(st) // a struct of strings always marshals
	return signing.Initiated{Ref: id, RedirectURL: a.signLink(id, st, req.ReturnURL), Signers: signers, State: raw}, nil
}

// uploadRequest builds Digio's upload body from Signet's request: one
// entry of signers[] per signer, in signing order. It fails with a
// *signing.ValidationError (ErrInvalid) when the request cannot make a
// valid document, naming signerDetails.<key> for a single signer and
// signers[N].signerDetails.<key> for one of several.
func (a *Adapter) uploadRequest(req signing.InitiateRequest) (*uploadRequest, error) {
	fileName := fileName(req.Document.Filename, req.OrderID)
	defaultReason := strings.TrimSuffix(fileName, path.Ext(fileName))
	v := &signing.ValidationError{}
	var signers []signerRequest
	var sequential *bool
	if len(req.Signers) > 1 {
		if len(req.Signers) > maxSigners {
			v.Add("signers", "must have at most %d entries", maxSigners)
		}
		seen := map[string]int{}
		for i, sr := range req.Signers {
			field := fmt.Sprintf("signers[%d].signerDetails", i)
			s, ok := a.signer(sr.Details, field, defaultReason, v)
			if !ok {
				continue
			}
			if j, dup := seen[s.Identifier]; dup {
				v.Add(field+".identifier", "is signer %d's as well; Digio takes each signer once", j+1)
			}
			seen[s.Identifier] = i
			signers = append(signers, s)
		}
		inOrder := req.SigningOrder != signing.Parallel
		sequential = &inOrder
	} else {
		var sd signerDetails
		if json.Unmarshal(req.SignerDetails, &sd) != nil {
			return nil, signing.Invalid("signerDetails", "must be a JSON object")
		}
		if s, ok := a.signer(req.SignerDetails, "signerDetails", defaultReason, v); ok {
			signers = append(signers, s)
		}
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
		return nil, err
	}
	return &uploadRequest{
		Signers:             signers,
		Sequential:          sequential,
		ExpireInDays:        days,
		DisplayOnPage:       "all",
		NotifySigners:       a.cfg.NotifySigners,
		SendSignLink:        a.cfg.NotifySigners,
		GenerateAccessToken: true,
		FileName:            fileName,
		FileData:            base64.StdEncoding.EncodeToString(req.Document.Content),
	}, nil
}

// signer reads one signer's details (field names them in errors) into
// Digio's signers[] entry, adding what is wrong to v; ok is false when
// the entry could not be made.
func (a *Adapter) signer(details json.RawMessage, field, defaultReason string, v *signing.ValidationError) (signerRequest, bool) {
	var sd signerDetails
	if err := json.Unmarshal(details, &sd); err != nil {
		v.Add(field, "must be a JSON object")
		return signerRequest{}, false
	}
	before := len(v.Errors)
	name := strings.TrimSpace(string(sd.Name))
	if name == "" {
		v.Add(field+".name", "is required")
	}
	identifier, ok := normalizeIdentifier(string(sd.Identifier))
	if !ok {
		if strings.TrimSpace(string(sd.Identifier)) == "" {
			v.Add(field+".identifier", "is required")
		} else {
			v.Add(field+".identifier", "must be an email address or a 10-digit Indian mobile number")
		}
	}
	signType := a.cfg.SignType
	if s := strings.TrimSpace(string(sd.SignType)); s != "" {
		t, ok := normalizeSignType(s)
		if !ok {
			v.Add(field+".signType", "must be one of %s", strings.Join(signTypes, ", "))
		}
		signType = t
	}
	reason := strings.TrimSpace(string(sd.Reason))
	if reason == "" {
		reason = defaultReason
	}
	return signerRequest{
		Identifier: identifier,
		Name:       name,
		SignType:   signType,
		Reason:     httpx.Clip(reason, 200),
	}, len(v.Errors) == before
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
