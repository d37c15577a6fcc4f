package bankid

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Attachment names in the signed PDF of a one-signer session; with
// several signers each name carries the signer's number
// (bankid-signature-2.xml: see AttachmentNames).
const (
	SignatureAttachment = "bankid-signature.xml"
	OCSPAttachment      = "bankid-ocsp-response.der"
)

// AttachmentNames are the names under which signer i's (from 0) signature
// XML and OCSP response are attached to the signed PDF of a session with
// n signers.
func AttachmentNames(i, n int) (signature, ocsp string) {
	if n == 1 {
		return SignatureAttachment, OCSPAttachment
	}
	return fmt.Sprintf("bankid-signature-%d.xml", i+1), fmt.Sprintf("bankid-ocsp-response-%d.der", i+1)
}

// signerEvidence is what Signet keeps of a signer's completed order, as
// the signer's evidence: the orderRef, when Signet collected it, and
// BankID's completionData exactly as it came (the signer's name and
// personal number, the device, the signature XML and the OCSP response).
type signerEvidence struct {
	OrderRef       string          `json:"orderRef"`
	Status         string          `json:"status"`
	CollectedAt    string          `json:"collectedAt"`
	CompletionData json.RawMessage `json:"completionData"`
}

// evidence is the signer's evidence of a completed order collected at
// now.
func evidence(orderRef string, c *collectResponse, now time.Time) json.RawMessage {
	b, err := json.Marshal(signerEvidence{OrderRef: orderRef, Status: c.Status,
		CollectedAt: now.UTC().Format(time.RFC3339), CompletionData: c.rawCompletion})
	if err != nil { // rawCompletion is compacted valid JSON
		return nil
	}
	return b
}

// completion is one signer's completed order, read back from their
// evidence.
type completion struct {
	orderRef    string
	collectedAt string
	data        *completionData
	signature   []byte
	ocsp        []byte
}

// readEvidence reads a signer's evidence as evidence wrote it.
func readEvidence(raw json.RawMessage) (completion, error) {
	var ev signerEvidence
	if err := json.Unmarshal(raw, &ev); err != nil {
		return completion{}, err
	}
	var cd completionData
	if err := json.Unmarshal(ev.CompletionData, &cd); err != nil {
		return completion{}, fmt.Errorf("completionData: %w", err)
	}
	c := completion{orderRef: ev.OrderRef, collectedAt: ev.CollectedAt, data: &cd}
	var err error
	if c.signature, err = decodeBase64(cd.Signature); err != nil || len(c.signature) == 0 {
		return completion{}, fmt.Errorf("no signature")
	}
	if strings.TrimSpace(cd.OCSPResponse) != "" {
		if c.ocsp, err = decodeBase64(cd.OCSPResponse); err != nil {
			return completion{}, fmt.Errorf("ocspResponse: %w", err)
		}
	}
	return c, nil
}

