package sim

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// skin is the look and words of the simulated signing gateway.
var skin = &simkit.Skin{
	Name:   "Digio (sandbox)",
	Banner: "Digio sandbox: this page simulates Digio's signing gateway. No OTP is sent and nothing reaches UIDAI.",
	Ink:    "#0b2545", Paper: "#eef3f8", Accent: "#134074",
	Sign: "Sign", Decline: "Reject",
}

var (
	errLink  = &simkit.Notice{Status: http.StatusNotFound, Title: "Link not valid", Message: "This signing link is not valid."}
	errToken = &simkit.Notice{Status: http.StatusForbidden, Title: "Link not valid", Message: "This signing link belongs to another document."}
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
func (s *Server) resolve(l signerLink) (d *doc, p *party, expired bool, pr *simkit.Notice) {
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
func finished(d *doc, p *party) *simkit.Notice {
	switch {
	case p.status == partySigned:
		return &simkit.Notice{Status: http.StatusConflict, Title: "Already signed", Message: "You have already signed this document."}
	case p.status == partyRejected:
		return &simkit.Notice{Status: http.StatusConflict, Title: "Rejected", Message: "You rejected this document."}
	case d.status == docCompleted:
		return &simkit.Notice{Status: http.StatusConflict, Title: "Completed", Message: "This document is already signed by everyone."}
	case d.status == docExpired:
		return &simkit.Notice{Status: http.StatusConflict, Title: "Expired", Message: "This signing request has expired."}
	case d.status == docCancelled:
		return &simkit.Notice{Status: http.StatusConflict, Title: "Cancelled", Message: "This signing request was cancelled by its sender."}
	case !d.open():
		return &simkit.Notice{Status: http.StatusConflict, Title: "Closed", Message: "This signing request is closed (" + d.status + ")."}
	}
	return nil
}

// mayAct says why the signer cannot sign or reject now, or nil: they are
// done, the document is closed, or in a sequential document someone
// before them has still to sign.
func mayAct(d *doc, p *party) *simkit.Notice {
	if n := finished(d, p); n != nil {
		return n
	}
	if first := d.waitsFor(p); first != nil {
		who := first.name
		if who == "" {
			who = first.identifier
		}
		return &simkit.Notice{Status: http.StatusConflict, Title: "Not your turn yet",
			Message: "This document is signed in order: it is waiting for " + who + " to sign first. You will be able to sign once they have."}
	}
	return nil
}

// lockSigner locks s.mu and returns the document and signer of l, still
// locked, when the signer may act now, with whether the link's token has
// expired. Otherwise it unlocks, answers the request itself and returns
// false.
func (s *Server) lockSigner(w http.ResponseWriter, r *http.Request, l signerLink) (*doc, *party, bool, bool) {
	s.mu.Lock()
	d, p, expired, pr := s.resolve(l)
	if pr == nil {
		pr = mayAct(d, p)
	}
	if pr != nil {
		s.mu.Unlock()
		skin.Refuse(w, r, *pr)
		return nil, nil, false, false
	}
	return d, p, expired, true
}

// page handles GET /gateway/login/{id}/{txn}/{identifier}: the signer's
// link. Opening it marks the signer "viewed", so that a details answer
// now reports the signer as started.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	l := linkOf(r)
	d, p, expired, ok := s.lockSigner(w, r, l)
	if !ok {
		return
	}
	now := s.cfg.Now()
	if p.status == partyRequested {
		p.status, p.updated = partyViewed, now
		d.updated = now
	}
	signer := p.name
	if signer == "" {
		signer = p.identifier
	}
	pages := fmt.Sprintf("%s (%d pages)", d.fileName, d.pages)
	if d.pages == 1 {
		pages = d.fileName + " (1 page)"
	}
	facts := []simkit.Fact{
		{Label: "Document", Value: pages},
		{Label: "Requested by", Value: requesterName},
		{Label: "Signer", Value: signer + " (" + p.identifier + ")"},
	}
	if p.reason != "" {
		facts = append(facts, simkit.Fact{Label: "Reason", Value: p.reason})
	}
	facts = append(facts,
		simkit.Fact{Label: "Signature", Value: signTypeLabel(p.signType)},
		simkit.Fact{Label: "Valid until", Value: d.expireOn.In(ist).Format("02 Jan 2006 15:04") + " IST"},
		simkit.Fact{Label: "Preview", Value: "Read the document (PDF)", Link: s.Mount.Base + "/gateway/login/" + url.PathEscape(d.id) + "/" +
			url.PathEscape(l.txn) + "/" + url.PathEscape(p.identifier) + "/preview" + tokenQuery(l.tokenID)},
	)
	form := &simkit.Form{Sign: signLabel(p.signType)}
	for _, in := range []simkit.Input{{Name: "token_id", Value: l.tokenID}, {Name: "redirect_url", Value: l.redirect}} {
		if in.Value != "" {
			form.Hidden = append(form.Hidden, in)
		}
	}
	page := simkit.Page{Title: "Sign " + d.fileName, Facts: facts, Form: form}
	if l.tokenID == "" || expired {
		page.Note = "On Digio you would now log in with an OTP sent to " + p.identifier + "; the sandbox skips it."
	}
	s.mu.Unlock()
	skin.Render(w, http.StatusOK, page)
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
		skin.Notice(w, *pr)
		return
	}
	simkit.WritePDF(w, r, body, name, false)
}

// submit handles the page's form: action=sign or action=decline. After
// it the signer goes to the link's redirect_url, with digio_doc_id,
// status and message appended, as Digio does; without one, a page says
// what happened.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	action, ok := skin.ReadAction(w, r)
	if !ok {
		return
	}
	l := linkOf(r)
	if action == "sign" {
		ok = s.sign(w, r, l)
	} else {
		ok = s.decline(w, r, l)
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
	skin.Notice(w, simkit.Notice{Status: http.StatusOK, Title: title, Message: message + " You may close this window."})
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
