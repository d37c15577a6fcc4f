package sim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// maxCreateBody bounds a create request (a base64 PDF of Signet's 15 MiB
// limit, with room).
const maxCreateBody = 32 << 20

// create handles POST /v3.0/sign/request.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	body, ok := simkit.ReadBody(w, r, maxCreateBody, writeError)
	if !ok || s.Inject(w, r, OpCreate) {
		return
	}
	if !s.authorized(r) {
		writeUnauthorized(w)
		return
	}
	d, code, msg := s.parseCreate(body)
	if code != "" {
		writeRefusal(w, code, msg)
		return
	}
	now := s.cfg.Now()
	d.id = newDocumentID(now)
	d.created = now
	for _, v := range d.invitations {
		v.id = newUUID()
		v.expires = now.Add(s.cfg.InvitationExpiry)
	}

	s.mu.Lock()
	s.prune(now)
	s.docs[d.id] = d
	for _, v := range d.invitations {
		s.invitations[v.id] = d.id
	}
	s.retained.Add(d.id, d, int64(len(d.original)))
	view := createdView{docRef: d.ref(), Invitees: []createdInvitee{}}
	for _, v := range d.invitations {
		view.Invitees = append(view.Invitees, createdInvitee{
			Name: v.name, Email: v.email, Phone: v.phone, SignURL: s.signURL(v),
			Active: d.active(v, now), ExpiryDate: istDate(v.expires),
		})
	}
	s.mu.Unlock()
	writeOK(w, view)
}

// status handles GET /v3.2/sign/request?documentId=.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	d, now, ok := s.readDocument(w, r, OpStatus)
	if !ok {
		return
	}
	unknown := s.takeUnknown(d)
	v := statusView{docRef: d.ref(), Requests: s.invitationViews(d, now, unknown), Files: []string{}}
	if d.isCompleted() {
		v.Files = append(v.Files, s.newLink(d, fileDocument, now))
		a := s.newLink(d, fileAudit, now)
		v.AuditTrail = &a
	}
	s.mu.Unlock()
	writeOK(w, v)
}

// details handles GET /v3.3/document/details?documentId=&file=&auditTrail=.
// With file=true (auditTrail=true) a completed document's signed PDF (audit
// trail) comes along in base64.
func (s *Server) details(w http.ResponseWriter, r *http.Request) {
	d, now, ok := s.readDocument(w, r, OpDetails)
	if !ok {
		return
	}
	unknown := s.takeUnknown(d)
	v := detailsView{
		docRef:           d.ref(),
		Name:             d.fileName,
		Status:           d.docStatus(),
		RequestSignOrder: d.signOrder,
		CreatedDate:      istDate(d.created),
		CompletedDate:    optionalDate(d.completed),
		Invitations:      s.invitationViews(d, now, unknown),
	}
	if unknown {
		v.Status = unknownStatus
	}
	v.Document = documentSummary{DocumentID: v.DocumentID, Status: v.Status}
	// The PDFs are never changed once stored: they may be encoded after
	// the lock is released.
	var file, audit []byte
	if d.isCompleted() {
		file, audit = d.signed, d.audit
	}
	s.mu.Unlock()
	q := r.URL.Query()
	if file != nil && isTrue(q.Get("file")) {
		f := base64.StdEncoding.EncodeToString(file)
		v.File = &f
	}
	if audit != nil && isTrue(q.Get("auditTrail")) {
		a := base64.StdEncoding.EncodeToString(audit)
		v.AuditTrail = &a
	}
	writeOK(w, v)
}

// fetchView is fetchDocument's answer data: a CDN link valid for
// Config.DownloadTTL.
type fetchView struct {
	DocumentID           string `json:"documentId"`
	DocumentDownloadType string `json:"documentDownloadType"`
	FileName             string `json:"fileName"`
	URL                  string `json:"url"`
	ExpiryDate           string `json:"expiryDate"`
}

