package sim

import (
	_ "embed"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageData fills page.html: the signing form, or a message alone.
type pageData struct {
	Title   string
	Message string

	Form         bool
	Document     string
	DocumentID   string
	Invitee      string
	Contact      string
	Expires      string
	InvitationID string
}

func renderPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	// No form-action: the answer to the form redirects to the invitee's
	// redirect URL, which browsers would check against it.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, d); err != nil {
		slog.Warn("leegality sim: render page", "err", err)
	}
}

func messagePage(w http.ResponseWriter, status int, title, message string) {
	renderPage(w, status, pageData{Title: title, Message: message})
}

// problem is a page answering a signer who cannot act.
type problem struct {
	status         int
	title, message string
}

func (p *problem) write(w http.ResponseWriter) { messagePage(w, p.status, p.title, p.message) }

// findInvitation returns the document and invitation of a signing link,
// or why the invitee cannot act on it; s.mu must be held.
func (s *Server) findInvitation(id string, now time.Time) (*document, *invitation, *problem) {
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
		return nil, nil, &problem{http.StatusNotFound, "Invalid link", "This signing link is not valid."}
	case d.isDeleted():
		return nil, nil, &problem{http.StatusGone, "Document deleted", "The sender has deleted this document; it can no longer be signed."}
	case v.isSigned():
		return nil, nil, &problem{http.StatusConflict, "Already signed", "You have already signed this document."}
	case d.rejected():
		return nil, nil, &problem{http.StatusConflict, "Document rejected", "This document has been rejected and can no longer be signed."}
	case v.isExpired(now):
		return nil, nil, &problem{http.StatusConflict, "Invitation expired", "This invitation has expired. Ask the sender to reactivate it."}
	case !d.active(v, now):
		return nil, nil, &problem{http.StatusConflict, "Not your turn yet", "Other invitees have to sign this document before you."}
	}
	return d, v, nil
}

// page handles GET /sign/{invitationId}: the invitee's link. Opening it
// records the action "Viewed", so that the details now show the invitee
// has started.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	s.mu.Lock()
	d, v, p := s.findInvitation(r.PathValue("invitationId"), now)
	if p != nil {
		s.mu.Unlock()
		if p.status == http.StatusConflict {
			p.status = http.StatusOK // nothing was submitted: just say so
		}
		p.write(w)
		return
	}
	if v.action == "" {
		v.action = actionViewed
	}
	v.ip = clientIP(r)
	contact := v.email
	if v.phone != "" {
		contact = strings.TrimPrefix(contact+", +91 "+v.phone, ", ")
	}
	data := pageData{
		Title:        "Sign " + d.fileName,
		Form:         true,
		Document:     d.fileName,
		DocumentID:   d.id,
		Invitee:      v.name,
		Contact:      contact,
		Expires:      istDate(v.expires),
		InvitationID: v.id,
	}
	s.mu.Unlock()
	renderPage(w, http.StatusOK, data)
}

// submit handles the page's form: action=sign or action=decline. After
// it, the invitee goes to their redirect URL (303) when the request gave
// one, else they see a closing page.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		messagePage(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	id := r.PathValue("invitationId")
	if got := r.PostForm.Get("invitationId"); got != "" && got != id {
		messagePage(w, http.StatusBadRequest, "Bad request", "The form does not belong to this signing link.")
		return
	}
	var (
		target string
		ok     bool
	)
	switch r.PostForm.Get("action") {
	case "sign":
		target, ok = s.sign(w, r, id)
	case "decline":
		target, ok = s.decline(w, r, id)
	default:
		messagePage(w, http.StatusBadRequest, "Bad request", `Choose "Sign with Aadhaar" or "Reject".`)
		return
	}
	if !ok {
		return
	}
	if target != "" {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	messagePage(w, http.StatusOK, "Thank you", "Your response has been recorded. You may close this page.")
}

// sign completes the invitee's Aadhaar eSign: the document is stamped
// with the signature, and once every invitee signed it is completed, with
// an audit trail. It sends the webhook and returns the redirect URL; it
// answers the request itself when it cannot (and returns false).
//
// The PDF work runs without the lock; if the document changed meanwhile
// (another invitee signed), it is redone on the new state.
func (s *Server) sign(w http.ResponseWriter, r *http.Request, id string) (string, bool) {
	for range 3 {
		now := s.cfg.Now()
		s.mu.Lock()
		d, v, p := s.findInvitation(id, now)
		if p != nil {
			s.mu.Unlock()
			p.write(w)
			return "", false
		}
		ip := clientIP(r)
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
		stamp := fmt.Sprintf("Digitally signed by %s using Aadhaar eSign on %s IST\nLeegality sandbox - document %s", v.name, istDate(now), d.id)
		audit := auditLines(d, v, now, ip)
		s.mu.Unlock()

		signed, err := pdf.Stamp(base, stamp)
		var trail []byte
		if err == nil && last {
			trail, err = pdf.AppendPage(signed, append(audit, "Signed document SHA-256: "+sha256Hex(signed)))
		}
		if err != nil {
			messagePage(w, http.StatusInternalServerError, "Signing failed", "The eSign service could not sign this document.")
			return "", false
		}

		s.mu.Lock()
		d2, v2, p := s.findInvitation(id, now)
		if p != nil || d2 != d || v2 != v || d.version != version {
			s.mu.Unlock()
			continue // changed meanwhile: look again
		}
		v.action, v.signed, v.ip = actionSigned, now, ip
		d.signed, d.version = signed, d.version+1
		status := webhookSent
		if last {
			d.completed, d.audit = now, trail
			status = webhookCompleted
		}
		hook := s.prepareWebhook(d, v, "Success", status, now)
		target := v.redirectURL
		s.mu.Unlock()
		s.sendWebhook(hook)
		return target, true
	}
	messagePage(w, http.StatusServiceUnavailable, "Busy", "The document is being signed by someone else; please try again.")
	return "", false
}

// decline records the invitee's rejection, which ends the document for
// everyone; the document itself stays SENT. It sends the (error) webhook
// and returns the redirect URL; it answers the request itself when it
// cannot (and returns false).
func (s *Server) decline(w http.ResponseWriter, r *http.Request, id string) (string, bool) {
	now := s.cfg.Now()
	s.mu.Lock()
	d, v, p := s.findInvitation(id, now)
	if p != nil {
		s.mu.Unlock()
		p.write(w)
		return "", false
	}
	v.action, v.rejected, v.comment, v.ip = actionRejected, now, rejectComment, clientIP(r)
	hook := s.prepareWebhook(d, v, "Error", webhookSent, now)
	target := v.redirectURL
	s.mu.Unlock()
	s.sendWebhook(hook)
	return target, true
}

// auditLines is the audit trail's text, as it will read once v signed at
// now.
func auditLines(d *document, v *invitation, now time.Time, ip string) []string {
	lines := []string{
		"Leegality sandbox - audit trail",
		"",
		"Document: " + d.fileName,
		"Document ID: " + d.id,
		"Created: " + istDate(d.created) + " IST",
		"Original document SHA-256: " + sha256Hex(d.original),
		"",
	}
	for _, x := range d.invitations {
		when, from := x.signed, x.ip
		if x == v {
			when, from = now, ip
		}
		lines = append(lines,
			"Invitee: "+x.name,
			"  Signed "+istDate(when)+" IST from "+from+" with Aadhaar eSign (OTP)",
		)
	}
	return append(lines, "")
}

// clientIP is the signer's address as the simulator sees it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return strings.TrimSpace(r.RemoteAddr)
	}
	return host
}
