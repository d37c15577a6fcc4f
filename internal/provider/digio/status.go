package digio

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Digio's events (webhook "event"), as Digio documents them.
const (
	eventSigned   = "doc.signed"
	eventRejected = "doc.sign.rejected"
	eventFailed   = "doc.sign.failed"
)

// Digio's status vocabulary. agreement_status "requested", "completed" and
// "expired" and signer statuses "requested" and "signed" are seen in
// Digio's answers; the others are the words a declined, failed, cancelled
// or started signing would carry (the simulator uses some of them:
// "viewed" when the signer opened the gateway, "rejected" on a decline,
// "failed" on an eSign failure, "cancelled" after a cancel). Words not
// listed here change nothing.
var (
	// signerDeclined: the signer refused to sign.
	signerDeclined = words("rejected", "declined", "refused")
	// signerFailed: the signer's eSign failed for good.
	signerFailed = words("failed", "failure", "error", "sign_failed")
	// signerStarted: the signer opened the gateway or is part way through
	// (an OTP sent, an Aadhaar step begun), or signed a document others
	// still have to sign.
	signerStarted = words("viewed", "opened", "in_progress", "started", "otp_sent", "otp_verified", "processing", "signed")
	// signerExpired: the signer's time ran out.
	signerExpired = words("expired")

	agreementCompleted = words("completed", "signed", "executed")
	agreementDeclined  = words("rejected", "declined")
	agreementFailed    = words("failed", "failure")
	agreementCancelled = words("cancelled", "canceled", "withdrawn", "revoked")
	agreementExpired   = words("expired")
)

func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// mapDocument is the one table from Digio's view of a document onto
// Signet's statuses, for a details answer (event "") and for a webhook's
// payload.document (event = the webhook's event). In order:
//
//  1. a signer rejected, the document was rejected, or the event is
//     doc.sign.rejected → FAILED, with the signer's comment or Digio's
//     error_message as the reason;
//  2. agreement_status completed → COMPLETED;
//  3. a signer's eSign failed, the document failed, or the event is
//     doc.sign.failed → FAILED with Digio's error message;
//  4. agreement_status cancelled → CANCELLED;
//  5. agreement_status expired, or every signer expired → EXPIRED;
//  6. a signer started (viewed, OTP sent, …) or already signed while the
//     document waits for others → IN_PROGRESS;
//  7. else PENDING ("nothing new"): requested, and any word Digio may add.
//
// The signer's story comes first because it is the truth the client
// needs: a declined document is FAILED with the signer's words even if
// Digio also closed it.
//
// A document with several signers also reports each one in Signers
// (see signerUpdates); order, when known, is the signers' identifiers in
// Signet's order.
func mapDocument(d *document, event string, order ...string) signing.Update {
	event = strings.ToLower(strings.TrimSpace(event))
	u := mapStatus(d, event)
	if len(d.SigningParties) > 1 {
		u.Signers = signerUpdates(d, event, u, order)
	}
	return u
}

// mapStatus is the session's status, by the table above.
func mapStatus(d *document, event string) signing.Update {
	agreement := agreementStatus(d)
	u := signing.Update{ProviderStatus: providerStatus(d, event)}

	if reason, ok := failure(d, signerDeclined, agreementDeclined[agreement] || event == eventRejected, declineReason); ok {
		return terminal(u, d, event, signing.StatusFailed, reason)
	}

	if agreementCompleted[agreement] {
		return terminal(u, d, event, signing.StatusCompleted, "")
	}

	if reason, ok := failure(d, signerFailed, agreementFailed[agreement] || event == eventFailed, failureReason); ok {
		return terminal(u, d, event, signing.StatusFailed, reason)
	}

	if agreementCancelled[agreement] {
		u.Status = signing.StatusCancelled
		return u
	}
	if agreementExpired[agreement] || allExpired(d) {
		u.Status = signing.StatusExpired
		return u
	}

	for _, p := range d.SigningParties {
		if signerStarted[p.Status.word()] {
			u.Status = signing.StatusInProgress
			return u
		}
	}
	u.Status = signing.StatusPending
	return u
}

func terminal(u signing.Update, d *document, event string, s signing.Status, reason string) signing.Update {
	u.Status, u.Reason, u.Evidence = s, reason, evidence(d, event)
	return u
}

// agreementStatus is the document's status word: agreement_status, or
// status where an answer carries only that.
func agreementStatus(d *document) string {
	if w := d.AgreementStatus.word(); w != "" {
		return w
	}
	return d.Status.word()
}

func allExpired(d *document) bool {
	if len(d.SigningParties) == 0 {
		return false
	}
	for _, p := range d.SigningParties {
		if !signerExpired[p.Status.word()] {
			return false
		}
	}
	return true
}

