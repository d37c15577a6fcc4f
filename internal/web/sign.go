package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// SigningPageConfig lets the site serve Signet's own signing page (provider
// local, CONTRACT.md §6.2) at /s/{token}/sign, reached through the signer
// link. Every function is required.
type SigningPageConfig struct {
	// Original reads the session's original document, shown on the page.
	Original func(ctx context.Context, sess *signing.Session) (signing.Document, error)
	// SendCode e-mails signer i a one-time code (signing.ErrTooManyCodes
	// past the hourly limit).
	SendCode func(ctx context.Context, sess *signing.Session, signer int) error
	// CheckCode uses signer i's code: nil when right, else
	// signing.ErrCodeWrong, ErrCodeExpired or ErrCodeUsedUp.
	CheckCode func(ctx context.Context, sess *signing.Session, signer int, code string) error
	// Sign records signer i's signature (signing.ErrConflict when they may
	// not sign now) and returns the session after it.
	Sign func(ctx context.Context, sess *signing.Session, signer int, sig PageSignature) (*signing.Session, error)
	// Decline records that signer i declined, with their reason.
	Decline func(ctx context.Context, sess *signing.Session, signer int, reason string) (*signing.Session, error)
	// ReturnURL is where the signer goes afterwards: the client's
	// returnUrl, or Signet's "signing finished" page.
	ReturnURL func(sess *signing.Session) string
}

// PageSignature is what a signer gave and what Signet saw when they
// signed on the page.
type PageSignature struct {
	Typed     string // the name the signer typed
	Image     []byte // a drawn signature, PNG; nil if none
	IP        string
	UserAgent string
}

// Limits of what the form takes.
const (
	maxTyped     = 200
	maxReason    = 500
	maxImageSize = 300 << 10 // decoded PNG bytes of a drawn signature
	maxSignForm  = 512 << 10 // the whole form, with the image as a data URL
)

var codeRE = regexp.MustCompile(`^[0-9]{6}$`)

// signView fills the signing page.
type signView struct {
	Name, Document, Hash string
	ViewURL, DownloadURL string
	CodeStep             bool
	Error                string // a locale key under sign.error
	FormToken, Action    string
	Typed                string
	SignerNo, Signers    int
	OtherSigners         []otherSigner
	Declining            bool
}

type otherSigner struct {
	Name   string
	Status string // a locale key under sign.signer
}

// signingPage handles GET /s/{token}/sign.
func (s *Site) signingPage(w http.ResponseWriter, r *http.Request) {
	sess, i, ok := s.signerFor(w, r)
	if !ok {
		return
	}
	v := signView{CodeStep: r.URL.Query().Get("step") == "code"}
	s.renderSign(w, r, http.StatusOK, sess, i, v)
}

// signingPost handles POST /s/{token}/sign: action send_code, sign or
// decline. A wrong, expired or used-up code answers the page again with
// the error and changes nothing.
func (s *Site) signingPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSignForm)
	sess, i, ok := s.signerFor(w, r)
	if !ok {
		return
	}
	if !s.checkForm(w, r, sess.Signers[i].ID) {
		return
	}
	cfg := s.cfg.SigningPage
	switch r.PostForm.Get("action") {
	case "send_code":
		err := cfg.SendCode(r.Context(), sess, i)
		switch {
		case errors.Is(err, signing.ErrTooManyCodes):
			s.renderSign(w, r, http.StatusTooManyRequests, sess, i, signView{CodeStep: true, Error: "too_many"})
		case err != nil:
			s.log.Error("signing page: sending a code failed", "session", sess.ID, "err", err)
			s.renderSign(w, r, http.StatusServiceUnavailable, sess, i, signView{Error: "mail"})
		default:
			http.Redirect(w, r, r.URL.Path+"?step=code", http.StatusSeeOther)
		}
	case "sign":
		s.sign(w, r, sess, i)
	case "decline":
		reason := strings.TrimSpace(r.PostForm.Get("reason"))
		if utf8.RuneCountInString(reason) > maxReason || !utf8.ValidString(reason) {
			s.renderSign(w, r, http.StatusOK, sess, i, signView{CodeStep: true, Error: "reason", Declining: true})
			return
		}
		next, err := cfg.Decline(r.Context(), sess, i, reason)
		s.afterAction(w, r, sess, i, next, err)
	default:
		s.renderError(w, r, http.StatusBadRequest, "error.bad_request")
	}
}

