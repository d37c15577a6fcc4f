package sim

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// skin is the look and words of the simulated signing page.
var skin = &simkit.Skin{
	Name:   "Leegality (sandbox)",
	Banner: "Leegality sandbox: this page simulates the Aadhaar eSign journey. Nothing is sent to UIDAI.",
	Ink:    "#17324d", Paper: "#f3f6f9", Accent: "#0b6e4f",
	Sign: "Sign with Aadhaar", Decline: "Reject",
}

// findInvitation returns the document and invitation of a signing link,
// or why the invitee cannot act on it; s.mu must be held.
func (s *Server) findInvitation(id string, now time.Time) (*document, *invitation, *simkit.Notice) {
	d := s.docs[s.invitations[id]]
	var v *invitation
	if d != nil {
		for _, x := range d.invitations {
			if x.id == id {
				v = x
			}
		}
	}
	switch {
	case d == nil || v == nil:
		return nil, nil, &simkit.Notice{Status: http.StatusNotFound, Title: "Invalid link", Message: "This signing link is not valid."}
	case d.isDeleted():
		return nil, nil, &simkit.Notice{Status: http.StatusGone, Title: "Document deleted", Message: "The sender has deleted this document; it can no longer be signed."}
	case v.isSigned():
		return nil, nil, &simkit.Notice{Status: http.StatusConflict, Title: "Already signed", Message: "You have already signed this document."}
	case d.rejected():
		return nil, nil, &simkit.Notice{Status: http.StatusConflict, Title: "Document rejected", Message: "This document has been rejected and can no longer be signed."}
	case v.isExpired(now):
		return nil, nil, &simkit.Notice{Status: http.StatusConflict, Title: "Invitation expired", Message: "This invitation has expired. Ask the sender to reactivate it."}
	case !d.active(v, now):
		return nil, nil, &simkit.Notice{Status: http.StatusConflict, Title: "Not your turn yet", Message: "Other invitees have to sign this document before you."}
	}
	return d, v, nil
}

// lockInvitation locks s.mu and returns the document and invitation of
// a signing link, still locked, when the invitee may act at now.
// Otherwise it unlocks, answers the request itself and returns false.
func (s *Server) lockInvitation(w http.ResponseWriter, r *http.Request, id string, now time.Time) (*document, *invitation, bool) {
	s.mu.Lock()
	d, v, n := s.findInvitation(id, now)
	if n != nil {
		s.mu.Unlock()
		skin.Refuse(w, r, *n)
		return nil, nil, false
	}
	return d, v, true
}

// page handles GET /sign/{invitationId}: the invitee's link. Opening it
// records the action "Viewed", so that the details now show the invitee
// has started.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	d, v, ok := s.lockInvitation(w, r, r.PathValue("invitationId"), now)
	if !ok {
		return
	}
	if v.action == "" {
		v.action = actionViewed
	}
	v.ip = simkit.ClientIP(r)
	contact := v.email
	if v.phone != "" {
		contact = strings.TrimPrefix(contact+", +91 "+v.phone, ", ")
	}
	p := simkit.Page{
		Title: "Sign " + d.fileName,
		Facts: []simkit.Fact{
			{Label: "Document", Value: d.fileName},
			{Label: "Document ID", Value: d.id},
			{Label: "Invitee", Value: v.name},
			{Label: "Contact", Value: contact},
			{Label: "Signature", Value: "Aadhaar eSign (OTP)"},
			{Label: "Valid until", Value: istDate(v.expires) + " IST"},
		},
		Form: &simkit.Form{Hidden: []simkit.Input{{Name: "invitationId", Value: v.id}}},
	}
	s.mu.Unlock()
	skin.Render(w, http.StatusOK, p)
}

// submit handles the page's form: action=sign or action=decline. After
// it, the invitee goes to their redirect URL (303) when the request gave
// one, else they see a closing page.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	skin.Submit(w, r, "invitationId", s.sign, s.decline, simkit.Notice{Status: http.StatusOK, Title: "Thank you", Message: "Your response has been recorded. You may close this page."})
}