// failure finds one kind of failure, worded by reason: a signer whose
// status is one of signerWords (about that signer), else the document's
// own when document says so (about signerOf's signer).
func failure(d *document, signerWords map[string]bool, document bool, reason func(*document, *party) string) (string, bool) {
	for i := range d.SigningParties {
		if p := &d.SigningParties[i]; signerWords[p.Status.word()] {
			return reason(d, p), true
		}
	}
	if document {
		return reason(d, signerOf(d)), true
	}
	return "", false
}

// signerOf is the signer a failure is about: the one named by
// signer_identifier, else the first one, else nil.
func signerOf(d *document) *party {
	id := strings.ToLower(strings.TrimSpace(string(d.SignerIdentifier)))
	for i := range d.SigningParties {
		if id != "" && strings.ToLower(strings.TrimSpace(string(d.SigningParties[i].Identifier))) == id {
			return &d.SigningParties[i]
		}
	}
	if len(d.SigningParties) > 0 {
		return &d.SigningParties[0]
	}
	return nil
}

// declineReason is the signer's words for a decline, else Digio's.
func declineReason(d *document, p *party) string {
	var vs []text
	if p != nil {
		vs = append(vs, p.RejectionReason, p.ReviewComment, p.ErrorMessage)
	}
	vs = append(vs, d.ErrorMessage, d.Message)
	if r := firstSet(vs...); r != "" {
		return r
	}
	return "Signer declined to sign"
}

// failureReason is Digio's words for a failed eSign.
func failureReason(d *document, p *party) string {
	var vs []text
	if p != nil {
		vs = append(vs, p.ErrorMessage)
	}
	vs = append(vs, d.ErrorMessage, d.Message)
	if r := firstSet(vs...); r != "" {
		return r
	}
	if d.ErrorCode.set() {
		return httpx.Clip("Digio eSign failed ("+string(d.ErrorCode)+")", httpx.MaxMessage)
	}
	return "Digio eSign failed"
}

// providerStatus is the audit trail's record of Digio's own words: the
// event (for a webhook), agreement_status and the signers' statuses, e.g.
// "doc.signed/completed/signed".
func providerStatus(d *document, event string) string {
	var parts []string
	if event != "" {
		parts = append(parts, event)
	}
	if w := agreementStatus(d); w != "" {
		parts = append(parts, w)
	}
	for _, p := range d.SigningParties {
		if w := p.Status.word(); w != "" {
			parts = append(parts, w)
		}
	}
	return httpx.Clip(strings.Join(parts, "/"), 100)
}

// evidence is what is worth keeping of a finished document in the audit
// trail: Digio's ids, statuses, times and error codes (never the signer's
// identifier, which Signet already has, nor the document).
func evidence(d *document, event string) json.RawMessage {
	e := map[string]string{}
	put := func(k string, v text) {
		if v.set() {
			e[k] = httpx.Clip(string(v), 200)
		}
	}
	put("documentId", d.ID)
	put("agreementStatus", text(agreementStatus(d)))
	put("updatedAt", d.UpdatedAt)
	put("errorCode", d.ErrorCode)
	if event != "" {
		e["event"] = httpx.Clip(event, 100)
	}
	if p := signerOf(d); p != nil {
		putParty(e, p)
	}
	b, _ := json.Marshal(e) // a map of strings always marshals
	return b
}

// putParty adds what Digio reports of how a signer signed to an
// evidence map: their status, sign type and time and, for an Aadhaar
// eSign, the eKYC's facts (the Aadhaar number only by its last four
// digits, as Digio gives it).
func putParty(e map[string]string, p *party) {
	put := func(k string, v text, n int) {
		if v.set() {
			e[k] = httpx.Clip(strings.TrimSpace(string(v)), n)
		}
	}
	put("signerStatus", p.Status, 200)
	put("signatureType", p.SignatureType, 200)
	put("signerUpdatedAt", p.UpdatedAt, 200)
	pki := p.PKI.V
	put("aadhaarName", pki.Name, 200)
	if s := strings.TrimSpace(string(pki.AadhaarSuffix)); aadhaarSuffixRE.MatchString(s) {
		e["aadhaarSuffix"] = s
	}
	put("gender", pki.Gender, 20)
	put("yearOfBirth", pki.YearOfBirth, 10)
	put("postalCode", pki.PostalCode, 20)
}

// aadhaarSuffixRE is the last four digits of an Aadhaar number; anything
// longer is never kept.
var aadhaarSuffixRE = regexp.MustCompile(`^[0-9]{4}$`)

// firstSet returns the first of vs that carries a value, clipped to fit a
// failureReason.
func firstSet(vs ...text) string {
	for _, v := range vs {
		if v.set() {
			return httpx.Clip(string(v), httpx.MaxMessage)
		}
	}
	return ""
}
