package sim

import (
	"crypto/rand"
	"math/big"
	"strings"
	"time"
)

// Digio's status words as the simulator uses them. agreement_status
// "requested", "completed" and "expired" and signer statuses "requested"
// and "signed" are Digio's documented words; the others are the
// simulator's choice for what Digio does not document, and are all words
// the adapter knows.
const (
	docRequested = "requested"
	docCompleted = "completed"
	docExpired   = "expired"
	docCancelled = "cancelled"
	docRejected  = "rejected"
	docFailed    = "failed"

	partyRequested = "requested"
	partyViewed    = "viewed" // the signer opened the gateway
	partySigned    = "signed"
	partyRejected  = "rejected"
	partyFailed    = "failed"
	partyExpired   = "expired"
	partyCancelled = "cancelled"

	declineMessage = "Signer declined to sign"
)

// Digio's sign types.
var signTypes = []string{"aadhaar", "electronic", "dsc"}

// ist is India Standard Time, the zone of Digio's timestamps.
var ist = time.FixedZone("IST", 5*3600+30*60)

// digioTime is Digio's "2006-01-02 15:04:05" (IST), as in created_at.
func digioTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.In(ist).Format("2006-01-02 15:04:05")
}

// millis is a webhook's time: epoch milliseconds.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// endOfDay is 23:59:59 IST of the day days after t: Digio's expire_on.
func endOfDay(t time.Time, days int) time.Time {
	d := t.In(ist).AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, ist)
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID makes an id in Digio's shape: a three-letter prefix (DID for
// documents, GWT for gateway tokens, WHN for webhook notifications), the
// time as yyMMddHHmmss (IST), four digits and thirteen random letters and
// digits, 32 characters in all.
func newID(prefix string, now time.Time) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString(now.In(ist).Format("060102150405"))
	for range 4 {
		b.WriteByte(idAlphabet[26+randInt(10)])
	}
	for range 13 {
		b.WriteByte(idAlphabet[randInt(len(idAlphabet))])
	}
	return b.String()
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("digio sim: crypto/rand: " + err.Error())
	}
	return int(v.Int64())
}

// doc is one simulated document.
type doc struct {
	id          string
	fileName    string
	status      string
	created     time.Time
	updated     time.Time
	expireOn    time.Time
	ended       time.Time // when it stopped being requested
	pages       int
	original    []byte
	current     []byte // the PDF as it stands: original plus signatures so far
	version     int    // counts the signatures in current
	token       *token
	parties     []*party
	sequential  bool   // signers sign in the order given (upload's "sequential")
	lastSigned  string // identifier of the last signer
	unknownNext int    // details answers still to report an unknown status
	errorCode   string // of a failed signing
	errorMsg    string
}

type party struct {
	identifier string
	name       string
	signType   string
	reason     string
	status     string
	updated    time.Time
	comment    string         // the signer's words on a decline (review_comment)
	errorMsg   string         // why the eSign failed
	aadhaar    *aadhaarRecord // who signed, once signed with Aadhaar
}

type token struct {
	id        string
	created   time.Time
	validTill time.Time
}

// open reports whether the document can still be signed.
func (d *doc) open() bool { return d.status == docRequested }

// party returns the signer with the identifier, or nil.
func (d *doc) party(identifier string) *party {
	for _, p := range d.parties {
		if strings.EqualFold(p.identifier, identifier) {
			return p
		}
	}
	return nil
}

// waitsFor is the first signer before p who has still to sign in a
// sequential document, or nil when it is p's turn (or the order is free).
func (d *doc) waitsFor(p *party) *party {
	if !d.sequential {
		return nil
	}
	for _, x := range d.parties {
		if x == p {
			return nil
		}
		if x.status != partySigned {
			return x
		}
	}
	return nil
}

func (d *doc) allSigned() bool {
	for _, p := range d.parties {
		if p.status != partySigned {
			return false
		}
	}
	return true
}

// end closes the document with status; unsigned signers get partyStatus.
func (d *doc) end(status, partyStatus string, now time.Time) {
	d.status, d.updated, d.ended = status, now, now
	for _, p := range d.parties {
		if p.status == partyRequested || p.status == partyViewed {
			p.status, p.updated = partyStatus, now
		}
	}
}

// expireIfDue expires an open document past its expire_on.
func (d *doc) expireIfDue(now time.Time) {
	if d.open() && now.After(d.expireOn) {
		d.end(docExpired, partyExpired, d.expireOn)
	}
}

// The JSON views, in Digio's field order. Details answers write times as
// "2006-01-02 15:04:05"; webhooks write them as epoch milliseconds and
// carry a few more (mostly null) fields.