// sign completes the invitee's Aadhaar eSign: the eSign service signs the
// document as it stands (the original, or as the invitees before left it)
// with a certificate naming the invitee, and once every invitee signed the
// document is completed, with an audit trail. It sends the webhook and
// returns the redirect URL; it answers the request itself when it cannot
// (and returns false).
//
// The PDF work runs without the lock; if the document changed meanwhile
// (another invitee signed), it is redone on the new state.
func (s *Server) sign(w http.ResponseWriter, r *http.Request, id string) (string, bool) {
	for range 3 {
		now := s.cfg.Now()
		d, v, ok := s.lockInvitation(w, r, id, now)
		if !ok {
			return "", false
		}
		ip := simkit.ClientIP(r)
		base, version := d.original, d.version
		if d.signed != nil {
			base = d.signed
		}
		last := true
		for _, x := range d.invitations {
			if x != v && !x.isSigned() {
				last = false
			}
		}
		record := aadhaarOf(v)
		sig := simkit.ESignature{Name: record.name, State: record.state,
			Reason: "Aadhaar eSign via Leegality, document " + d.id, Location: "India"}
		audit := auditLines(d, v, now, ip)
		original := d.original
		s.mu.Unlock()

		signed, err := s.ESigner.Sign(r.Context(), base, sig)
		var trail []byte
		if err == nil && last {
			// The audit trail is a file of its own: the original with the
			// trail's page, leaving the signed document untouched.
			trail, err = pdf.AppendPage(original, append(audit, "Signed document SHA-256: "+simkit.SHA256Hex(signed)))
		}
		if err != nil {
			skin.Notice(w, simkit.Notice{Status: http.StatusInternalServerError, Title: "Signing failed", Message: "The eSign service could not sign this document."})
			return "", false
		}

		s.mu.Lock()
		d2, v2, n := s.findInvitation(id, now)
		if n != nil || d2 != d || v2 != v || d.version != version {
			s.mu.Unlock()
			continue // changed meanwhile: look again
		}
		v.action, v.signed, v.ip = actionSigned, now, ip
		s.retained.Add(d.id, d, int64(len(signed)-len(d.signed))) // the new copy replaces the last
		d.signed, d.version = signed, d.version+1
		status := webhookSent
		if last {
			d.completed, d.audit = now, trail
			s.retained.Add(d.id, d, int64(len(trail)))
			status = webhookCompleted
		}
		hook := s.prepareWebhook(d, v, "Success", status, now)
		target := v.redirectURL
		s.mu.Unlock()
		s.Notifier.Send(hook...)
		return target, true
	}
	skin.Notice(w, simkit.Notice{Status: http.StatusServiceUnavailable, Title: "Busy", Message: "The document is being signed by someone else; please try again."})
	return "", false
}

// decline records the invitee's rejection, which ends the document for
// everyone; the document itself stays SENT. It sends the (error) webhook
// and returns the redirect URL; it answers the request itself when it
// cannot (and returns false).
func (s *Server) decline(w http.ResponseWriter, r *http.Request, id string) (string, bool) {
	now := s.cfg.Now()
	d, v, ok := s.lockInvitation(w, r, id, now)
	if !ok {
		return "", false
	}
	v.action, v.rejected, v.comment, v.ip = actionRejected, now, rejectComment, simkit.ClientIP(r)
	hook := s.prepareWebhook(d, v, "Error", webhookSent, now)
	target := v.redirectURL
	s.mu.Unlock()
	s.Notifier.Send(hook...)
	return target, true
}

// auditLines is the audit trail's text, as it will read once v signed at
// now: per invitee, when and from where they signed and what their
// Aadhaar eSign established (the name and state on Aadhaar, gender, year
// of birth, the Aadhaar number masked but for its last 4 digits).
func auditLines(d *document, v *invitation, now time.Time, ip string) []string {
	lines := []string{
		"Leegality sandbox - audit trail",
		"",
		"Document: " + d.fileName,
		"Document ID: " + d.id,
		"Created: " + istDate(d.created) + " IST",
		"Original document SHA-256: " + simkit.SHA256Hex(d.original),
		"",
	}
	for _, x := range d.invitations {
		when, from := x.signed, x.ip
		if x == v {
			when, from = now, ip
		}
		a := aadhaarOf(x)
		lines = append(lines,
			"Invitee: "+x.name,
			"  Signed "+istDate(when)+" IST from "+from+" with Aadhaar eSign (OTP)",
			fmt.Sprintf("  Aadhaar: %s, %s, %s, born %d, %s", a.name, a.masked(), a.gender, a.yob, a.state),
		)
	}
	return append(lines, "")
}
