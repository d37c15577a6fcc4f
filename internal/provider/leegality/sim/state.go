package sim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Leegality's words, as the simulator uses them. The document statuses
// are documented; the invitation actions before signing are not ("Viewed"
// is the simulator's choice, and a word the adapter knows).
const (
	statusSent      = "SENT"
	statusCompleted = "COMPLETED"

	// The webhook's documentStatus is title case, unlike the details API.
	webhookSent      = "Sent"
	webhookCompleted = "Completed"

	actionViewed   = "Viewed"
	actionSigned   = "Signed"
	actionRejected = "Rejected"

	rejectComment = "Rejected by the signer on the signing page"

	// What the next read reports for a document marked by
	// UnknownStatusNext: words no version of the API has used.
	unknownStatus = "ON_HOLD"
	unknownAction = "Escalated"
)

// retention is how long an ended document stays readable: Leegality lets
// a sender reactivate an expired document within 30 days.
const retention = 30 * 24 * time.Hour

// ist is India Standard Time, the zone of all of Leegality's dates.
var ist = time.FixedZone("IST", 5*3600+30*60)

// istDate is Leegality's "DD-MM-YYYY HH:MM:SS", in IST with no zone.
func istDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(ist).Format("02-01-2006 15:04:05")
}

// optionalDate is istDate, or null for a zero time.
func optionalDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := istDate(t)
	return &s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MAC is Leegality's webhook mac: hex HMAC-SHA1(key = salt, msg =
// documentId). Tests forge and check webhooks with it.
func MAC(salt, documentID string) string {
	m := hmac.New(sha1.New, []byte(salt))
	m.Write([]byte(documentID))
	return hex.EncodeToString(m.Sum(nil))
}

// crockford is the alphabet of Leegality's documentIds, which are ULIDs
// (26 characters, e.g. 01KMFEE9T8WPY0WPWXQHQ7DTJ2).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newDocumentID returns a ULID for t: 48 bits of milliseconds, then 80
// random bits.
func newDocumentID(t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	out := make([]byte, 26)
	// 128 bits as 26 base-32 digits, most significant first (the first
	// digit holds the top 3 bits).
	var acc uint32
	bits := 2 // 26*5 = 130: two leading zero bits
	j := 0
	for _, x := range b {
		acc = acc<<8 | uint32(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[j] = crockford[(acc>>uint(bits))&31]
			j++
		}
	}
	return string(out)
}

// newToken returns an unguessable URL-safe token.
func newToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newUUID returns a random (version 4) UUID, the form of Leegality's
// signing-link ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// document is one simulated document.
type document struct {
	id, irn, fileName string
	profileID         string
	signOrder         bool
	created           time.Time
	completed         time.Time
	deleted           time.Time

	original []byte
	signed   []byte // the current signed state; final when completed
	version  int    // bumped at every signature, to detect concurrent signing
	audit    []byte // the audit trail, once completed

	invitations []*invitation
}

// invitation is one invitee's invitation to sign.
type invitation struct {
	id                 string // the signUrl's last segment
	name, email, phone string
	redirectURL        string
	expires            time.Time
	action             string
	signed             time.Time
	rejected           time.Time
	comment            string
	ip                 string
}

func (d *document) isCompleted() bool { return !d.completed.IsZero() }
func (d *document) isDeleted() bool   { return !d.deleted.IsZero() }

func (v *invitation) isSigned() bool   { return !v.signed.IsZero() }
func (v *invitation) isRejected() bool { return !v.rejected.IsZero() }

// isExpired reports whether the invitation ran out unsigned.
func (v *invitation) isExpired(now time.Time) bool {
	return !v.isSigned() && !v.isRejected() && !now.Before(v.expires)
}

// rejected reports whether an invitee rejected the document, which ends
// it for everyone.
func (d *document) rejected() bool {
	for _, v := range d.invitations {
		if v.isRejected() {
			return true
		}
	}
	return false
}

// active reports whether v can be signed now: the document is open, v is
// unsigned and unexpired, and, with a signing order, every invitee before
// v has signed.
func (d *document) active(v *invitation, now time.Time) bool {
	if d.isDeleted() || d.isCompleted() || d.rejected() || v.isSigned() || v.isExpired(now) {
		return false
	}
	if d.signOrder {
		for _, x := range d.invitations {
			if x == v {
				break
			}
			if !x.isSigned() {
				return false
			}
		}
	}
	return true
}

// allSigned reports whether every invitee signed.
func (d *document) allSigned() bool {
	for _, v := range d.invitations {
		if !v.isSigned() {
			return false
		}
	}
	return len(d.invitations) > 0
}

