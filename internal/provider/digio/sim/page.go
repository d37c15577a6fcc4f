package sim

import (
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageData fills page.html: the signing form, or a message alone.
type pageData struct {
	Title   string
	Message string

	Form        bool
	Note        string
	FileName    string
	Pages       int
	Requester   string
	Signer      string
	Identifier  string
	Reason      string
	SignType    string
	SignLabel   string
	Expires     string
	PreviewURL  string
	TokenID     string
	RedirectURL string
}

func renderPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	// No form-action: the answer to the form redirects to the client's
	// redirect_url, which browsers would check against it.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, d); err != nil {
		slog.Warn("digio sim: render page", "err", err)
	}
}

func messagePage(w http.ResponseWriter, status int, title, message string) {
	renderPage(w, status, pageData{Title: title, Message: message})
}

// problem is a page answering a link or form the signer cannot use.
type problem struct {
	status         int
	title, message string
}

func (p *problem) write(w http.ResponseWriter) { messagePage(w, p.status, p.title, p.message) }

var (
	errLink  = &problem{http.StatusNotFound, "Link not valid", "This signing link is not valid."}
	errToken = &problem{http.StatusForbidden, "Link not valid", "This signing link belongs to another document."}
)

// signerLink is what a gateway link names, as the page and its form
// resolve it.
type signerLink struct {
	docID, txn, identifier string
	tokenID, redirect      string
}

func linkOf(r *http.Request) signerLink {
	l := signerLink{docID: r.PathValue("id"), txn: r.PathValue("txn"), identifier: r.PathValue("identifier")}
	l.tokenID = queryOrForm(r, "token_id")
	l.redirect = queryOrForm(r, "redirect_url")
	return l
}

// queryOrForm reads a value from the link's query (the page's form has
// no action, so it posts back to the link itself), else from the form's
// hidden inputs.
func queryOrForm(r *http.Request, key string) string {
	if v := r.URL.Query().Get(key); v != "" {
		return v
	}
	if r.PostForm != nil {
		return r.PostForm.Get(key)
	}
	return ""
}

// resolve finds the document and signer of a link and checks its token;
// s.mu must be held. A token that expired is no problem: on Digio the
// signer would log in with an OTP instead, which the sandbox skips
// (expired reports it).
func (s *Server) resolve(l signerLink) (d *doc, p *party, expired bool, pr *problem) {
	d = s.lookup(l.docID)
	if d == nil {
		return nil, nil, false, errLink
	}
	if p = d.party(l.identifier); p == nil {
		return nil, nil, false, errLink
	}
	if l.tokenID != "" {
		if s.tokens[l.tokenID] != d.id {
			return nil, nil, false, errToken
		}
		expired = d.token == nil || s.cfg.Now().After(d.token.validTill)
	}
	return d, p, expired, nil
}

// finished says why the signer has nothing left to do, or nil.
func finished(d *doc, p *party) *problem {
	switch {
	case p.status == partySigned:
		return &problem{http.StatusConflict, "Already signed", "You have already signed this document."}
	case p.status == partyRejected:
		return &problem{http.StatusConflict, "Rejected", "You rejected this document."}
	case d.status == docCompleted:
		return &problem{http.StatusConflict, "Completed", "This document is already signed by everyone."}
	case d.status == docExpired:
		return &problem{http.StatusConflict, "Expired", "This signing request has expired."}
	case d.status == docCancelled:
		return &problem{http.StatusConflict, "Cancelled", "This signing request was cancelled by its sender."}
	case !d.open():
		return &problem{http.StatusConflict, "Closed", "This signing request is closed (" + d.status + ")."}
	}
	return nil
}

