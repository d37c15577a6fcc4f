package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// skin is the look and words of the simulated BankID app.
var skin = &simkit.Skin{
	Name:   "BankID (simulated)",
	Banner: "BankID (simulated app, Signet sandbox)",
	Ink:    "#111", Paper: "#f3f4f6", Accent: "#193e4f",
	Sign: "Sign", Decline: "Cancel",
}

// qrTolerance is how far a scanned QR code's time may lag the order's
// age: the code changes every second, and a phone takes a moment.
const qrTolerance = 10

// appMessage shows a message, with a way back to the service at link if
// it is not empty.
func appMessage(w http.ResponseWriter, status int, title, message, link string) {
	skin.Render(w, status, simkit.Page{Title: title, Message: message, Link: link})
}

// appScreen handles GET /app/{orderRef}: the app showing the order.
// Opening it starts the order (hintCode started).
func (s *Server) appScreen(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o := s.lookup(r.PathValue("orderRef"))
	if o == nil {
		s.mu.Unlock()
		appMessage(w, http.StatusNotFound, "No such order", "BankID does not know this order, or it has expired.", "")
		return
	}
	if o.status != statusPending {
		title, msg := outcomeText(o)
		link := o.returnURL
		s.mu.Unlock()
		appMessage(w, http.StatusOK, title, msg, link)
		return
	}
	o.start(s.cfg.Now())
	text, _ := base64.StdEncoding.DecodeString(o.visibleData)
	p := simkit.Page{
		Title:   "BankID (simulated): sign",
		Message: "The service asks you to sign:",
		Text:    string(text),
		Form:    &simkit.Form{Action: s.AppURL(o.ref)},
	}
	if o.pnr != "" {
		p.Note = "Only the holder of personal number " + o.pnr + " can sign this order."
	}
	s.mu.Unlock()
	skin.Render(w, http.StatusOK, p)
}

// appSubmit handles POST /app/{orderRef}: action=sign or action=decline,
// as the signer's answer in the app. It redirects (303) to the order's
// returnUrl, as the app does on the same device, or shows the outcome.
func (s *Server) appSubmit(w http.ResponseWriter, r *http.Request) {
	action, ok := skin.ReadAction(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	o := s.lookup(r.PathValue("orderRef"))
	switch {
	case o == nil:
		s.mu.Unlock()
		appMessage(w, http.StatusNotFound, "No such order", "BankID does not know this order, or it has expired.", "")
		return
	case o.status != statusPending:
		link := o.returnURL
		s.mu.Unlock()
		appMessage(w, http.StatusConflict, "Already finished", "This order is already finished; nothing was changed.", link)
		return
	}
	now := s.cfg.Now()
	o.start(now)
	if action == "sign" {
		s.complete(o, simkit.ClientIP(r), now)
	} else {
		o.finish(statusFailed, hintUserCancel, now)
	}
	title, msg := outcomeText(o)
	target := o.returnURL
	s.mu.Unlock()
	if target != "" {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	appMessage(w, http.StatusOK, title, msg, "")
}

// findOrder is the live order match accepts, or nil; s.mu must be held.
func (s *Server) findOrder(match func(o *order) bool) *order {
	for ref := range s.orders {
		if o := s.lookup(ref); o != nil && match(o) {
			return o
		}
	}
	return nil
}

// autostart handles GET /app?autostarttoken=…: the autostart link opened
// on the signer's device starts the order and shows it.
func (s *Server) autostart(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("autostarttoken")
	s.mu.Lock()
	found := s.findOrder(func(o *order) bool {
		return token != "" && hmac.Equal([]byte(o.autoStartToken), []byte(token))
	})
	if found == nil || found.status != statusPending {
		s.mu.Unlock()
		appMessage(w, http.StatusNotFound, "Start failed", "The BankID app could not start this order (unknown or finished autostart token).", "")
		return
	}
	found.start(s.cfg.Now())
	target := s.AppURL(found.ref)
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// scan handles POST /app/scan with form field qr: the app scanning an
// animated QR code. The code must be bankid.<qrStartToken>.<t>.<code>
// with code the hex HMAC-SHA256 of t under the order's qrStartSecret and
// t the order's current age in seconds (give or take qrTolerance).
func (s *Server) scan(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		appMessage(w, http.StatusBadRequest, "Bad request", "The form could not be read.", "")
		return
	}
	parts := strings.Split(strings.TrimSpace(r.PostForm.Get("qr")), ".")
	if len(parts) != 4 || parts[0] != "bankid" {
		appMessage(w, http.StatusBadRequest, "Not a BankID code", "This QR code is not a BankID code.", "")
		return
	}
	t, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || t < 0 {
		appMessage(w, http.StatusBadRequest, "Not a BankID code", "The QR code's time is not a number.", "")
		return
	}
	s.mu.Lock()
	found := s.findOrder(func(o *order) bool { return hmac.Equal([]byte(o.qrStartToken), []byte(parts[1])) })
	if found == nil || found.status != statusPending {
		s.mu.Unlock()
		appMessage(w, http.StatusNotFound, "Start failed", "The QR code belongs to no open order.", "")
		return
	}
	now := s.cfg.Now()
	age := int64(now.Sub(found.created) / time.Second)
	mac := hmac.New(sha256.New, []byte(found.qrStartSecret))
	mac.Write([]byte(strconv.FormatInt(t, 10)))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(parts[3]))) || t > age+1 || age-t > qrTolerance {
		s.mu.Unlock()
		appMessage(w, http.StatusBadRequest, "Start failed", "The QR code is not valid (wrong code, or too old).", "")
		return
	}
	found.start(now)
	target := s.AppURL(found.ref)
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// outcomeText describes a finished order to the signer.
func outcomeText(o *order) (title, message string) {
	switch {
	case o.status == statusComplete:
		return "Signed", "You have signed with BankID (simulated). You can return to the service."
	case o.hint == hintUserCancel:
		return "Cancelled", "You cancelled the signing. You can return to the service."
	case o.hint == hintExpired:
		return "Expired", "The order expired before it was signed."
	case o.hint == hintCancelled:
		return "Cancelled", "The order was cancelled by the service."
	}
	return "Failed", "The order failed (" + o.hint + ")."
}