// ended is when nothing more could happen to d (zero while open).
func (d *document) ended(now time.Time) time.Time {
	switch {
	case d.isDeleted():
		return d.deleted
	case d.isCompleted():
		return d.completed
	}
	var last time.Time
	for _, v := range d.invitations {
		switch {
		case v.isRejected():
			return v.rejected
		case v.isExpired(now):
			last = maxTime(last, v.expires)
		case !v.isSigned():
			return time.Time{} // still signable
		}
	}
	return last
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// link is a short-lived download link handed out by fetchDocument.
type link struct {
	documentID string
	file       string // fileDocument or fileAudit
	name       string
	expires    time.Time
}

const (
	fileDocument = "DOCUMENT"
	fileAudit    = "AUDIT_TRAIL"
)

// The JSON views.

// invitationView is an invitation as the details API (invitations[]), the
// status API (requests[]) and webhooks (request{}) show it.
type invitationView struct {
	Name       string  `json:"name"`
	Email      string  `json:"email"`
	Phone      string  `json:"phone"`
	SignURL    string  `json:"signUrl"`
	Active     bool    `json:"active"`
	Signed     bool    `json:"signed"`
	Expired    bool    `json:"expired"`
	Rejected   bool    `json:"rejected"`
	Action     *string `json:"action"`
	Comment    *string `json:"comment"`
	ExpiryDate string  `json:"expiryDate"`
	SignedDate *string `json:"signedDate"`
}

// createdInvitee is an invitee in the create answer.
type createdInvitee struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	SignURL    string `json:"signUrl"`
	Active     bool   `json:"active"`
	ExpiryDate string `json:"expiryDate"`
}

// createdView is the create answer's data.
type createdView struct {
	docRef
	Invitees []createdInvitee `json:"invitees"`
}

// docRef is how every answer about a document starts: its id and the
// client's reference (irn), null when none was given.
type docRef struct {
	DocumentID string  `json:"documentId"`
	IRN        *string `json:"irn"`
}

func (d *document) ref() docRef { return docRef{DocumentID: d.id, IRN: optional(d.irn)} }

// detailsView is the details answer's data (v3.3).
type detailsView struct {
	docRef
	Name             string           `json:"name"`
	Status           string           `json:"status"`
	RequestSignOrder bool             `json:"requestSignOrder"`
	CreatedDate      string           `json:"createdDate"`
	CompletedDate    *string          `json:"completedDate"`
	Invitations      []invitationView `json:"invitations"`
	File             *string          `json:"file,omitempty"`       // base64, with file=true once completed
	AuditTrail       *string          `json:"auditTrail,omitempty"` // base64, with auditTrail=true once completed
	// Document repeats the document's id and status one level down:
	// integrations of Leegality read the status at data.document.status,
	// so its answers carry it there too (issue 11).
	Document documentSummary `json:"document"`
}

// documentSummary is the details answer's nested data.document.
type documentSummary struct {
	DocumentID string `json:"documentId"`
	Status     string `json:"status"`
}

// statusView is the sign-request answer's data (v3.2): the invitations as
// requests[] and, once completed, links to the files. It has no document
// status: completion shows as every request signed.
type statusView struct {
	docRef
	Requests   []invitationView `json:"requests"`
	Files      []string         `json:"files"`
	AuditTrail *string          `json:"auditTrail"`
}

// webhookView is a webhook's body.
type webhookView struct {
	WebhookType    string         `json:"webhookType"`
	DocumentID     string         `json:"documentId"`
	DocumentStatus string         `json:"documentStatus"`
	IRN            *string        `json:"irn"`
	Request        invitationView `json:"request"`
	MAC            string         `json:"mac"`
}

func (s *Server) signURL(v *invitation) string { return s.Mount.Base + "/sign/" + v.id }

// docStatus is the document's status word as the details API shows it. A
// rejected or expired document stays SENT: Leegality shows those on the
// invitation.
func (d *document) docStatus() string {
	if d.isCompleted() {
		return statusCompleted
	}
	return statusSent
}

func (s *Server) invitationView(d *document, v *invitation, now time.Time) invitationView {
	return invitationView{
		Name:       v.name,
		Email:      v.email,
		Phone:      v.phone,
		SignURL:    s.signURL(v),
		Active:     d.active(v, now),
		Signed:     v.isSigned(),
		Expired:    v.isExpired(now),
		Rejected:   v.isRejected(),
		Action:     optional(v.action),
		Comment:    optional(v.comment),
		ExpiryDate: istDate(v.expires),
		SignedDate: optionalDate(v.signed),
	}
}

func (s *Server) invitationViews(d *document, now time.Time, unknown bool) []invitationView {
	out := []invitationView{}
	for _, v := range d.invitations {
		iv := s.invitationView(d, v, now)
		if unknown && !iv.Signed && !iv.Rejected && !iv.Expired {
			a := unknownAction
			iv.Action = &a
		}
		out = append(out, iv)
	}
	return out
}

// takeUnknown reports (and clears) whether d's next read should carry
// unknown words; s.mu must be held.
func (s *Server) takeUnknown(d *document) bool {
	u := s.unknownNext[d.id]
	delete(s.unknownNext, d.id)
	return u
}
