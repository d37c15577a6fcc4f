package signzy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

var _ signing.Evidencer = (*Adapter)(nil)

// opEvidence names the calls made for an audit certificate in errors.
const opEvidence = "evidence"

// maxAuditCertificate bounds Signzy's audit certificate, a PDF of the
// contract and its trail (Signet's contracts are at most 15 MiB).
const maxAuditCertificate = 32 << 20

// record is what Signzy reported of a signer who signed, kept as the
// signer's evidence (SignerUpdate.Evidence) for the audit certificate.
// Of the Aadhaar number only the last four digits are ever kept.
type record struct {
	SignerID       string `json:"signzySignerId,omitempty"`
	SignatureType  string `json:"signatureType,omitempty"`
	SignedAt       string `json:"signzySignedAt,omitempty"` // contractLastSignTime, as Signzy writes it (IST)
	SignerIP       string `json:"signerIP,omitempty"`
	AadhaarName    string `json:"aadhaarName,omitempty"` // from the eSign certificate (signerDscData)
	AadhaarLast4   string `json:"aadhaarLastFour,omitempty"`
	YearOfBirth    string `json:"aadhaarYearOfBirth,omitempty"`
	Gender         string `json:"aadhaarGender,omitempty"`
	State          string `json:"aadhaarState,omitempty"`
	FailedAttempts int    `json:"failedAttempts,omitempty"`
}

// recordOf is the record of a signer as pullData reports them; the
// Aadhaar data is that of their latest attempt that has any.
func recordOf(s signerState) record {
	var dsc dscData
	for _, a := range s.ESignAttempts {
		if a.SignerDscData.Name.set() {
			dsc = a.SignerDscData
		}
	}
	failed := 0
	for _, a := range s.ESignAttempts {
		if isFailedAttempt(a) {
			failed++
		}
	}
	clip := func(v text, n int) string {
		if !v.set() {
			return ""
		}
		return httpx.Clip(strings.TrimSpace(string(v)), n)
	}
	return record{
		SignerID:       clip(s.SignerID, 80),
		SignatureType:  clip(s.SignatureType, 40),
		SignedAt:       clip(s.ContractLastSignTime, 40),
		SignerIP:       clip(s.SignerIP, 45),
		AadhaarName:    clip(dsc.Name, 120),
		AadhaarLast4:   lastFour(string(dsc.UIDLastFourDigits)),
		YearOfBirth:    clip(dsc.YOB, 10),
		Gender:         clip(dsc.Gender, 20),
		State:          clip(dsc.State, 60),
		FailedAttempts: max(failed, s.NoOfFailureAttempts.N),
	}
}

func (r record) json() json.RawMessage {
	b, _ := json.Marshal(r) // strings and an int always marshal
	return b
}

// readRecord reads a signer's stored evidence; false when it is not a
// record (sessions kept the contract's evidence there before).
func readRecord(raw json.RawMessage) (record, bool) {
	var r record
	if len(raw) == 0 || json.Unmarshal(raw, &r) != nil {
		return record{}, false
	}
	return r, r.SignerID != "" || r.SignedAt != "" || r.AadhaarName != ""
}

// lastFour is the last four digits of an Aadhaar number, or of what
// Signzy sent as its last four digits; "" when there are not four.
func lastFour(s string) string {
	var digits []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
		}
	}
	if len(digits) < 4 {
		return ""
	}
	return string(digits[len(digits)-4:])
}

// identity is the record as the audit certificate shows it.
func (r record) identity(defaultType string) signing.SignerIdentity {
	st, ok := normalizeSignatureType(r.SignatureType)
	if !ok {
		st = defaultType
	}
	var facts []signing.Fact
	add := func(label, value string) {
		if value != "" {
			facts = append(facts, signing.Fact{Label: label, Value: value})
		}
	}
	add("Name on Aadhaar (eSign certificate)", r.AadhaarName)
	if r.AadhaarLast4 != "" {
		add("Aadhaar number", "XXXX XXXX "+r.AadhaarLast4)
	}
	add("Year of birth (Aadhaar)", r.YearOfBirth)
	add("Gender (Aadhaar)", r.Gender)
	add("State (Aadhaar)", r.State)
	if r.SignedAt != "" {
		add("Signed at Signzy", r.SignedAt+" IST")
	}
	add("IP address (seen by Signzy)", r.SignerIP)
	add("Signzy signer id", r.SignerID)
	if r.FailedAttempts > 0 {
		add("Failed eSign attempts before signing", strconv.Itoa(r.FailedAttempts))
	}
	return signing.SignerIdentity{Method: identification(st), Facts: facts}
}

