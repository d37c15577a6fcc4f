package leegality

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Leegality's status vocabulary, as words (see text.word: upper case,
// without spaces, underscores or hyphens). The document statuses DRAFT,
// SENT and COMPLETED are documented (the dashboard also lists RECEIVED,
// SIGNED and EXPIRED); rejection and expiry live on the invitation
// (action "Rejected", rejected: true, expired: true). The invitation
// actions before signing are not documented; the ones listed are those of
// Leegality's signing journey (the simulator reports "Viewed" once the
// signer opened the link). Words not listed here change nothing.
var (
	// docCompleted: every invitee acted; the signed file exists.
	docCompleted = words("COMPLETED", "COMPLETE", "SIGNED", "EXECUTED")
	// docExpired: the document's invitations ran out.
	docExpired = words("EXPIRED")
	// docDeleted: the sender deleted or voided the document.
	docDeleted = words("DELETED", "CANCELLED", "CANCELED", "VOIDED", "REVOKED")
	// actionRejected: the invitee rejected the document.
	actionRejected = words("REJECTED", "DECLINED")
	// actionSigned: the invitee signed.
	actionSigned = words("SIGNED", "ESIGNED")
	// actionExpired: the invitation ran out.
	actionExpired = words("EXPIRED")
	// actionStarted: the invitee opened the link or is part way through
	// the journey. A failed eSign attempt (an OTP or a name mismatch) is
	// also "started": Leegality keeps the invitation active for another
	// try, so it is not a final failure.
	actionStarted = words("VIEWED", "OPENED", "VISITED", "STARTED", "INPROGRESS", "OTPSENT", "OTPVERIFIED",
		"AUTHENTICATED", "REVIEWED", "APPROVED", "SIGNING", "FAILED", "ERROR", "SIGNFAILED")
)

func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// mapDocument is the one table from Leegality's view of a document (a
// details or sign-request answer) onto Signet's statuses, at time now. In
// order:
//
//  1. an invitee rejected the document (action "Rejected" or rejected:
//     true) → FAILED, with the invitee's comment as the reason;
//  2. the document is COMPLETED (or SIGNED), or every invitee signed →
//     COMPLETED;
//  3. an invitation expired (expired: true, action "Expired", or an
//     unsigned invitation past its expiryDate, read in IST), or the
//     document is EXPIRED → EXPIRED;
//  4. the document was deleted or voided → CANCELLED;
//  5. an invitee opened the link or is part way through (see
//     actionStarted), or one of several invitees signed → IN_PROGRESS;
//  6. else (DRAFT, SENT, RECEIVED, or a word never seen) → PENDING, which
//     means "nothing new".
//
// A rejection is checked first: it is the signer's story, and the one the
// client needs even if the document also reads as ended.
func mapDocument(d *document, now time.Time) signing.Update {
	invs := d.invitees()
	u := signing.Update{ProviderStatus: providerStatus(d)}

	for _, inv := range invs {
		if rejected(inv) {
			u.Status = signing.StatusFailed
			u.Reason = rejectionReason(inv)
			u.Evidence = evidence(d, &inv)
			return u
		}
	}

	if docCompleted[d.status()] || allSigned(invs) {
		u.Status = signing.StatusCompleted
		u.Evidence = evidence(d, lastSigned(invs))
		return u
	}

	for _, inv := range invs {
		if expired(inv, now) {
			u.Status = signing.StatusExpired
			return u
		}
	}
	if docExpired[d.status()] {
		u.Status = signing.StatusExpired
		return u
	}
	if docDeleted[d.status()] {
		u.Status = signing.StatusCancelled
		return u
	}

	for _, inv := range invs {
		if signed(inv) || actionStarted[inv.Action.word()] {
			u.Status = signing.StatusInProgress
			return u
		}
	}
	u.Status = signing.StatusPending
	return u
}

func signed(inv invitee) bool { return bool(inv.Signed) || actionSigned[inv.Action.word()] }

func rejected(inv invitee) bool { return bool(inv.Rejected) || actionRejected[inv.Action.word()] }

// rejectionReason is the invitee's words on their rejection, or a
// sentence saying they rejected.
func rejectionReason(inv invitee) string {
	if r := firstSet(inv.Comment, inv.RejectionReason, inv.Reason, inv.Remarks); r != "" {
		return r
	}
	return "The signer rejected the document"
}

func allSigned(invs []invitee) bool {
	if len(invs) == 0 {
		return false
	}
	for _, inv := range invs {
		if !signed(inv) {
			return false
		}
	}
	return true
}

// expired reports whether an unsigned invitation ran out: Leegality says
// so, or its expiryDate (IST) has passed.
func expired(inv invitee, now time.Time) bool {
	if signed(inv) {
		return false
	}
	if bool(inv.Expired) || actionExpired[inv.Action.word()] {
		return true
	}
	t, ok := parseIST(string(inv.ExpiryDate))
	return ok && !now.Before(t)
}

func lastSigned(invs []invitee) *invitee {
	for i := len(invs) - 1; i >= 0; i-- {
		if signed(invs[i]) {
			return &invs[i]
		}
	}
	return nil
}

// providerStatus is the audit trail's record of Leegality's own words:
// the document's status and each invitation's action or flag, e.g.
// "SENT/VIEWED" or "SENT/REJECTED".
func providerStatus(d *document) string {
	parts := []string{}
	if w := d.statusText(); w != "" {
		parts = append(parts, strings.ToUpper(w))
	}
	for _, inv := range d.invitees() {
		switch {
		case inv.Action.set():
			parts = append(parts, strings.ToUpper(inv.Action.trimmed()))
		case bool(inv.Rejected):
			parts = append(parts, "REJECTED")
		case bool(inv.Signed):
			parts = append(parts, "SIGNED")
		case bool(inv.Expired):
			parts = append(parts, "EXPIRED")
		}
	}
	return httpx.Clip(strings.Join(parts, "/"), 100)
}

// evidence is what is worth keeping of a finished document in the audit
// trail: Leegality's ids and the acting invitation's times, with the IST
// dates also given in UTC (never the document, nor the signer's contacts).
func evidence(d *document, inv *invitee) json.RawMessage {
	e := map[string]string{}
	put := func(k string, v text) {
		if v.set() {
			e[k] = httpx.Clip(v.trimmed(), 200)
		}
	}
	put("documentId", d.id())
	put("irn", d.irn())
	if s := d.statusText(); s != "" {
		e["documentStatus"] = strings.ToUpper(httpx.Clip(s, 200))
	}
	put("completedDate", d.completedDate())
	if t, ok := parseIST(string(d.completedDate())); ok {
		e["completedAt"] = rfc3339(t)
	}
	if inv != nil {
		put("action", inv.Action)
		put("signedDate", inv.SignedDate)
		if t, ok := parseIST(string(inv.SignedDate)); ok {
			e["signedAt"] = rfc3339(t)
		}
		put("comment", inv.Comment)
	}
	b, _ := json.Marshal(e) // a map of strings always marshals
	return b
}

// firstSet returns the first of vs that carries a value, clipped to fit a
// failureReason.
func firstSet(vs ...text) string {
	for _, v := range vs {
		if v.set() {
			return httpx.Clip(v.trimmed(), httpx.MaxMessage)
		}
	}
	return ""
}
