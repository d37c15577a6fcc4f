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
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid/errcode"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// signerDetails is BankID's view of a session's signerDetails.
type signerDetails struct {
	Identity  json.RawMessage `json:"identity"`
	EndUserIP string          `json:"endUserIp"`
}

var _ signing.Starter = (*Adapter)(nil)

// Initiate accepts a session without calling BankID: a BankID order must
// be picked up within about 30 seconds of its start, so Signet starts
// each signer's order when the signer arrives at their page (Start), not
// when the session is created. It checks every signer's details, makes
// each signer a page (Signet's BankID page with a token of their own) and
// returns them in Signers; the reference is the session's id, as BankID
// has none for the session.
func (a *Adapter) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	signers := req.Signers
	if len(signers) == 0 {
		signers = []signing.SignerRequest{{Details: req.SignerDetails}}
	}
	if len(signers) > maxSigners {
		return signing.Initiated{}, signing.Invalid("signers", "BankID sessions take at most %d signers", maxSigners)
	}
	v := &signing.ValidationError{}
	st := State{DocumentSHA256: documentHash(req.Document)}
	if len(req.Document.Content) == 0 && req.Document.SHA256 == "" {
		v.Add("document.content", "is required")
	}
	in := signing.Initiated{Ref: req.SessionID, Signers: make([]signing.InitiatedSigner, len(signers))}
	for i, sr := range signers {
		prefix := "signerDetails"
		if len(req.Signers) > 1 {
			prefix = fmt.Sprintf("signers[%d].signerDetails", i)
		}
		pnr, ip := a.readSigner(v, prefix, sr.Details)
		token, err := newPageToken()
		if err != nil {
			return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate, Retryable: true,
				Message: "cannot make a page token", Err: err}
		}
		st.Signers = append(st.Signers, SignerState{PageToken: token, PersonalNumber: pnr, EndUserIP: ip})
		in.Signers[i].URL = a.pageURL(req.SessionID, token)
	}
	if err := v.Err(); err != nil {
		return signing.Initiated{}, err
	}
	text := visibleText(req.Language, documentName(req), st.DocumentSHA256)
	st.UserVisibleData = base64.StdEncoding.EncodeToString([]byte(text))
	raw, err := st.encode()
	if err != nil {
		return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate, Message: "cannot encode the state", Err: err}
	}
	in.State, in.RedirectURL = raw, in.Signers[0].URL
	return in, nil
}

// maxSigners is the most signers a BankID session takes: Signet's own
// limit (BankID knows nothing of sessions; each signer is an order).
const maxSigners = signing.MaxSigners

// readSigner checks one signer's details, adding problems to v under
// prefix, and returns their personal number and endUserIp.
func (a *Adapter) readSigner(v *signing.ValidationError, prefix string, details json.RawMessage) (pnr, ip string) {
	var sd signerDetails
	if err := json.Unmarshal(details, &sd); err != nil {
		v.Add(prefix, "must be a JSON object")
		return "", ""
	}
	if len(sd.Identity) == 0 || json.Unmarshal(sd.Identity, &pnr) != nil {
		v.Add(prefix+".identity", "is required: the signer's 12-digit personnummer")
	} else if err := ValidPersonnummer(pnr); err != nil {
		v.Add(prefix+".identity", "%s", err.Error())
	}
	ip = a.cfg.EndUserIP
	if s := strings.TrimSpace(sd.EndUserIP); s != "" {
		if net.ParseIP(s) == nil {
			v.Add(prefix+".endUserIp", "must be an IPv4 or IPv6 address")
		}
		ip = s
	}
	return pnr, ip
}

// ClaimStart decides whether signer i gets a new order now, on the state
// as stored: not while an order of theirs may still run at BankID, nor
// while another caller's start is under way (startLease). A page polling
// (asked false) starts one only when nothing holds the signer back (see
// the Halt constants), not before RetryAt, and at most maxAutoStarts in a
// row; the signer asking (asked true: opening or reloading the page)
// clears all that. It returns the state with the claim in it.
func (a *Adapter) ClaimStart(raw json.RawMessage, i int, now time.Time, asked bool) (json.RawMessage, bool, error) {
	st, err := ParseState(raw, "")
	if err != nil {
		return nil, false, err
	}
	if i < 0 || i >= len(st.Signers) {
		return nil, false, fmt.Errorf("bankid: no signer %d in the state", i+1)
	}
	sg := &st.Signers[i]
	ms := now.UnixMilli()
	if sg.Live(now) || (sg.ClaimedAt != 0 && ms < sg.ClaimedAt+a.startLease().Milliseconds()) {
		return nil, false, nil
	}
	if asked {
		sg.Halt, sg.Detail, sg.RetryAt, sg.AutoStarts = "", "", 0, 0
	} else {
		if sg.Held() != "" || ms < sg.RetryAt {
			return nil, false, nil
		}
		sg.AutoStarts++
	}
	sg.Order, sg.ClaimedAt = nil, ms
	out, err := st.encode()
	return out, err == nil, err
}

