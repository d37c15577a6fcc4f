package bankid

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Attachment names in the signed PDF.
const (
	SignatureAttachment = "bankid-signature.xml"
	OCSPAttachment      = "bankid-ocsp-response.der"
)

// Refresh collects the order (POST /collect) and maps the answer with
// collectTable. On completion the Update carries BankID's completion data
// as Evidence and, when ref.LoadOriginal is set, the signed document
// (Signed): the original PDF with an audit page and BankID's signature
// attached. BankID keeps a completed order for 3 minutes only, so the
// document is built now rather than in FetchDocument.
//
// An order BankID no longer knows (too old, or never existed) is a
// permanent *signing.ProviderError wrapping signing.ErrNotFound.
func (a *Adapter) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	c, err := a.collect(ctx, httpx.OpRefresh, ref)
	if err != nil {
		return signing.Update{}, err
	}
	o := mapCollect(c)
	u := signing.Update{Status: o.status, Reason: o.reason, ProviderStatus: providerStatus(c)}
	if o.status != signing.StatusCompleted {
		return u, nil
	}
	u.Evidence = evidence(ref.Ref, c)
	if ref.LoadOriginal == nil {
		return u, nil // Signet then calls FetchDocument, which says why it cannot help
	}
	signed, err := a.signedDocument(ctx, httpx.OpRefresh, ref, c)
	if err != nil {
		return signing.Update{}, err
	}
	u.Signed = signed
	return u, nil
}

// FetchDocument rebuilds the signed document from a fresh collect. BankID
// has no document API: Signet gets the signed document with the
// COMPLETED update from Refresh, and this works only while BankID still
// keeps the completed order (3 minutes) and ref.LoadOriginal is set.
func (a *Adapter) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	if ref.LoadOriginal == nil {
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument,
			Message: "BankID has no document API: the signed document is built from the original with the COMPLETED update, and the original is not at hand"}
	}
	c, err := a.collect(ctx, httpx.OpDocument, ref)
	if err != nil {
		var pe *signing.ProviderError
		if errors.Is(err, signing.ErrNotFound) && errors.As(err, &pe) {
			pe.Message = "BankID no longer keeps the order (completed orders are kept for 3 minutes); the signed document comes with the COMPLETED update"
		}
		return nil, err
	}
	switch o := mapCollect(c); o.status {
	case signing.StatusCompleted:
		return a.signedDocument(ctx, httpx.OpDocument, ref, c)
	case signing.StatusPending, signing.StatusInProgress:
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, Retryable: true,
			Message: "the BankID order is not complete yet"}
	default:
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument,
			Message: "the BankID order did not complete (" + providerStatus(c) + ")"}
	}
}

// Cancel cancels the order (POST /cancel). An order BankID no longer
// knows, or has already finished, cannot be signed any more either: that
// is success.
func (a *Adapter) Cancel(ctx context.Context, ref signing.ProviderRef) error {
	id := strings.TrimSpace(ref.Ref)
	if id == "" {
		return fmt.Errorf("bankid cancel: %w: no orderRef", signing.ErrInvalid)
	}
	err := a.post(ctx, httpx.OpCancel, "/cancel", orderRequest{OrderRef: id}, nil, true)
	if code := errorCode(err); code == codeInvalidParameters || code == codeNotFound {
		return nil // already cancelled, finished or gone
	}
	return err
}

// ParseCallback always fails: BankID never calls back. Relying parties
// poll /collect (Signet every 2 s while an order is open), so anything
// arriving at /callbacks/bankid is not from BankID. It wraps
// signing.ErrNotFound (there is no BankID callback endpoint) and
// signing.ErrUnauthorized (nothing there can be trusted).
func (a *Adapter) ParseCallback(http.Header, []byte) (signing.Callback, error) {
	return signing.Callback{}, errNoCallbacks
}

var errNoCallbacks = fmt.Errorf("bankid: BankID sends no callbacks (orders are collected): %w (%w)", signing.ErrNotFound, signing.ErrUnauthorized)

// collect calls /collect for ref's order. An answer that cannot be read
// is retryable: collecting has no side effects.
func (a *Adapter) collect(ctx context.Context, op string, ref signing.ProviderRef) (*collectResponse, error) {
	id := strings.TrimSpace(ref.Ref)
	if id == "" {
		return nil, fmt.Errorf("bankid %s: %w: no orderRef", op, signing.ErrInvalid)
	}
	var raw json.RawMessage
	if err := a.post(ctx, op, "/collect", orderRequest{OrderRef: id}, &raw, true); err != nil {
		return nil, err
	}
	c, err := parseCollect(raw)
	if err != nil {
		return nil, &signing.ProviderError{Provider: Name, Op: op, Retryable: true, StatusCode: http.StatusOK,
			Message: "BankID's collect answer is not usable", Err: err}
	}
	if c.OrderRef != "" && c.OrderRef != id {
		return nil, &signing.ProviderError{Provider: Name, Op: op, Retryable: true, StatusCode: http.StatusOK,
			Message: "BankID answered about another order"}
	}
	return c, nil
}

// evidence is what the audit trail keeps of a completed order: the
// orderRef and BankID's completionData as it came (the signer's name and
// personal number, the device, the signature XML and the OCSP response).
func evidence(orderRef string, c *collectResponse) json.RawMessage {
	b, err := json.Marshal(struct {
		OrderRef       string          `json:"orderRef"`
		Status         string          `json:"status"`
		CompletionData json.RawMessage `json:"completionData"`
	}{orderRef, c.Status, c.rawCompletion})
	if err != nil { // rawCompletion is compacted valid JSON
		return nil
	}
	return b
}

