package sim

import (
	"encoding/base64"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// Limits and defaults of the simulated API.
const (
	maxUploadBody     = 32 << 20
	maxFileName       = 100
	defaultExpireDays = 10
	maxExpireDays     = 90
	retention         = 30 * 24 * time.Hour // finished documents are kept this long
)

// mobileRE is a 10-digit Indian mobile number.
var mobileRE = regexp.MustCompile(`^[6-9][0-9]{9}$`)

// upload handles POST /v2/client/document/uploadpdf.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	body, ok := simkit.ReadBody(w, r, maxUploadBody, writeError)
	if !ok || !s.admit(w, r, OpUpload) {
		return
	}
	now := s.cfg.Now()
	d, withToken, field, msg := parseUpload(body, now)
	if msg != "" {
		writeErrorDetails(w, http.StatusBadRequest, codeValidation, msg, field)
		return
	}
	d.id = newID("DID", now)
	d.status = docRequested
	d.created, d.updated = now, now
	for _, p := range d.parties {
		p.status, p.updated = partyRequested, now
	}
	if withToken {
		d.token = &token{id: newID("GWT", now), created: now, validTill: now.Add(s.cfg.TokenTTL)}
	}

	s.mu.Lock()
	s.prune(now)
	s.docs[d.id] = d
	if d.token != nil {
		s.tokens[d.token.id] = d.id
	}
	s.retained.Add(d.id, d, int64(len(d.original)))
	v := s.view(d, false, true)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

// details handles GET /v2/client/document/{id}.
func (s *Server) details(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, OpDetails) {
		return
	}
	s.mu.Lock()
	d := s.lookup(r.PathValue("id"))
	var v docView
	if d != nil {
		v = s.view(d, false, false)
		if d.unknownNext > 0 {
			// A status the adapter has never seen, as a future Digio
			// might report it (see UnknownStatusNext).
			d.unknownNext--
			v.AgreementStatus = "under_review"
			for i := range v.SigningParties {
				v.SigningParties[i].Status = "pending_verification"
			}
		}
	}
	s.mu.Unlock()
	if d == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "Document not found")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// download handles GET /v2/client/document/download?document_id=…: the
// PDF as it stands, signed by whoever signed so far.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, OpDownload) {
		return
	}
	id := r.URL.Query().Get("document_id")
	if strings.TrimSpace(id) == "" {
		writeErrorDetails(w, http.StatusBadRequest, codeValidation, "document_id is required", "document_id")
		return
	}
	s.mu.Lock()
	var body []byte
	var name string
	if d := s.lookup(id); d != nil {
		body, name = d.current, d.fileName
	}
	s.mu.Unlock()
	if body == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "Document not found")
		return
	}
	simkit.WritePDF(w, r, body, name, false)
}

