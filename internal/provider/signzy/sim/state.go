package sim

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// Signzy's status words as the simulator uses them. Signzy documents only
// DRAFT and PENDING for signers; the others are the simulator's choice
// and are all words the adapter knows.
const (
	contractActive    = "ACTIVE"
	contractCompleted = "COMPLETED"
	contractCancelled = "CANCELLED"
	contractFailed    = "FAILED" // the Aadhaar eSign failed with no retry left

	signerPending    = "PENDING"
	signerInProgress = "IN_PROGRESS"
	signerSigned     = "SIGNED"
	signerCancelled  = "CANCELLED"
	signerFailed     = "FAILED"

	declineMessage = "Signer declined to sign"
)

// ist is India Standard Time, the zone of Signzy's human-readable times.
var ist = time.FixedZone("IST", 5*3600+30*60)

// humanTime is Signzy's "DD/MM/YYYY, HH:mm:ss" (IST), as in
// contractCreationTime.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(ist).Format("02/01/2006, 15:04:05")
}

// isoTime is a JavaScript Date's toISOString(), as in contractExpiresOn.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// contract is one simulated contract.
type contract struct {
	id                 string
	name, executer     string
	successURL         string
	failureURL         string
	callbackURL        string
	callbackAuth       string
	signerCallbackURL  string
	signerCallbackAuth string
	eSignProvider      string
	mailList           []string
	ttl                int64 // milliseconds, as given
	created, expires   time.Time
	completed          time.Time
	cancelled          time.Time
	ended              time.Time // when it stopped being ACTIVE
	status             string
	callbackStatus     string

	original     []byte
	originalHash string
	signed       []byte // the current signed state; final when completed
	signedHash   string
	audit        []byte // the audit certificate, once completed
	auditHash    string

	signers []*signer
}

type signer struct {
	id, name      string
	gender, yob   string
	uid           string
	signatureType string
	signatures    json.RawMessage // echoed back as given
	status        string
	lastSignTime  time.Time
	cancelMessage string
	errorMessage  string
	aadhaarStatus string
	aadhaarError  string
	ip            string
	successes     int
	failures      int
	attempts      []*attempt
	signedPDF     []byte // the contract as it stood after this signer signed
	signedPDFHash string
}

type attempt struct {
	errorMessage string
	aadhaarState string // "" while in progress, "1" success, "0" failure
	aadhaarError string
	dsc          *dscData
}

// finished reports whether nothing more can happen to c.
func (c *contract) finished() bool {
	return c.status != contractActive
}

// expired reports whether c ran out of time unfinished.
func (c *contract) expired(now time.Time) bool {
	return !c.finished() && !now.Before(c.expires)
}

func (c *contract) signer(id string) *signer {
	for _, s := range c.signers {
		if s.id == id {
			return s
		}
	}
	return nil
}

func (c *contract) countSigners(status string) int {
	n := 0
	for _, s := range c.signers {
		if s.status == status {
			n++
		}
	}
	return n
}

// openAttempt returns the signer's attempt in progress, starting one if
// there is none: opening the page begins an Aadhaar eSign attempt.
func (s *signer) openAttempt() *attempt {
	if n := len(s.attempts); n > 0 && s.attempts[n-1].aadhaarState == "" {
		return s.attempts[n-1]
	}
	a := &attempt{}
	s.attempts = append(s.attempts, a)
	return a
}

// The JSON views. Field order follows Signzy's documentation.

