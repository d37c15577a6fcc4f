package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/signet-dev/signet/internal/provider/bankid/errcode"
)

// maxBody bounds a request to the RP API: userNonVisibleData may be
// 200,000 characters.
const maxBody = 512 << 10

// BankID's limits on the encoded texts.
const (
	maxVisibleData    = 40000
	maxNonVisibleData = 200000
)

// api wraps an RP API handler: POST only, faults first, then the client
// certificate, the content type and the body, which must be a JSON object.
func (s *Server) api(op string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "Method not allowed")
			return
		}
		// The body is read first: only then does the server notice a
		// client that gives up during an injected delay.
		body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if s.Inject(w, r, op) {
			return
		}
		if msg := s.rpRefused(r); msg != "" {
			writeError(w, http.StatusUnauthorized, errcode.Unauthorized, msg)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, errcode.UnsupportedMedia, "Content-Type must be application/json")
			return
		}
		if readErr != nil {
			writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Request body too large or unreadable")
			return
		}
		if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' || !json.Valid(b) {
			writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid JSON")
			return
		}
		h(w, r, body)
	}
}

// rpRefused says why the caller is not a relying party BankID serves, or
// "" if it is: it must have presented a client certificate the TLS
// handshake verified, with RPCommonName if set.
func (s *Server) rpRefused(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "RP API requires mutual TLS with the relying party's client certificate"
	}
	if cn := r.TLS.VerifiedChains[0][0].Subject.CommonName; s.cfg.RPCommonName != "" && cn != s.cfg.RPCommonName {
		return "RP does not have access to the service"
	}
	return ""
}

// signBody is what the simulator reads of POST /sign.
type signBody struct {
	EndUserIP             *string `json:"endUserIp"`
	UserVisibleData       *string `json:"userVisibleData"`
	UserVisibleDataFormat *string `json:"userVisibleDataFormat"`
	UserNonVisibleData    *string `json:"userNonVisibleData"`
	ReturnURL             *string `json:"returnUrl"`
	Requirement           *struct {
		PersonalNumber *string `json:"personalNumber"`
	} `json:"requirement"`
}

type signAnswer struct {
	OrderRef       string `json:"orderRef"`
	AutoStartToken string `json:"autoStartToken"`
	QRStartToken   string `json:"qrStartToken"`
	QRStartSecret  string `json:"qrStartSecret"`
}

// sign handles POST /sign.
func (s *Server) sign(w http.ResponseWriter, r *http.Request, body []byte) {
	var b signBody
	if err := json.Unmarshal(body, &b); err != nil {
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid parameters: "+jsonField(err))
		return
	}
	o := &order{status: statusPending, hint: hintOutstanding}
	switch {
	case b.EndUserIP == nil || net.ParseIP(*b.EndUserIP) == nil:
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid endUserIp")
		return
	case b.UserVisibleData == nil || !validBase64(*b.UserVisibleData, maxVisibleData):
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid userVisibleData")
		return
	case b.UserVisibleDataFormat != nil && *b.UserVisibleDataFormat != "simpleMarkdownV1" && *b.UserVisibleDataFormat != "plaintext":
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid userVisibleDataFormat")
		return
	case b.UserNonVisibleData != nil && !validBase64(*b.UserNonVisibleData, maxNonVisibleData):
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid userNonVisibleData")
		return
	case b.ReturnURL != nil && !validReturnURL(*b.ReturnURL):
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid returnUrl")
		return
	}
	if b.Requirement != nil && b.Requirement.PersonalNumber != nil {
		if !validPersonalNumber(*b.Requirement.PersonalNumber) {
			writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Incorrect personalNumber")
			return
		}
		o.pnr = *b.Requirement.PersonalNumber
	}
	o.endUserIP = *b.EndUserIP
	o.visibleData = *b.UserVisibleData
	if b.UserVisibleDataFormat != nil {
		o.format = *b.UserVisibleDataFormat
	}
	if b.UserNonVisibleData != nil {
		o.nonVisibleData = *b.UserNonVisibleData
	}
	if b.ReturnURL != nil {
		o.returnURL = *b.ReturnURL
	}

	s.mu.Lock()
	now := s.cfg.Now()
	s.sweep(now)
	if o.pnr != "" {
		for _, other := range s.orders {
			if other.pnr == o.pnr && other.status == statusPending {
				// BankID aborts both: no new order, and the one in progress
				// is cancelled (its collect says failed/cancelled). Only
				// one order per person at a time.
				other.finish(statusFailed, hintCancelled, now)
				s.mu.Unlock()
				writeError(w, http.StatusBadRequest, errcode.AlreadyInProgress, "Order already in progress for pno")
				return
			}
		}
	}
	o.ref, o.autoStartToken, o.qrStartToken, o.qrStartSecret = newUUID(), newUUID(), newUUID(), newUUID()
	o.created, o.activity = now, now
	s.orders[o.ref] = o
	answer := signAnswer{OrderRef: o.ref, AutoStartToken: o.autoStartToken, QRStartToken: o.qrStartToken, QRStartSecret: o.qrStartSecret}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, answer)
}