// cancelDoc handles POST /v2/client/document/{id}/cancel. An open
// document is cancelled (its unsigned signers too) and answered with its
// details; cancelling a cancelled one again changes nothing; a finished
// one cannot be cancelled.
func (s *Server) cancelDoc(w http.ResponseWriter, r *http.Request) {
	if _, ok := simkit.ReadBody(w, r, 64<<10, writeError); !ok || !s.admit(w, r, OpCancel) {
		return
	}
	s.mu.Lock()
	d := s.lookup(r.PathValue("id"))
	if d == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, codeNotFound, "Document not found")
		return
	}
	if d.open() {
		d.end(docCancelled, partyCancelled, s.cfg.Now())
	}
	status := d.status
	v := s.view(d, false, false)
	s.mu.Unlock()
	if status != docCancelled {
		writeError(w, http.StatusBadRequest, codeInvalidState, "Document is already "+status+" and cannot be cancelled")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// lookup finds a document, expiring it first if it is past its
// expire_on; s.mu must be held.
func (s *Server) lookup(id string) *doc {
	d := s.docs[id]
	if d != nil {
		d.expireIfDue(s.cfg.Now())
	}
	return d
}

// prune forgets documents finished more than the retention ago, so that
// a long-running sandbox does not grow without bound; s.mu must be held.
func (s *Server) prune(now time.Time) {
	for _, d := range s.docs {
		d.expireIfDue(now)
		if !d.open() && now.Sub(d.ended) > retention {
			s.forget(d)
		}
	}
}

func (s *Server) forget(d *doc) {
	s.retained.Remove(d.id)
	delete(s.docs, d.id)
	if d.token != nil {
		delete(s.tokens, d.token.id)
	}
}

// parseUpload validates an upload body the way Digio does (the first
// broken rule, with the field it is about) and builds the document. It
// reports whether an access token was asked for.
func parseUpload(body []byte, now time.Time) (d *doc, withToken bool, field, msg string) {
	f, err := objectFields(body)
	if err != nil {
		return nil, false, "", err.Error()
	}
	d = &doc{}
	parties, field, msg := parseSigners(f)
	if msg != "" {
		return nil, false, field, msg
	}
	d.parties = parties
	days, msg := f.integer("expire_in_days", defaultExpireDays, 1, maxExpireDays)
	if msg != "" {
		return nil, false, "expire_in_days", msg
	}
	display, msg := f.OptionalString("display_on_page")
	if msg != "" {
		return nil, false, "display_on_page", msg
	}
	switch strings.ToLower(display) {
	case "", "all", "first", "last":
	case "custom":
		if !f.Present("sign_coordinates") {
			return nil, false, "sign_coordinates", "sign_coordinates is required when display_on_page is custom"
		}
	default:
		return nil, false, "display_on_page", "display_on_page must be one of [first, last, all, custom]"
	}
	var b simkit.Broken
	flag := func(key string) (bool, string) { return f.Bool(key, false) }
	var notify, sendLink bool // accepted and not acted on: the sandbox mails no one
	simkit.Read(&b, &notify, flag, "notify_signers")
	simkit.Read(&b, &sendLink, flag, "send_sign_link")
	simkit.Read(&b, &d.sequential, flag, "sequential")
	simkit.Read(&b, &withToken, flag, "generate_access_token")
	simkit.Read(&b, &d.fileName, f.OptionalString, "file_name")
	if b.Msg != "" {
		return nil, false, b.Key, b.Msg
	}
	d.fileName = strings.TrimSpace(d.fileName)
	if utf8.RuneCountInString(d.fileName) > maxFileName {
		return nil, false, "file_name", "file_name must be at most 100 characters"
	}
	if d.fileName == "" {
		d.fileName = "document.pdf"
	}
	data, msg := f.RequiredString("file_data")
	if msg != "" {
		return nil, false, "file_data", msg
	}
	doc, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(data), ""))
	if err != nil {
		return nil, false, "file_data", "file_data must be a base64 encoded PDF"
	}
	info, err := pdf.Validate(doc)
	if err != nil {
		return nil, false, "file_data", "file_data is not a valid PDF document"
	}
	d.original, d.current, d.pages = doc, doc, info.Pages
	// Digio's deadline is the end of the day, IST, expire_in_days ahead.
	d.expireOn = endOfDay(now, days)
	return d, withToken, "", ""
}

func parseSigners(f fields) ([]*party, string, string) {
	items, msg := f.ObjectList("signers")
	if msg != "" {
		return nil, "signers", msg
	}
	var out []*party
	seen := map[string]bool{}
	for i, sf := range items {
		p := "signers[" + strconv.Itoa(i) + "]."
		sg := &party{}
		id, msg := sf.RequiredString("identifier")
		if msg != "" {
			return nil, p + "identifier", p + msg
		}
		id = strings.TrimSpace(id)
		if !validIdentifier(id) {
			return nil, p + "identifier", p + "identifier must be a valid email address or 10 digit mobile number"
		}
		if seen[strings.ToLower(id)] {
			return nil, p + "identifier", p + "identifier is repeated; each signer must be different"
		}
		seen[strings.ToLower(id)] = true
		sg.identifier = id
		if sg.name, msg = sf.OptionalString("name"); msg != "" {
			return nil, p + "name", p + msg
		}
		sg.name = strings.TrimSpace(sg.name)
		st, msg := sf.OptionalString("sign_type")
		if msg != "" {
			return nil, p + "sign_type", p + msg
		}
		sg.signType = "aadhaar"
		if st != "" {
			sg.signType = ""
			for _, t := range signTypes {
				if strings.EqualFold(strings.TrimSpace(st), t) {
					sg.signType = t
				}
			}
			if sg.signType == "" {
				return nil, p + "sign_type", p + "sign_type must be one of [aadhaar, electronic, dsc]"
			}
		}
		if sg.reason, msg = sf.OptionalString("reason"); msg != "" {
			return nil, p + "reason", p + msg
		}
		out = append(out, sg)
	}
	return out, "", ""
}

// validIdentifier accepts what Digio takes as a signer's identifier: an
// email address or a 10-digit Indian mobile number.
func validIdentifier(s string) bool {
	if mobileRE.MatchString(s) {
		return true
	}
	if len(s) > 254 || strings.ContainsAny(s, " /?#") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}