// signedDocument builds the signed document: the original PDF with an
// audit page recording the BankID signature and the signature XML and
// OCSP response attached. It first checks that what BankID signed is what
// Signet asked to be signed: the same person and the same text (which
// names the document's SHA-256), and that the original still has that
// hash.
func (a *Adapter) signedDocument(ctx context.Context, op string, ref signing.ProviderRef, c *collectResponse) ([]byte, error) {
	st, _ := ParseState(ref.State) // missing fields just skip their checks
	cd := c.CompletionData
	permanent := func(msg string, err error) error {
		return &signing.ProviderError{Provider: Name, Op: op, Message: msg, Err: err}
	}
	sig, err := decodeBase64(cd.Signature)
	if err != nil {
		return nil, permanent("BankID's signature is not base64", err)
	}
	var ocsp []byte
	if strings.TrimSpace(cd.OCSPResponse) != "" {
		if ocsp, err = decodeBase64(cd.OCSPResponse); err != nil {
			return nil, permanent("BankID's OCSP response is not base64", err)
		}
	}
	if st.PersonalNumber != "" && strings.TrimSpace(cd.User.PersonalNumber) != st.PersonalNumber {
		return nil, permanent("BankID reports a signer other than the personal number Signet asked for", nil)
	}
	if st.UserVisibleData != "" {
		signedText, err := signedVisibleData(sig)
		if err != nil {
			return nil, permanent("BankID's signature is not readable XML", err)
		}
		want, _ := decodeBase64(st.UserVisibleData)
		if signedText != nil && !bytes.Equal(signedText, want) {
			return nil, permanent("BankID's signature does not cover the text Signet sent (document name and SHA-256)", nil)
		}
	}

	doc, err := ref.LoadOriginal(ctx)
	if err != nil {
		return nil, &signing.ProviderError{Provider: Name, Op: op, Retryable: true,
			Message: "cannot load the original document", Err: err}
	}
	hash := documentHash(signing.Document{Content: doc.Content})
	if st.DocumentSHA256 != "" && hash != st.DocumentSHA256 {
		return nil, permanent("the stored original does not have the SHA-256 the signer approved", nil)
	}
	visible, _ := decodeBase64(st.UserVisibleData)
	lines := auditLines(doc.Filename, hash, ref.Ref, a.cfg.Now().UTC().Format("2006-01-02 15:04:05 UTC"), cd, string(visible), ocsp != nil)
	out, err := pdf.AppendPage(doc.Content, lines)
	if err != nil {
		return nil, permanent("cannot add the BankID audit page to the PDF", err)
	}
	if out, err = pdf.Attach(out, SignatureAttachment, sig); err != nil {
		return nil, permanent("cannot attach BankID's signature to the PDF", err)
	}
	if ocsp != nil {
		if out, err = pdf.Attach(out, OCSPAttachment, ocsp); err != nil {
			return nil, permanent("cannot attach BankID's OCSP response to the PDF", err)
		}
	}
	return out, nil
}

// auditLines is the text of the appended page.
func auditLines(filename, hash, orderRef, when string, cd *completionData, visible string, withOCSP bool) []string {
	name := strings.TrimSpace(cd.User.Name)
	if name == "" {
		name = strings.TrimSpace(cd.User.GivenName + " " + cd.User.Surname)
	}
	lines := []string{
		"Signed with Swedish BankID",
		"",
		"Document: " + httpx.Clip(filename, 90),
		"Document SHA-256: " + hash,
		"",
		"Signer: " + httpx.Clip(name, 90),
		"Personal identity number: " + formatPersonnummer(httpx.Clip(cd.User.PersonalNumber, 20)),
		"Signed: " + when + " (when Signet collected the completed order)",
		"BankID order reference: " + httpx.Clip(orderRef, 80),
	}
	if d := httpx.Clip(cd.BankIDIssueDate, 20); d != "" {
		lines = append(lines, "BankID issued: "+d)
	}
	if ip := httpx.Clip(cd.Device.IPAddress, 45); ip != "" {
		lines = append(lines, "Signer's device IP address: "+ip)
	}
	if visible != "" {
		lines = append(lines, "", "The signer approved this text in the BankID app:")
		for _, l := range strings.Split(strings.TrimRight(visible, "\n"), "\n") {
			if len(lines) >= 40 {
				break
			}
			lines = append(lines, "    "+httpx.Clip(l, 90))
		}
	}
	lines = append(lines, "", "Attached: "+SignatureAttachment+" (BankID's XML signature over that text)")
	if withOCSP {
		lines = append(lines, "Attached: "+OCSPAttachment+" (the OCSP response for the signer's certificate)")
	}
	return lines
}

// signedVisibleData returns the usrVisibleData of a BankID signature XML
// (bankIdSignedData/usrVisibleData, base64), decoded; nil if the XML has
// none.
func signedVisibleData(sig []byte) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(sig))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "usrVisibleData" {
			continue
		}
		var text string
		if err := d.DecodeElement(&text, &se); err != nil {
			return nil, err
		}
		b, err := decodeBase64(text)
		if err != nil {
			return nil, fmt.Errorf("usrVisibleData: %w", err)
		}
		return b, nil
	}
}

// decodeBase64 reads standard base64, padded or not, ignoring white space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', ' ', '\t':
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