// page handles GET /gateway/login/{id}/{txn}/{identifier}: the signer's
// link. Opening it marks the signer "viewed", so that a details answer
// now reports the signer as started.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	l := linkOf(r)
	s.mu.Lock()
	d, p, expired, pr := s.resolve(l)
	if pr == nil {
		pr = finished(d, p)
	}
	if pr != nil {
		s.mu.Unlock()
		if pr.status == http.StatusConflict {
			pr.status = http.StatusOK // nothing was submitted: just say so
		}
		pr.write(w)
		return
	}
	now := s.cfg.Now()
	if p.status == partyRequested {
		p.status, p.updated = partyViewed, now
		d.updated = now
	}
	data := pageData{
		Title:       "Sign " + d.fileName,
		Form:        true,
		FileName:    d.fileName,
		Pages:       d.pages,
		Requester:   requesterName,
		Signer:      p.name,
		Identifier:  p.identifier,
		Reason:      p.reason,
		SignType:    signTypeLabel(p.signType),
		SignLabel:   signLabel(p.signType),
		Expires:     d.expireOn.In(ist).Format("02 Jan 2006 15:04"),
		PreviewURL:  s.base + "/gateway/login/" + url.PathEscape(d.id) + "/" + url.PathEscape(l.txn) + "/" + url.PathEscape(p.identifier) + "/preview" + tokenQuery(l.tokenID),
		TokenID:     l.tokenID,
		RedirectURL: l.redirect,
	}
	if data.Signer == "" {
		data.Signer = p.identifier
	}
	if l.tokenID == "" || expired {
		data.Note = "On Digio you would now log in with an OTP sent to " + p.identifier + "; the sandbox skips it."
	}
	s.mu.Unlock()
	renderPage(w, http.StatusOK, data)
}

func tokenQuery(tok string) string {
	if tok == "" {
		return ""
	}
	return "?token_id=" + url.QueryEscape(tok)
}

func signTypeLabel(t string) string {
	switch t {
	case "electronic":
		return "Electronic signature (OTP)"
	case "dsc":
		return "Digital signature certificate (DSC token)"
	}
	return "Aadhaar eSign (OTP to the mobile linked to Aadhaar)"
}

func signLabel(t string) string {
	switch t {
	case "electronic":
		return "Sign electronically"
	case "dsc":
		return "Sign with DSC"
	}
	return "Sign with Aadhaar"
}

// preview handles GET …/preview: the original document, for the signer
// to read before signing.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d, _, _, pr := s.resolve(linkOf(r))
	var body []byte
	var name string
	if pr == nil {
		body, name = d.original, d.fileName
	}
	s.mu.Unlock()
	if pr != nil {
		pr.write(w)
		return
	}
	writePDF(w, r, body, name)
}

// submit handles the page's form: action=sign or action=decline. After
// it the signer goes to the link's redirect_url, with digio_doc_id,
// status and message appended, as Digio does; without one, a page says
// what happened.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		messagePage(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	action := r.PostForm.Get("action")
	if action != "sign" && action != "decline" {
		messagePage(w, http.StatusBadRequest, "Bad request", `Choose "Sign" or "Reject".`)
		return
	}
	l := linkOf(r)
	var ok bool
	if action == "sign" {
		ok = s.sign(w, l)
	} else {
		ok = s.decline(w, l)
	}
	if !ok {
		return
	}
	params := url.Values{"digio_doc_id": {l.docID}}
	title, message := "Document signed", "Document Signed Successfully!"
	params.Set("status", "success")
	if action == "decline" {
		title, message = "Document rejected", "Signing rejected by the signer"
		params.Set("status", "failure")
		params.Set("error_code", "SIGNING_REJECTED")
	}
	params.Set("message", message)
	if target, ok := redirectTarget(l.redirect, params); ok {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	messagePage(w, http.StatusOK, title, message+" You may close this window.")
}

// redirectTarget appends params to an absolute http(s) redirect_url.
func redirectTarget(redirect string, params url.Values) (string, bool) {
	u, err := url.Parse(redirect)
	if redirect == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += params.Encode()
	return u.String(), true
}