// orderBody is the body of /collect and /cancel.
type orderBody struct {
	OrderRef *string `json:"orderRef"`
}

// lockOrder locks s.mu and returns the live order the body's orderRef
// names, still locked. Otherwise it unlocks, answers "Invalid orderRef"
// or "No such order" and returns false.
func (s *Server) lockOrder(w http.ResponseWriter, body []byte) (*order, bool) {
	var b orderBody
	if err := json.Unmarshal(body, &b); err != nil || b.OrderRef == nil || strings.TrimSpace(*b.OrderRef) == "" {
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Invalid orderRef")
		return nil, false
	}
	s.mu.Lock()
	o := s.lookup(*b.OrderRef)
	if o == nil {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "No such order")
		return nil, false
	}
	return o, true
}

// collect handles POST /collect.
func (s *Server) collect(w http.ResponseWriter, r *http.Request, body []byte) {
	o, ok := s.lockOrder(w, body)
	if !ok {
		return
	}
	ref, v := o.ref, o.view()
	switch {
	case o.status != statusPending:
		// BankID hands a finished order out once: the next collect
		// answers "No such order".
		delete(s.orders, ref)
	case o.hint == hintStarted:
		// The app shows the order to the signer right after starting it:
		// the next collect says userSign.
		o.hint = hintUserSign
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

// cancel handles POST /cancel. Only a pending order can be cancelled,
// and BankID forgets it at once: a later collect or cancel answers "No
// such order".
func (s *Server) cancel(w http.ResponseWriter, r *http.Request, body []byte) {
	o, ok := s.lockOrder(w, body)
	if !ok {
		return
	}
	if o.status != statusPending {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, errcode.InvalidParameters, "Order already "+o.status)
		return
	}
	delete(s.orders, o.ref)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct{}{})
}

// jsonField names what was wrong with a request body, without echoing it.
func jsonField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field
	}
	return "malformed body"
}

// validBase64 reports whether s is non-empty standard base64 of at most
// max characters.
func validBase64(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

func validReturnURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// validPersonalNumber is BankID's check of requirement.personalNumber:
// twelve digits, a plausible date and the Luhn digit. It is written apart
// from the adapter's on purpose, so each checks the other.
func validPersonalNumber(s string) bool {
	if len(s) != 12 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	if s[:2] != "19" && s[:2] != "20" {
		return false
	}
	month := int(s[4]-'0')*10 + int(s[5]-'0')
	day := int(s[6]-'0')*10 + int(s[7]-'0')
	if day > 60 {
		day -= 60
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return false
	}
	sum := 0
	for i := 2; i < 12; i++ {
		d := int(s[i] - '0')
		if (i-2)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