// pullView is the pullData answer: every field of the seed's
// SignzyRefreshSigning.response_type (estamp omitted, as Signzy does when
// none was requested), plus the fields Signzy returns live.
type pullView struct {
	ContractID                 string       `json:"contractId"`
	InitialSignerCount         int          `json:"initialSignerCount"`
	SignedSignerCount          int          `json:"signedSignerCount"`
	DeletedSignerCount         int          `json:"deletedSignerCount"`
	CancelledSignerCount       int          `json:"cancelledSignerCount"`
	ContractName               string       `json:"contractName"`
	ContractExecuterName       string       `json:"contractExecuterName"`
	SuccessRedirectURL         string       `json:"successRedirectUrl"`
	FailureRedirectURL         string       `json:"failureRedirectUrl"`
	CallbackURL                string       `json:"callbackUrl"`
	SignerCallbackURL          string       `json:"signerCallbackUrl"`
	ContractTTL                int64        `json:"contractTtl"`
	ContractCreationTime       string       `json:"contractCreationTime"`
	InitialContract            string       `json:"initialContract"`
	InitialContractHash        string       `json:"initialContractHash"`
	FinalSignedContract        string       `json:"finalSignedContract"`
	FinalSignedContractHash    string       `json:"finalSignedContractHash"`
	IsCompleted                bool         `json:"isCompleted"`
	ContractCompletionTime     string       `json:"contractCompletionTime"`
	ContractStatus             string       `json:"contractStatus"`
	ContractCancelTimestamp    string       `json:"contractCancelTimestamp"`
	CustomerMailList           []string     `json:"customerMailList"`
	CustomerMailListVisibility string       `json:"customerMailListVisibility"`
	CallbackStatus             string       `json:"callbackStatus"`
	AuditCertificateURL        string       `json:"auditCertificateUrl"`
	AuditCertificateHash       string       `json:"auditCertificateHash"`
	SignerDetail               []signerView `json:"signerdetail"`
	DeletedSignerDetail        []any        `json:"deletedsignerdetail"`
}

type signerView struct {
	SignerName               string        `json:"signerName"`
	SignerGender             string        `json:"signerGender"`
	SignerYearOfBirth        string        `json:"signerYearOfBirth"`
	UIDLastFourDigits        string        `json:"uidLastFourDigits"`
	SignerID                 string        `json:"signerId"`
	SignatureType            string        `json:"signatureType"`
	ESignURL                 string        `json:"esignUrl"`
	ContractLastSignTime     string        `json:"contractLastSignTime"`
	Status                   string        `json:"status"`
	SignerCancelMessage      string        `json:"signerCancelMessage,omitempty"`
	ErrorMessage             string        `json:"errorMessage"`
	AadhaarStatus            string        `json:"aadhaarStatus"`
	AadhaarErrorMessage      string        `json:"aadhaarErrorMessage"`
	MatchScoreResult         struct{}      `json:"matchScoreResult"`
	NameMatchResult          string        `json:"nameMatchResult"`
	SignerIP                 string        `json:"signerIP"`
	NoOfSuccessfulAttempts   int           `json:"noOfSuccessfulAttempts"`
	NoOfFailureAttempts      int           `json:"noOfFailureAttempts"`
	SignerSignedContract     string        `json:"signerSignedContract"`
	SignerSignedContractHash string        `json:"signerSignedContractHash"`
	ESignAttempts            []attemptView `json:"esignAttempts"`
}

type attemptView struct {
	ErrorMessage        string   `json:"errorMessage"`
	AadhaarStatus       string   `json:"aadhaarStatus"`
	AadhaarErrorMessage string   `json:"aadhaarErrorMessage"`
	SignerDscData       *dscData `json:"signerDscData"`
}

// dscData is what the eSign certificate says about the signer.
type dscData struct {
	State                string `json:"state"`
	Pincode              string `json:"pincode"`
	DNQualifier          string `json:"dnQualifier"`
	YOB                  string `json:"yob"`
	Gender               string `json:"gender"`
	UIDLastFourDigits    string `json:"uidLastFourDigits"`
	X500UniqueIdentifier string `json:"x500UniqueIdentifier"`
	AadhaarToken         string `json:"aadhaarToken"`
	Pseudonym            string `json:"pseudonym"`
	AadhaarType          string `json:"aadhaarType"`
	Country              string `json:"country"`
	Name                 string `json:"name"`
}

