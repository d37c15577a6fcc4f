package page

import (
	_ "embed"
	"html/template"
	"net/http"

	"github.com/signet-dev/signet/internal/signing"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// text is the page's wording in one language.
type text struct {
	Lang, Title, Intro, Scan, SameDevice, SameDeviceAlt, QRFallback string
	Document, Hash                                                  string
	Waiting, Started                                                string
	Return, Redirecting                                             string
	SandboxTitle, SandboxNote, Sign, Decline                        string
	Outcomes                                                        map[signing.Status][2]string // title, message
}

var texts = map[string]text{
	"en": {
		Lang:          "en",
		Title:         "Sign with BankID",
		Intro:         "Open the BankID app on your phone and scan the QR code.",
		Scan:          "The code changes every second.",
		SameDevice:    "Open BankID on this device",
		SameDeviceAlt: "or use this link",
		QRFallback:    "QR code data:",
		Document:      "Document",
		Hash:          "SHA-256",
		Waiting:       "Waiting for the BankID app…",
		Started:       "Continue in the BankID app.",
		Return:        "Return to the service",
		Redirecting:   "You will be taken back to the service.",
		SandboxTitle:  "Sandbox: simulated BankID app",
		SandboxNote:   "No phone needed: answer as the signer would in the BankID app.",
		Sign:          "Sign",
		Decline:       "Decline",
		Outcomes: map[signing.Status][2]string{
			signing.StatusCompleted: {"Signed", "The document is signed with BankID."},
			signing.StatusFailed:    {"Not signed", "The signing did not go through."},
			signing.StatusExpired:   {"Expired", "The time to sign has run out."},
			signing.StatusCancelled: {"Cancelled", "The signing was cancelled."},
		},
	},
	"sv": {
		Lang:          "sv",
		Title:         "Signera med BankID",
		Intro:         "Starta BankID-appen i din mobil och skanna QR-koden.",
		Scan:          "Koden byts varje sekund.",
		SameDevice:    "Öppna BankID på den här enheten",
		SameDeviceAlt: "eller använd den här länken",
		QRFallback:    "QR-kodens innehåll:",
		Document:      "Dokument",
		Hash:          "SHA-256",
		Waiting:       "Väntar på BankID-appen…",
		Started:       "Fortsätt i BankID-appen.",
		Return:        "Tillbaka till tjänsten",
		Redirecting:   "Du skickas tillbaka till tjänsten.",
		SandboxTitle:  "Sandlåda: simulerad BankID-app",
		SandboxNote:   "Ingen mobil behövs: svara som undertecknaren skulle göra i BankID-appen.",
		Sign:          "Signera",
		Decline:       "Avböj",
		Outcomes: map[signing.Status][2]string{
			signing.StatusCompleted: {"Undertecknat", "Dokumentet är undertecknat med BankID."},
			signing.StatusFailed:    {"Inte undertecknat", "Underskriften gick inte igenom."},
			signing.StatusExpired:   {"Tiden har gått ut", "Tiden för att skriva under har gått ut."},
			signing.StatusCancelled: {"Avbrutet", "Underskriften avbröts."},
		},
	},
}

// pageData fills page.html.
type pageData struct {
	T     text
	Nonce string

	Terminal      bool
	OutcomeTitle  string
	OutcomeText   string
	FailureReason string
	ReturnURL     string
	StatusLine    string
	InProgress    bool

	Document string
	Hash     string

	QRData    string
	QRSVG     template.HTML
	QRPath    string
	Scheme    template.URL
	Universal string

	Sandbox   bool
	SimAppURL string
}

// page handles GET {prefix}/{sessionId}: the QR page while the session is
// open, its outcome once finished.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	v := h.load(w, r, true)
	if v == nil {
		return
	}
	t, ok := texts[v.sess.Language]
	if !ok {
		t = texts["en"]
	}
	d := pageData{T: t, Nonce: newNonce(), Document: v.sess.DocumentName, Hash: v.state.DocumentSHA256}
	if v.sess.Status.Terminal() {
		d.Terminal = true
		o := t.Outcomes[v.sess.Status]
		d.OutcomeTitle, d.OutcomeText = o[0], o[1]
		if v.sess.Status == signing.StatusFailed {
			d.FailureReason = v.sess.FailureReason
		}
		d.ReturnURL = safeURL(v.sess.ReturnURL)
	} else {
		d.StatusLine = t.Waiting
		if v.sess.Status == signing.StatusInProgress {
			d.StatusLine, d.InProgress = t.Started, true
		}
		d.QRData = QRData(v.state.QRStartToken, v.state.QRStartSecret, h.elapsed(v.state))
		d.QRSVG = template.HTML(svg(d.QRData)) // our own encoder's output: no user data in it
		d.QRPath = h.path(v, "/qr")
		scheme, universal := autostartLinks(v.state.AutoStartToken)
		d.Scheme = template.URL(scheme) // built from an escaped token: safe
		d.Universal = universal
		if h.cfg.Sandbox {
			d.Sandbox = true
			d.SimAppURL = h.cfg.SimAppURL(v.sess.ProviderRef)
		}
	}

	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer") // the URL carries the page token
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	// No form-action: the sandbox form posts to the simulator, which
	// redirects back here, and browsers check redirects against it.
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "+
		"connect-src 'self'; script-src 'nonce-"+d.Nonce+"'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	if err := pageTemplate.Execute(w, d); err != nil {
		h.log.Warn("bankid page: render", "session", v.sess.ID, "err", err)
	}
}
