package simkit

import (
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Skin is a simulator's look and words on the one page skeleton every
// simulated signer page (or app screen) shares. The pages work without
// JavaScript: the signer acts through a form (method POST) whose submit
// buttons are named action, valued sign and decline (CONTRACT.md §5).
type Skin struct {
	// Name follows the page's title in the window's: "Signzy eSign (sandbox)".
	Name string
	// Banner tops every page: what the page simulates.
	Banner string
	// Ink and Paper are the text and background colours, Accent the sign
	// button's.
	Ink, Paper, Accent template.CSS
	// Sign and Decline are the buttons' labels, unless a Form has its own.
	Sign, Decline string
}

// Page is one page: a message, or a form for the signer with what they
// are about to sign.
type Page struct {
	Title   string
	Message string
	Note    string // a highlighted remark
	Text    string // shown as written: the text to sign, say
	Facts   []Fact // what is being signed, by whom, until when
	Form    *Form  // the sign and decline buttons; nil on a message page
	Link    string // where "Return to the service" leads, if anywhere
}

// Fact is one line of a page's facts; with a Link, the value links there.
type Fact struct {
	Label, Value, Link string
}

// Form is the signer's form. It posts to Action (back to the page itself
// if empty) with its hidden inputs and action=sign or action=decline.
type Form struct {
	Action  string
	Hidden  []Input
	Sign    string // the sign button's label (the Skin's if empty)
	Decline string // the decline button's label (the Skin's if empty)
}

// Input is a hidden input of a form.
type Input struct {
	Name, Value string
}

// Notice is a message page: why the signer cannot act, or what happened.
type Notice struct {
	Status         int
	Title, Message string
}

// Render answers status with p.
func (s *Skin) Render(w http.ResponseWriter, status int, p Page) {
	if p.Form != nil {
		f := *p.Form
		if f.Sign == "" {
			f.Sign = s.Sign
		}
		if f.Decline == "" {
			f.Decline = s.Decline
		}
		p.Form = &f
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	// No form-action: the answer to a form redirects to the client's
	// return URL, which browsers would check against it.
	// No framing: a signing page inside another site's frame is how a
	// signer is tricked into clicking Sign (clickjacking).
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, struct {
		Page
		Skin *Skin
	}{p, s}); err != nil {
		slog.Warn("simkit: render page", "page", p.Title, "err", err)
	}
}

// Notice answers n as a message page.
func (s *Skin) Notice(w http.ResponseWriter, n Notice) {
	s.Render(w, n.Status, Page{Title: n.Title, Message: n.Message})
}

// Refuse answers a signer who cannot act with n. A conflict (the
// signing is finished, or not the signer's turn) is 409 only for a
// submitted form: opening the page just says so, with 200.
func (s *Skin) Refuse(w http.ResponseWriter, r *http.Request, n Notice) {
	if n.Status == http.StatusConflict && r.Method == http.MethodGet {
		n.Status = http.StatusOK
	}
	s.Notice(w, n)
}

// ReadAction reads the signer's form (at most 64 KiB) and returns its
// action, sign or decline. Otherwise it answers 400 itself and returns
// false.
func (s *Skin) ReadAction(w http.ResponseWriter, r *http.Request) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.Notice(w, Notice{http.StatusBadRequest, "Bad request", "The form could not be read."})
		return "", false
	}
	switch a := r.PostForm.Get("action"); a {
	case "sign", "decline":
		return a, true
	}
	s.Notice(w, Notice{http.StatusBadRequest, "Bad request", `Choose "` + s.Sign + `" or "` + s.Decline + `".`})
	return "", false
}

// Choice records a signer's choice (sign or decline) on the signing link
// id and returns where the signer goes next, "" for nowhere. It answers
// the request itself when it cannot (and returns false).
type Choice func(w http.ResponseWriter, r *http.Request, id string) (string, bool)

// Submit handles a signer page's form, posted back to the link whose id is
// the path value key and repeated in the form's hidden input key: it calls
// sign or decline, then sends the signer on to where they go next (303)
// or, when nowhere, shows done.
func (s *Skin) Submit(w http.ResponseWriter, r *http.Request, key string, sign, decline Choice, done Notice) {
	action, ok := s.ReadAction(w, r)
	if !ok {
		return
	}
	id := r.PathValue(key)
	if got := r.PostForm.Get(key); got != "" && got != id {
		s.Notice(w, Notice{Status: http.StatusBadRequest, Title: "Bad request", Message: "The form does not belong to this signing link."})
		return
	}
	choose := decline
	if action == "sign" {
		choose = sign
	}
	target, ok := choose(w, r, id)
	switch {
	case !ok:
	case target != "":
		http.Redirect(w, r, target, http.StatusSeeOther)
	default:
		s.Notice(w, done)
	}
}