// fetchDocument handles GET /v3.3/document/fetchDocument: only completed
// documents have files; others answer "no.document.found", as Leegality
// does.
func (s *Server) fetchDocument(w http.ResponseWriter, r *http.Request) {
	d, now, ok := s.readDocument(w, r, OpFetch)
	if !ok {
		return
	}
	kind := strings.TrimSpace(r.URL.Query().Get("documentDownloadType"))
	var v *fetchView
	if (kind == fileDocument || kind == fileAudit) && d.isCompleted() {
		name := safeFileName(d.fileName)
		if kind == fileAudit {
			name = "audit-trail.pdf"
		}
		v = &fetchView{DocumentID: d.id, DocumentDownloadType: kind, FileName: name,
			URL: s.newLink(d, kind, now), ExpiryDate: istDate(now.Add(s.cfg.DownloadTTL))}
	}
	s.mu.Unlock()
	switch kind {
	case "":
		writeRefusal(w, "document.download.type.required", "Document download type is required.")
	case "ATTACHMENT", "SUPPORTING_DOCUMENT", fileDocument, fileAudit:
		if v == nil { // not completed; the sandbox takes no attachments
			writeRefusal(w, "no.document.found", "No document found.")
			return
		}
		writeOK(w, v)
	default:
		writeRefusal(w, "document.download.type", "Invalid document download type: pass one of DOCUMENT, AUDIT_TRAIL, ATTACHMENT, SUPPORTING_DOCUMENT.")
	}
}

// delete handles DELETE /v3.0/sign/request?documentId=: the document and
// its unsigned invitations are deleted, unless it is completed.
func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	d, now, ok := s.readDocument(w, r, OpDelete)
	if !ok {
		return
	}
	if d.isCompleted() {
		s.mu.Unlock()
		writeRefusal(w, "document.completed", "Document is already completed and cannot be deleted.")
		return
	}
	d.deleted = now
	delete(s.unknownNext, d.id)
	s.mu.Unlock()
	writeOK(w, nil, message{Code: "document.deleted", Message: "Document deleted successfully."})
}

// download handles GET /cdn/{token}/{file}: a fetchDocument link. Like a
// CDN's signed URL it takes no token and answers 403 once expired.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if s.Inject(w, r, OpDownload) {
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	var body []byte
	if l := s.links[r.PathValue("token")]; l != nil && now.Before(l.expires) && r.PathValue("file") == l.name {
		if d := s.docs[l.documentID]; d != nil && !d.isDeleted() {
			body = d.signed
			if l.file == fileAudit {
				body = d.audit
			}
		}
	}
	s.mu.Unlock()
	if body == nil {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`))
		return
	}
	simkit.WritePDF(w, r, body, r.PathValue("file"), false)
}

// newLink hands out a download link of one of d's files; s.mu must be held.
func (s *Server) newLink(d *document, file string, now time.Time) string {
	name := safeFileName(d.fileName)
	if file == fileAudit {
		name = "audit-trail.pdf"
	}
	token := newToken()
	s.links[token] = &link{documentID: d.id, file: file, name: name, expires: now.Add(s.cfg.DownloadTTL)}
	return s.Mount.Base + "/cdn/" + token + "/" + name
}

// safeFileName makes a file name fit a URL path segment.
func safeFileName(name string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, name)
	if out == "" || strings.Trim(out, "._") == "" {
		return "document.pdf"
	}
	return out
}

// readDocument does what every documentId-addressed API call does first:
// faults, authentication, and finding the document. On success it returns
// with s.mu held; otherwise it has answered the request.
func (s *Server) readDocument(w http.ResponseWriter, r *http.Request, op string) (*document, time.Time, bool) {
	if s.Inject(w, r, op) {
		return nil, time.Time{}, false
	}
	if !s.authorized(r) {
		writeUnauthorized(w)
		return nil, time.Time{}, false
	}
	id := strings.TrimSpace(r.URL.Query().Get("documentId"))
	if id == "" {
		writeRefusal(w, "documentId.required", "Document ID is required.")
		return nil, time.Time{}, false
	}
	now := s.cfg.Now()
	s.mu.Lock()
	s.prune(now)
	d := s.docs[id]
	if d == nil || d.isDeleted() {
		s.mu.Unlock()
		writeRefusal(w, "document.not.found", "Document not found.")
		return nil, time.Time{}, false
	}
	return d, now, true
}

// writeUnauthorized answers a missing or wrong X-Auth-Token.
func writeUnauthorized(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, "", "Invalid auth token.")
}

// prune forgets documents that ended more than retention ago, and expired
// download links, so that a long-running sandbox does not grow without
// bound; s.mu must be held.
func (s *Server) prune(now time.Time) {
	for _, d := range s.docs {
		if e := d.ended(now); !e.IsZero() && now.Sub(e) > retention {
			s.forget(d)
		}
	}
	for t, l := range s.links {
		if !now.Before(l.expires) {
			delete(s.links, t)
		}
	}
}

func (s *Server) forget(d *document) {
	s.retained.Remove(d.id)
	delete(s.docs, d.id)
	delete(s.unknownNext, d.id)
	for _, v := range d.invitations {
		delete(s.invitations, v.id)
	}
}

func isTrue(s string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	return err == nil && b
}
