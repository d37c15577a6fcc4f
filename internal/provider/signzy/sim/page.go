package sim

import (
	_ "embed"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageData fills page.html: the signing form, or a message alone.
type pageData struct {
	Title   string
	Message string

	Form          bool
	Contract      string
	Executer      string
	Signer        string
	SignatureType string
	ESP           string
	Expires       string
	DocumentURL   string
	SignerID      string
}

func renderPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	// No form-action: the answer to the form redirects to the client's
	// returnUrl, which browsers would check against it.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, d); err != nil {
		slog.Warn("signzy sim: render page", "err", err)
	}
}

func messagePage(w http.ResponseWriter, status int, title, message string) {
	renderPage(w, status, pageData{Title: title, Message: message})
}

// signerDone reports whether the signer has nothing left to do.
func signerDone(c *contract, sg *signer) bool {
	return c.finished() || sg.status == signerSigned || sg.status == signerCancelled || sg.status == signerFailed
}

// findSigner returns the live contract and signer of a signerId; s.mu
// must be held.
func (s *Server) findSigner(signerID string) (*contract, *signer) {
	c := s.lookup(s.signers[signerID])
	if c == nil {
		return nil, nil
	}
	return c, c.signer(signerID)
}

// page handles GET /api/v3/contract/esign/{signerId}: the signer's link.
// Opening it starts an Aadhaar eSign attempt, so that a pull now reports
// the signer as in progress.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, sg := s.findSigner(r.PathValue("signerId"))
	if p := closedProblem(c, sg); p != nil {
		s.mu.Unlock()
		if p.status == http.StatusConflict {
			p.status = http.StatusOK // nothing was submitted: just say so
		}
		p.write(w)
		return
	}
	sg.openAttempt()
	if sg.status == signerPending {
		sg.status = signerInProgress
	}
	sg.ip = clientIP(r)
	d := pageData{
		Title:         "Sign " + c.name,
		Form:          true,
		Contract:      c.name,
		Executer:      c.executer,
		Signer:        sg.name,
		SignatureType: sg.signatureType,
		ESP:           c.eSignProvider,
		Expires:       humanTime(c.expires),
		DocumentURL:   s.fileURL(c, c.originalHash+".pdf"),
		SignerID:      sg.id,
	}
	s.mu.Unlock()
	renderPage(w, http.StatusOK, d)
}

// submit handles the page's form: action=sign or action=decline.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		messagePage(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	id := r.PathValue("signerId")
	if got := r.PostForm.Get("signerId"); got != "" && got != id {
		messagePage(w, http.StatusBadRequest, "Bad request", "The form does not belong to this signing link.")
		return
	}
	action := r.PostForm.Get("action")
	if action != "sign" && action != "decline" {
		messagePage(w, http.StatusBadRequest, "Bad request", `Choose "Sign with Aadhaar" or "Decline".`)
		return
	}

	var target string
	var ok bool
	if action == "sign" {
		target, ok = s.sign(w, r, id)
	} else {
		target, ok = s.decline(w, r, id)
	}
	if ok {
		http.Redirect(w, r, target, http.StatusSeeOther)
	}
}

// decline records the signer's refusal, ends the contract, calls back and
// returns the failure redirect. It answers the request itself when it
// cannot (and returns false).
func (s *Server) decline(w http.ResponseWriter, r *http.Request, signerID string) (string, bool) {
	s.mu.Lock()
	c, sg := s.findSigner(signerID)
	if p := closedProblem(c, sg); p != nil {
		s.mu.Unlock()
		p.write(w)
		return "", false
	}
	now := s.cfg.Now()
	sg.status = signerCancelled
	sg.cancelMessage = declineMessage
	sg.lastSignTime = now
	sg.ip = clientIP(r)
	c.status, c.cancelled, c.ended = contractCancelled, now, now
	ds := s.prepareCallbacks(c, sg)
	target := c.failureURL
	s.mu.Unlock()
	s.sendCallbacks(ds)
	return target, true
}

// problem is a page answering a form the signer can no longer submit.
type problem struct {
	status         int
	title, message string
}

func (p *problem) write(w http.ResponseWriter) { messagePage(w, p.status, p.title, p.message) }

// closedProblem says why the signer cannot act (an unknown or expired link,
// or a finished contract), or nil if they can; s.mu must be held.
func closedProblem(c *contract, sg *signer) *problem {
	if c == nil || sg == nil {
		return &problem{http.StatusNotFound, "Link not valid", "This signing link is not valid or the contract has expired."}
	}
	if signerDone(c, sg) {
		return &problem{http.StatusConflict, "Already finished", "This contract is already finished; nothing was changed."}
	}
	return nil
}

// clientIP is the signer's address as the simulator sees it (signerIP).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return strings.TrimSpace(r.RemoteAddr)
	}
	return host
}