// fileURL is the download link of one of c's files. Like Signzy's
// persist links it needs no token: the contract id and the file's hash
// make it unguessable.
func (s *Server) fileURL(c *contract, file string) string {
	return s.Mount.Base + "/api/files/" + c.id + "/download/" + file
}

func (s *Server) esignURL(sg *signer) string {
	return s.Mount.Base + "/api/v3/contract/esign/" + sg.id
}

// view renders c as pullData answers it. With base64Output the final
// signed contract is the PDF itself, base64-encoded; otherwise a link.
func (s *Server) view(c *contract, base64Output bool) pullView {
	v := pullView{
		ContractID:                 c.id,
		InitialSignerCount:         len(c.signers),
		SignedSignerCount:          c.countSigners(signerSigned),
		CancelledSignerCount:       c.countSigners(signerCancelled),
		ContractName:               c.name,
		ContractExecuterName:       c.executer,
		SuccessRedirectURL:         c.successURL,
		FailureRedirectURL:         c.failureURL,
		CallbackURL:                c.callbackURL,
		SignerCallbackURL:          c.signerCallbackURL,
		ContractTTL:                c.ttl,
		ContractCreationTime:       humanTime(c.created),
		InitialContract:            s.fileURL(c, c.originalHash+".pdf"),
		InitialContractHash:        c.originalHash,
		IsCompleted:                c.status == contractCompleted,
		ContractCompletionTime:     humanTime(c.completed),
		ContractStatus:             c.status,
		ContractCancelTimestamp:    isoTime(c.cancelled),
		CustomerMailList:           append([]string{}, c.mailList...),
		CustomerMailListVisibility: "ALL",
		CallbackStatus:             c.callbackStatus,
		SignerDetail:               []signerView{},
		DeletedSignerDetail:        []any{},
	}
	if v.IsCompleted {
		v.FinalSignedContractHash = c.signedHash
		v.FinalSignedContract = s.fileURL(c, c.signedHash+".pdf")
		if base64Output {
			v.FinalSignedContract = base64.StdEncoding.EncodeToString(c.signed)
		}
		v.AuditCertificateURL = s.fileURL(c, "audit-"+c.auditHash+".pdf")
		v.AuditCertificateHash = c.auditHash
	}
	for _, sg := range c.signers {
		v.SignerDetail = append(v.SignerDetail, s.signerView(c, sg))
	}
	return v
}

func (s *Server) signerView(c *contract, sg *signer) signerView {
	gender := sg.gender
	if gender == "" {
		gender = "NA" // what Signzy shows for a signer without one
	}
	sv := signerView{
		SignerName:             sg.name,
		SignerGender:           gender,
		SignerYearOfBirth:      sg.yob,
		UIDLastFourDigits:      sg.uid,
		SignerID:               sg.id,
		SignatureType:          sg.signatureType,
		ESignURL:               s.esignURL(sg),
		ContractLastSignTime:   humanTime(sg.lastSignTime),
		Status:                 sg.status,
		SignerCancelMessage:    sg.cancelMessage,
		ErrorMessage:           sg.errorMessage,
		AadhaarStatus:          sg.aadhaarStatus,
		AadhaarErrorMessage:    sg.aadhaarError,
		SignerIP:               sg.ip,
		NoOfSuccessfulAttempts: sg.successes,
		NoOfFailureAttempts:    sg.failures,
		ESignAttempts:          []attemptView{},
	}
	if sg.signedPDF != nil {
		sv.SignerSignedContract = s.fileURL(c, sg.signedPDFHash+".pdf")
		sv.SignerSignedContractHash = sg.signedPDFHash
	}
	for _, a := range sg.attempts {
		dsc := a.dsc
		if dsc == nil {
			dsc = &dscData{} // an attempt in progress: nothing certified yet
		}
		sv.ESignAttempts = append(sv.ESignAttempts, attemptView{
			ErrorMessage:        a.errorMessage,
			AadhaarStatus:       a.aadhaarState,
			AadhaarErrorMessage: a.aadhaarError,
			SignerDscData:       dsc,
		})
	}
	return sv
}
