package bankid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// State is the adapter-private data kept with a BankID session. Signet's
// BankID page reads it (ParseState) to draw the QR code and to check the
// page token.
type State struct {
	// AutoStartToken starts the BankID app on the signer's own device.
	AutoStartToken string `json:"autoStartToken"`
	// QRStartToken and QRStartSecret make the animated QR code.
	QRStartToken  string `json:"qrStartToken"`
	QRStartSecret string `json:"qrStartSecret"`
	// StartedAt is when BankID accepted the order (Unix seconds); the QR
	// code's time is counted from it.
	StartedAt int64 `json:"startedAt"`
	// PageToken is the unguessable token in the redirectUrl that lets the
	// signer (and nobody else) see the page.
	PageToken string `json:"pageToken"`
	// DocumentSHA256 is the hash shown to the signer (hex).
	DocumentSHA256 string `json:"documentSha256"`
	// UserVisibleData is the text sent to BankID, base64 as sent; the
	// signature must cover exactly this.
	UserVisibleData string `json:"userVisibleData"`
	// PersonalNumber is the one person allowed to sign.
	PersonalNumber string `json:"personalNumber"`
}

// ParseState reads a session's provider state.
func ParseState(raw json.RawMessage) (State, error) {
	var s State
	if err := json.Unmarshal(raw, &s); err != nil {
		return State{}, fmt.Errorf("bankid: provider state: %w", err)
	}
	if s.QRStartToken == "" || s.QRStartSecret == "" || s.PageToken == "" {
		return State{}, errors.New("bankid: provider state lacks the QR secrets or the page token")
	}
	return s, nil
}

// signerDetails is BankID's view of a session's signerDetails.
type signerDetails struct {
	Identity  json.RawMessage `json:"identity"`
	EndUserIP string          `json:"endUserIp"`
}

// Initiate starts a sign order at BankID for the one person named by
// signerDetails.identity and returns its orderRef as the reference and
// Signet's BankID page as the redirect.
//
// BankID has no idempotency key, and a second order for the same person
// fails with alreadyInProgress (cancelling the first): a retried initiate
// after a lost answer fails permanently. That is BankID's rule and the
// session then says so.
func (a *Adapter) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	body, err := a.signRequest(req)
	if err != nil {
		return signing.Initiated{}, err
	}
	token, err := newPageToken()
	if err != nil {
		return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate, Retryable: true,
			Message: "cannot make a page token", Err: err}
	}
	redirect := a.pageURL(req.SessionID, token)
	body.ReturnURL = redirect

	var resp signResponse
	if err := a.post(ctx, httpx.OpInitiate, "/sign", body, &resp, false); err != nil {
		return signing.Initiated{}, err
	}
	if strings.TrimSpace(resp.OrderRef) == "" || resp.QRStartToken == "" || resp.QRStartSecret == "" || resp.AutoStartToken == "" {
		// Not retryable: BankID may have created an order, and asking
		// again would be refused with alreadyInProgress.
		return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate,
			Message: "BankID accepted the order but returned no orderRef, QR or autostart token"}
	}
	st, err := json.Marshal(State{
		AutoStartToken:  resp.AutoStartToken,
		QRStartToken:    resp.QRStartToken,
		QRStartSecret:   resp.QRStartSecret,
		StartedAt:       a.cfg.Now().Unix(),
		PageToken:       token,
		DocumentSHA256:  documentHash(req.Document),
		UserVisibleData: body.UserVisibleData,
		PersonalNumber:  body.Requirement.PersonalNumber,
	})
	if err != nil {
		return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate, Message: "cannot encode the state", Err: err}
	}
	return signing.Initiated{Ref: strings.TrimSpace(resp.OrderRef), RedirectURL: redirect, State: st}, nil
}

// signRequest builds the /sign body. It fails with a
// *signing.ValidationError (ErrInvalid) when the request cannot make a
// valid order.
func (a *Adapter) signRequest(req signing.InitiateRequest) (*signRequest, error) {
	var sd signerDetails
	if err := json.Unmarshal(req.SignerDetails, &sd); err != nil {
		return nil, signing.Invalid("signerDetails", "must be a JSON object")
	}
	v := &signing.ValidationError{}
	var pnr string
	if len(sd.Identity) == 0 || json.Unmarshal(sd.Identity, &pnr) != nil {
		v.Add("signerDetails.identity", "is required: the signer's 12-digit personnummer")
	} else if err := ValidPersonnummer(pnr); err != nil {
		v.Add("signerDetails.identity", "%s", err.Error())
	}
	ip := a.cfg.EndUserIP
	if s := strings.TrimSpace(sd.EndUserIP); s != "" {
		if net.ParseIP(s) == nil {
			v.Add("signerDetails.endUserIp", "must be an IPv4 or IPv6 address")
		}
		ip = s
	}
	if len(req.Document.Content) == 0 && req.Document.SHA256 == "" {
		v.Add("document.content", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	text := visibleText(req.Language, documentName(req), documentHash(req.Document))
	return &signRequest{
		EndUserIP:             ip,
		UserVisibleData:       base64.StdEncoding.EncodeToString([]byte(text)),
		UserVisibleDataFormat: "simpleMarkdownV1",
		UserNonVisibleData:    base64.StdEncoding.EncodeToString([]byte(req.SessionID)),
		Requirement:           &requirement{PersonalNumber: pnr},
	}, nil
}

// pageURL is Signet's BankID page for a session.
func (a *Adapter) pageURL(sessionID, token string) string {
	return a.public + "/bankid/" + url.PathEscape(sessionID) + "?t=" + url.QueryEscape(token)
}

// newPageToken is 32 random bytes, URL-safe.
func newPageToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// documentHash is the document's SHA-256 in hex, computed when Signet did
// not pass it.
func documentHash(d signing.Document) string {
	if h := strings.ToLower(strings.TrimSpace(d.SHA256)); h != "" {
		return h
	}
	sum := sha256.Sum256(d.Content)
	return hex.EncodeToString(sum[:])
}

func documentName(req signing.InitiateRequest) string {
	if n := strings.TrimSpace(req.Document.Filename); n != "" {
		return httpx.Clip(n, 200)
	}
	return "Contract " + httpx.Clip(req.OrderID, 200)
}

// visibleText is what the signer reads in the BankID app before signing,
// in simpleMarkdownV1: the contract's name and its SHA-256, which binds
// the signature to the document. Swedish for "sv", English otherwise.
func visibleText(lang, name, hash string) string {
	heading, file, sum := "Sign the contract", "Document", "SHA-256 of the document"
	if lang == "sv" {
		heading, file, sum = "Underteckna avtalet", "Dokument", "Dokumentets SHA-256"
	}
	// Split the hash in two lines of 32: phones show it without wrapping
	// inside a group, and it is easier to compare.
	h := hash
	if len(h) == 64 {
		h = h[:32] + "\n" + h[32:]
	}
	return "# " + heading + "\n" +
		"*" + file + ":* " + escapeMarkdown(name) + "\n\n" +
		"*" + sum + ":*\n" + h + "\n"
}

// escapeMarkdown keeps a file name from being read as simpleMarkdownV1
// markup. The name sits inside a line, where only emphasis (*bold*,
// +italic+) can start; BankID's escape character is the backslash. Line
// breaks become spaces.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			r = ' '
		case '\\', '*', '+':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