// sign checks the code and the signature and records it.
func (s *Site) sign(w http.ResponseWriter, r *http.Request, sess *signing.Session, i int) {
	cfg := s.cfg.SigningPage
	form := r.PostForm
	v := signView{CodeStep: true, Typed: form.Get("signature")}
	code := strings.TrimSpace(form.Get("code"))
	typed := strings.Join(strings.Fields(form.Get("signature")), " ")
	img, imgOK := signatureImage(form.Get("signatureImage"))
	switch {
	case !codeRE.MatchString(code):
		v.Error = "code_format"
	case typed == "":
		v.Error = "signature"
	case utf8.RuneCountInString(typed) > maxTyped || !utf8.ValidString(typed):
		v.Error = "signature_long"
	case !imgOK:
		v.Error = "image"
	}
	if v.Error != "" {
		s.renderSign(w, r, http.StatusOK, sess, i, v)
		return
	}
	switch err := cfg.CheckCode(r.Context(), sess, i, code); {
	case errors.Is(err, signing.ErrCodeWrong):
		v.Error = "code_wrong"
	case errors.Is(err, signing.ErrCodeUsedUp):
		v.Error = "code_used_up"
	case errors.Is(err, signing.ErrCodeExpired):
		v.Error = "code_expired"
	case err != nil:
		s.log.Error("signing page: checking a code failed", "session", sess.ID, "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	if v.Error != "" {
		s.renderSign(w, r, http.StatusOK, sess, i, v)
		return
	}
	next, err := cfg.Sign(r.Context(), sess, i, PageSignature{Typed: typed, Image: img, IP: clientIP(r), UserAgent: clip(r.UserAgent(), 400)})
	s.afterAction(w, r, sess, i, next, err)
}

// afterAction sends the signer on after a signature or a decline, or says
// why it could not be made.
func (s *Site) afterAction(w http.ResponseWriter, r *http.Request, sess *signing.Session, i int, next *signing.Session, err error) {
	switch {
	case errors.Is(err, signing.ErrConflict):
		// It ended, or someone else acted, meanwhile: say what happened.
		if again, j, ferr := s.cfg.SignerLinks.Find(r.Context(), r.PathValue("token")); ferr == nil {
			if view, ended := linkState(again, j); ended {
				s.renderLink(w, r, again, view)
				return
			}
		}
		s.renderError(w, r, http.StatusConflict, "error.internal")
	case err != nil:
		s.log.Error("signing page: recording the signer's action failed", "session", sess.ID, "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "error.internal")
	default:
		http.Redirect(w, r, s.cfg.SigningPage.ReturnURL(next), http.StatusSeeOther)
	}
}

// signerFor finds the signer of the request's token who may sign now, or
// answers for the link (unknown, ended, not their turn) and returns false.
func (s *Site) signerFor(w http.ResponseWriter, r *http.Request) (*signing.Session, int, bool) {
	sess, i, err := s.cfg.SignerLinks.Find(r.Context(), r.PathValue("token"))
	switch {
	case errors.Is(err, signing.ErrNotFound):
		s.notFound(w, r)
		return nil, 0, false
	case err != nil:
		s.log.Error("signing page: reading the session failed", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "error.internal")
		return nil, 0, false
	}
	if view, ended := linkState(sess, i); ended {
		s.renderLink(w, r, sess, view)
		return nil, 0, false
	}
	return sess, i, true
}

// signingDocument handles GET /s/{token}/document: the original, inline
// for the page's viewer (or as a download with ?download=1), while the
// signer's link is valid.
func (s *Site) signingDocument(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := s.signerFor(w, r)
	if !ok {
		return
	}
	doc, err := s.cfg.SigningPage.Original(r.Context(), sess)
	if err != nil {
		s.log.Error("signing page: reading the document failed", "session", sess.ID, "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	disposition := "inline"
	if r.URL.Query().Get("download") == "1" {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", disposition+`; filename="`+asciiName(doc.Filename)+`"`)
	// The page frames it: allow its own origin only.
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'")
	h.Del("X-Frame-Options")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	http.ServeContent(w, r, "", doc.CreatedAt, bytes.NewReader(doc.Content))
}

// renderSign draws the signing page for signer i of sess.
func (s *Site) renderSign(w http.ResponseWriter, r *http.Request, status int, sess *signing.Session, i int, v signView) {
	cfg := s.cfg.SigningPage
	sg := sess.Signers[i]
	v.Name = signing.SignerName(sg.Details) // a placeholder only: typing it is the signer's act
	base := "/s/" + r.PathValue("token")
	v.Action, v.ViewURL, v.DownloadURL = base+"/sign", base+"/document", base+"/document?download=1"
	v.FormToken = s.formToken(sg.ID)
	v.SignerNo, v.Signers = i+1, len(sess.Signers)
	if doc, err := cfg.Original(r.Context(), sess); err == nil {
		v.Document, v.Hash = doc.Filename, doc.SHA256
	}
	if len(sess.Signers) > 1 {
		for j, o := range sess.Signers {
			if j != i {
				v.OtherSigners = append(v.OtherSigners, otherSigner{Name: signing.SignerName(o.Details), Status: strings.ToLower(string(o.Status))})
			}
		}
	}
	s.render(w, r, status, Lang(sess.Language, r.Header.Get("Accept-Language")), "sign", v)
}

// signatureImage reads a drawn signature, a PNG data URL; "" is none.
func signatureImage(s string) ([]byte, bool) {
	if s == "" {
		return nil, true
	}
	b64, ok := strings.CutPrefix(s, "data:image/png;base64,")
	if !ok || len(b64) > base64.StdEncoding.EncodedLen(maxImageSize) {
		return nil, false
	}
	img, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")) || pdf.CheckMarkImage(img) != nil {
		return nil, false // what cannot go on the document is refused here, before anything is recorded
	}
	return img, true
}

// clientIP is the address the request came from. X-Forwarded-For is not
// read: any client can write it, and the audit trail must not say what
// the signer claimed.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// asciiName is a file name safe in a quoted header value.
func asciiName(name string) string {
	out := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	if out == "" {
		return "document.pdf"
	}
	return out
}

func clip(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}