// FetchDocument builds the signed document of a session every signer of
// which has signed, from what Signet stored when it collected their
// orders (each signer's evidence in ref.Signers): BankID has no document
// API, and hands a completed order out only once. The document is the
// original PDF (ref.LoadOriginal) with an audit page recording every
// BankID signature and each signer's signature XML and OCSP response
// attached, sealed by Signet when a Seal is configured. The original must
// still have the SHA-256 the signers approved.
func (a *Adapter) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	permanent := func(msg string, err error) error {
		return &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, Message: msg, Err: err}
	}
	if ref.LoadOriginal == nil {
		return nil, permanent("BankID has no document API: the signed document is built from the original, which is not at hand", nil)
	}
	if len(ref.Signers) == 0 {
		return nil, permanent("BankID has no document API: the signed document is built from the signers' completed orders, and there are none", nil)
	}
	st, err := ParseState(ref.State, ref.Ref)
	if err != nil {
		return nil, permanent("the session's BankID state is unreadable", err)
	}
	done := make([]completion, len(ref.Signers))
	for i, sg := range ref.Signers {
		if sg.Status != signing.SignerSigned {
			return nil, permanent(fmt.Sprintf("signer %d has not signed with BankID", i+1), nil)
		}
		if done[i], err = readEvidence(sg.Evidence); err != nil {
			return nil, permanent(fmt.Sprintf("signer %d's BankID completion data is unreadable", i+1), err)
		}
	}
	doc, err := ref.LoadOriginal(ctx)
	if err != nil {
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, Retryable: true,
			Message: "cannot load the original document", Err: err}
	}
	hash := documentHash(signing.Document{Content: doc.Content})
	if st.DocumentSHA256 != "" && hash != st.DocumentSHA256 {
		return nil, permanent("the stored original does not have the SHA-256 the signers approved", nil)
	}
	visible, _ := decodeBase64(st.UserVisibleData)
	out := doc.Content
	for _, page := range auditPages(doc.Filename, hash, string(visible), done) {
		if out, err = pdf.AppendPage(out, page); err != nil {
			return nil, permanent("cannot add the BankID audit page to the PDF", err)
		}
	}
	for i, c := range done {
		sigName, ocspName := AttachmentNames(i, len(done))
		if out, err = pdf.Attach(out, sigName, c.signature); err != nil {
			return nil, permanent("cannot attach BankID's signature to the PDF", err)
		}
		if c.ocsp != nil {
			if out, err = pdf.Attach(out, ocspName, c.ocsp); err != nil {
				return nil, permanent("cannot attach BankID's OCSP response to the PDF", err)
			}
		}
	}
	if a.cfg.Seal != nil {
		sealed, err := a.cfg.Seal.Sign(ctx, out, pdf.SignInfo{Name: "Signet",
			Reason: fmt.Sprintf("BankID signatures of session %s, with BankID's signature XML and OCSP responses attached", ref.SessionID)})
		if err != nil {
			// The seal may need a timestamp authority, which may be back soon.
			return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, Retryable: true, Message: "cannot seal the signed document", Err: err}
		}
		out = sealed
	}
	return out, nil
}

// auditLinesPerPage is how many lines one audit page takes (pdf.AppendPage
// takes up to 60).
const auditLinesPerPage = 56

// auditPages is the text of the appended pages: the document, the text
// every signer approved, then each signer.
func auditPages(filename, hash, visible string, signers []completion) [][]string {
	lines := []string{
		"Signed with Swedish BankID",
		"",
		"Document: " + httpx.Clip(filename, 90),
		"Document SHA-256: " + hash,
	}
	if visible != "" {
		lines = append(lines, "", "Each signer approved this text in the BankID app:")
		for i, l := range strings.Split(strings.TrimRight(visible, "\n"), "\n") {
			if i >= 12 {
				break
			}
			lines = append(lines, "    "+httpx.Clip(l, 90))
		}
	}
	for i, c := range signers {
		cd := c.data
		name := strings.TrimSpace(cd.User.Name)
		if name == "" {
			name = strings.TrimSpace(cd.User.GivenName + " " + cd.User.Surname)
		}
		sigName, ocspName := AttachmentNames(i, len(signers))
		lines = append(lines, "",
			fmt.Sprintf("Signer %d: %s", i+1, httpx.Clip(name, 90)),
			"    Personal identity number: "+maskPersonnummer(cd.User.PersonalNumber),
			"    Signed: "+httpx.Clip(c.collectedAt, 30)+" (when Signet collected the completed order)",
			"    BankID order reference: "+httpx.Clip(c.orderRef, 80))
		extra := []string{}
		if d := httpx.Clip(cd.BankIDIssueDate, 20); d != "" {
			extra = append(extra, "BankID issued "+d)
		}
		if ip := httpx.Clip(cd.Device.IPAddress, 45); ip != "" {
			extra = append(extra, "device IP address "+ip)
		}
		if len(extra) > 0 {
			lines = append(lines, "    "+strings.Join(extra, ", "))
		}
		att := "    Attached: " + sigName + " (BankID's XML signature over the text above)"
		if c.ocsp != nil {
			att += ", " + ocspName + " (OCSP response for the signer's certificate)"
		}
		lines = append(lines, att)
	}
	var pages [][]string
	for len(lines) > auditLinesPerPage {
		pages = append(pages, lines[:auditLinesPerPage])
		lines = lines[auditLinesPerPage:]
	}
	return append(pages, lines)
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