type docView struct {
	ID                    string      `json:"id"`
	IsAgreement           bool        `json:"is_agreement"`
	AgreementType         string      `json:"agreement_type"`
	AgreementStatus       string      `json:"agreement_status"`
	FileName              string      `json:"file_name"`
	UpdatedAt             any         `json:"updated_at"`
	CreatedAt             any         `json:"created_at,omitempty"`
	SelfSigned            bool        `json:"self_signed"`
	SelfSignType          string      `json:"self_sign_type"`
	NoOfPages             int         `json:"no_of_pages"`
	SigningParties        []partyView `json:"signing_parties"`
	SignRequestDetails    requestView `json:"sign_request_details"`
	Channel               string      `json:"channel"`
	OtherDocDetails       otherView   `json:"other_doc_details"`
	AccessToken           *tokenView  `json:"access_token,omitempty"`
	AttachedEstampDetails struct{}    `json:"attached_estamp_details"`
	Others                *othersView `json:"others,omitempty"`
	ErrorCode             string      `json:"error_code,omitempty"`
	ErrorMessage          string      `json:"error_message,omitempty"`
	SignerIdentifier      string      `json:"signer_identifier,omitempty"`
}

type partyView struct {
	Name          string `json:"name"`
	Status        string `json:"status"`
	UpdatedAt     any    `json:"updated_at"`
	Type          string `json:"type"`
	SignatureType string `json:"signature_type"`
	SignatureMode string `json:"signature_mode,omitempty"`
	Identifier    string `json:"identifier"`
	Reason        any    `json:"reason"`
	ExpireOn      any    `json:"expire_on"`
	ReviewComment any    `json:"review_comment,omitempty"`
	ErrorMessage  string `json:"error_message,omitempty"`
	// PKISignatureDetails is who signed, from the Aadhaar eKYC.
	PKISignatureDetails *pkiView `json:"pki_signature_details,omitempty"`
}

type requestView struct {
	Name          string `json:"name"`
	RequestedOn   any    `json:"requested_on"`
	ExpireOn      any    `json:"expire_on"`
	Identifier    string `json:"identifier"`
	RequesterType string `json:"requester_type"`
}

type otherView struct {
	WebHookAvailable bool `json:"web_hook_available"`
}

type tokenView struct {
	CreatedAt any    `json:"created_at"`
	ID        string `json:"id"`
	EntityID  string `json:"entity_id"`
	ValidTill any    `json:"valid_till"`
}

type othersView struct {
	LastSignedBy any  `json:"last_signed_by"`
	HasAllSigned bool `json:"has_all_signed"`
}

// requester is who the simulated account is, as sign_request_details
// shows it.
const (
	requesterName       = "Signet Sandbox"
	requesterIdentifier = "sandbox@signet.example"
)

// view renders d as an answer (details, upload or cancel) or, with
// webhook, as a webhook's payload.document. withToken adds the access
// token (the upload answer only). s.mu must be held.
func (s *Server) view(d *doc, webhook, withToken bool) docView {
	ts := digioTime
	if webhook {
		ts = millis
	}
	v := docView{
		ID:              d.id,
		IsAgreement:     true,
		AgreementType:   "outbound",
		AgreementStatus: d.status,
		FileName:        d.fileName,
		UpdatedAt:       ts(d.updated),
		SelfSigned:      false,
		SelfSignType:    "aadhaar",
		NoOfPages:       d.pages,
		SigningParties:  []partyView{},
		SignRequestDetails: requestView{
			Name: requesterName, RequestedOn: ts(d.created), ExpireOn: ts(d.expireOn),
			Identifier: requesterIdentifier, RequesterType: "org",
		},
		Channel:         "api",
		OtherDocDetails: otherView{WebHookAvailable: s.cfg.WebhookURL != ""},
	}
	if !webhook {
		v.CreatedAt = ts(d.created)
	} else {
		var last any
		if d.lastSigned != "" {
			last = d.lastSigned
		}
		v.Others = &othersView{LastSignedBy: last, HasAllSigned: d.allSigned()}
	}
	if withToken && d.token != nil {
		v.AccessToken = &tokenView{CreatedAt: ts(d.token.created), ID: d.token.id, EntityID: d.id, ValidTill: ts(d.token.validTill)}
	}
	for _, p := range d.parties {
		pv := partyView{
			Name:          p.name,
			Status:        p.status,
			UpdatedAt:     ts(p.updated),
			Type:          "self",
			SignatureType: p.signType,
			Identifier:    p.identifier,
			ExpireOn:      ts(d.expireOn),
			ErrorMessage:  p.errorMsg,

			PKISignatureDetails: p.aadhaar.view(),
		}
		if p.signType == "electronic" {
			pv.SignatureMode = "slate"
		}
		if p.reason != "" {
			pv.Reason = p.reason
		}
		if p.comment != "" {
			pv.ReviewComment = p.comment
		}
		v.SigningParties = append(v.SigningParties, pv)
	}
	return v
}