// Evidence describes, for the audit certificate, what Signzy established
// of each signer who signed (from what Signet kept when they signed, else
// from the contract as Signzy reports it now) and attaches Signzy's own
// audit certificate, fetched from auditCertificateUrl. A file that cannot
// be had is marked missing, with why, rather than failing the rest.
func (a *Adapter) Evidence(ctx context.Context, ref signing.ProviderRef) (signing.ProviderEvidence, error) {
	c, pullErr := a.pull(ctx, opEvidence, ref, false)
	live := map[int]signerState{}
	if pullErr == nil {
		index := signerIndex(ref)
		for pos, s := range c.SignerDetail {
			if i, ok := index(s, pos); ok {
				live[i] = s
			}
		}
	}
	var ev signing.ProviderEvidence
	for i, sg := range ref.Signers {
		ev.Signers = append(ev.Signers, signing.SignerIdentity{})
		if sg.Status != signing.SignerSigned {
			continue
		}
		r, ok := readRecord(sg.Evidence)
		if s, found := live[i]; !ok && found {
			r, ok = recordOf(s), true
		}
		if ok {
			ev.Signers[i] = r.identity(a.cfg.SignatureType)
		}
	}
	if f, ok := a.auditCertificate(ctx, ref, c, pullErr); ok {
		ev.Files = append(ev.Files, f)
	}
	return ev, nil
}

// auditCertificate fetches Signzy's audit certificate of the contract c
// (pulled with pullErr). Signzy issues one for a completed contract; for
// another there is no file, unless Signzy links one.
func (a *Adapter) auditCertificate(ctx context.Context, ref signing.ProviderRef, c *contract, pullErr error) (signing.EvidenceFile, bool) {
	f := signing.EvidenceFile{Name: "Signzy audit certificate",
		Description: "Signzy's own audit trail of the contract (auditCertificateUrl), as Signzy delivered it",
		FileName:    "signzy-audit-certificate.pdf", ContentType: "application/pdf"}
	completed := ref.Session == nil || ref.Session.Status == signing.StatusCompleted
	if pullErr != nil {
		f.Missing = "Signzy's contract could not be read: " + reason(pullErr)
		return f, completed
	}
	link := strings.TrimSpace(string(c.AuditCertificateURL))
	switch {
	case !c.AuditCertificateURL.set():
		f.Missing = "Signzy gave no auditCertificateUrl"
		return f, completed || bool(c.IsCompleted)
	case !httpx.IsHTTPURL(link):
		f.Missing = "Signzy's auditCertificateUrl is not an http(s) link"
		return f, true
	}
	// A pre-authorised file link, possibly on another host: no token.
	_, body, err := a.http.Do(ctx, httpx.Request{Op: opEvidence, URL: link, Accept: "application/pdf", Limit: maxAuditCertificate})
	switch {
	case err != nil:
		f.Missing = "downloading it from Signzy failed: " + reason(err)
	case !bytes.HasPrefix(body, []byte("%PDF-")):
		f.Missing = "what Signzy sent is not a PDF"
	case !hashMatches(string(c.AuditCertificateHash), body, ""):
		f.Missing = "what Signzy sent does not match its auditCertificateHash"
	default:
		f.Content = body
	}
	return f, true
}

// reason is an error's message for a certificate reader: the provider's
// words when there are some.
func reason(err error) string {
	var pe *signing.ProviderError
	if errors.As(err, &pe) && pe.Message != "" {
		return httpx.Clip(pe.Message, httpx.MaxMessage)
	}
	return httpx.Clip(err.Error(), httpx.MaxMessage)
}