// startLease is how long a claim to start an order holds: longer than
// the call to BankID may take, so that two callers never both ask
// BankID (whose answer to a second order for the person is to cancel
// both).
func (a *Adapter) startLease() time.Duration {
	t := a.cfg.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return t + 5*time.Second
}

// Start starts signer i's order at BankID (POST /sign) after a claim.
// The returned Record writes the order into the state as stored when
// Signet writes it; on failure it writes why instead (HaltBusy for
// alreadyInProgress, HaltRefused for another refusal, a retry time when
// BankID could not be reached) and Start returns the error too.
func (a *Adapter) Start(ctx context.Context, ref signing.ProviderRef, i int) (signing.Started, error) {
	st, err := ParseState(ref.State, ref.Ref)
	if err != nil {
		return signing.Started{}, err
	}
	if i < 0 || i >= len(st.Signers) {
		return signing.Started{}, fmt.Errorf("bankid: no signer %d in the state", i+1)
	}
	sg := st.Signers[i]
	body := signRequest{
		EndUserIP:             sg.EndUserIP,
		UserVisibleData:       st.UserVisibleData,
		UserVisibleDataFormat: "simpleMarkdownV1",
		UserNonVisibleData:    base64.StdEncoding.EncodeToString([]byte(ref.SessionID)),
		Requirement:           &requirement{PersonalNumber: sg.PersonalNumber},
		ReturnURL:             a.pageURL(ref.SessionID, sg.PageToken),
	}
	if body.EndUserIP == "" {
		body.EndUserIP = a.cfg.EndUserIP
	}
	var resp signResponse
	err = a.post(ctx, httpx.OpInitiate, "/sign", body, &resp, false)
	if err == nil && (strings.TrimSpace(resp.OrderRef) == "" || resp.QRStartToken == "" || resp.QRStartSecret == "" || resp.AutoStartToken == "") {
		err = &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate,
			Message: "BankID accepted the order but returned no orderRef, QR or autostart token"}
	}
	if err != nil {
		return signing.Started{Record: a.startFailed(i, err)}, err
	}
	order := &Order{OrderRef: strings.TrimSpace(resp.OrderRef), AutoStartToken: resp.AutoStartToken,
		QRStartToken: resp.QRStartToken, QRStartSecret: resp.QRStartSecret, StartedAt: a.cfg.Now().Unix()}
	return signing.Started{Ref: order.OrderRef, Record: func(raw json.RawMessage, _ time.Time) (json.RawMessage, error) {
		return editSigner(raw, i, func(sg *SignerState) {
			sg.Order, sg.ClaimedAt, sg.Halt, sg.Detail, sg.RetryAt = order, 0, "", "", 0
		})
	}}, nil
}

// startFailed is the Record of a failed start: why, for the page.
func (a *Adapter) startFailed(i int, err error) func(json.RawMessage, time.Time) (json.RawMessage, error) {
	var pe *signing.ProviderError
	detail := err.Error()
	if errors.As(err, &pe) && pe.Message != "" {
		detail = pe.Message
	}
	return func(raw json.RawMessage, now time.Time) (json.RawMessage, error) {
		return editSigner(raw, i, func(sg *SignerState) {
			sg.ClaimedAt, sg.Detail = 0, httpx.Clip(detail, 200)
			switch {
			case errorCode(err) == errcode.AlreadyInProgress:
				sg.Halt = HaltBusy
			case signing.IsRetryable(err):
				sg.RetryAt = now.Add(retryDelay).UnixMilli()
			default:
				sg.Halt = HaltRefused
			}
		})
	}
}

// editSigner changes signer i of the state raw with fn.
func editSigner(raw json.RawMessage, i int, fn func(sg *SignerState)) (json.RawMessage, error) {
	st, err := ParseState(raw, "")
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(st.Signers) {
		return nil, fmt.Errorf("bankid: no signer %d in the state", i+1)
	}
	fn(&st.Signers[i])
	return st.encode()
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
