package sim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// Limits and defaults of the simulated API.
const (
	maxInitiateBody = 32 << 20
	maxPullBody     = 64 << 10
	defaultTTL      = 14 * 24 * time.Hour // Signzy's documented default contractTtl
	fileRetention   = 48 * time.Hour      // Signzy's fileTtl "2 days"
)

// initiateView is the initiate answer, in Signzy's documented shape.
type initiateView struct {
	CustomerID                     string            `json:"customerId"`
	Username                       string            `json:"username"`
	ContractID                     string            `json:"contractId"`
	PDF                            string            `json:"pdf"`
	InitialContractHash            string            `json:"initialContractHash"`
	ContractName                   string            `json:"contractName"`
	ContractExecuterName           string            `json:"contractExecuterName"`
	SuccessRedirectURL             string            `json:"successRedirectUrl"`
	FailureRedirectURL             string            `json:"failureRedirectUrl"`
	ESignProvider                  string            `json:"eSignProvider"`
	ContractTTL                    int64             `json:"contractTtl"`
	SignerDetail                   []initiatedSigner `json:"signerdetail"`
	CallbackURL                    string            `json:"callbackUrl"`
	CallbackURLAuthorizationHeader string            `json:"callbackUrlAuthorizationHeader"`
	SignerCallbackURL              string            `json:"signerCallbackUrl"`
	CallbackExtraParameter         []string          `json:"callbackExtraParameter"`
	FileTTL                        string            `json:"fileTtl"`
	ContractStatus                 string            `json:"contractStatus"`
	ContractExpiresOn              string            `json:"contractExpiresOn"`
}

type initiatedSigner struct {
	SignerID          string          `json:"signerId"`
	SignerName        string          `json:"signerName"`
	SignatureType     string          `json:"signatureType"`
	UIDLastFourDigits string          `json:"uidLastFourDigits"`
	SignerYearOfBirth string          `json:"signerYearOfBirth"`
	SignerGender      string          `json:"signerGender"`
	Signatures        json.RawMessage `json:"signatures"`
	ESignURL          string          `json:"esignUrl"`
}

// initiate handles POST /api/v3/contract/initiate.
func (s *Server) initiate(w http.ResponseWriter, r *http.Request) {
	body, ok := simkit.ReadBody(w, r, maxInitiateBody, writeError)
	if !ok || !s.admit(w, r, OpInitiate) {
		return
	}
	now := s.cfg.Now()
	c, msg := parseInitiate(body)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "", msg)
		return
	}
	c.id = uuid.NewString()
	c.created = now
	c.expires = now.Add(time.Duration(c.ttl) * time.Millisecond)
	c.status = contractActive
	for _, sg := range c.signers {
		sg.id = uuid.NewString()
	}

	s.mu.Lock()
	s.prune(now)
	s.contracts[c.id] = c
	for _, sg := range c.signers {
		s.signers[sg.id] = c.id
	}
	s.retained.Add(c.id, c, int64(len(c.original)))
	v := initiateView{
		CustomerID:                     s.customerID,
		Username:                       "signet-sandbox",
		ContractID:                     c.id,
		PDF:                            s.fileURL(c, c.originalHash+".pdf"),
		InitialContractHash:            c.originalHash,
		ContractName:                   c.name,
		ContractExecuterName:           c.executer,
		SuccessRedirectURL:             c.successURL,
		FailureRedirectURL:             c.failureURL,
		ESignProvider:                  c.eSignProvider,
		ContractTTL:                    c.ttl,
		CallbackURL:                    c.callbackURL,
		CallbackURLAuthorizationHeader: c.callbackAuth,
		SignerCallbackURL:              c.signerCallbackURL,
		CallbackExtraParameter:         []string{},
		FileTTL:                        "2 days",
		ContractStatus:                 c.status,
		ContractExpiresOn:              isoTime(c.expires),
	}
	for _, sg := range c.signers {
		v.SignerDetail = append(v.SignerDetail, initiatedSigner{
			SignerID: sg.id, SignerName: sg.name, SignatureType: sg.signatureType,
			UIDLastFourDigits: sg.uid, SignerYearOfBirth: sg.yob, SignerGender: sg.gender,
			Signatures: sg.signatures, ESignURL: s.esignURL(sg),
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

// pullData handles POST /api/v3/contract/pullData.
func (s *Server) pullData(w http.ResponseWriter, r *http.Request) {
	body, ok := simkit.ReadBody(w, r, maxPullBody, writeError)
	if !ok || !s.admit(w, r, OpPullData) {
		return
	}
	f, err := objectFields(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "", err.Error())
		return
	}
	id, msg := f.RequiredString("contractId")
	if msg == "" && len(id) != 36 {
		msg = "contractId length must be 36 characters long"
	}
	if msg != "" {
		writeError(w, http.StatusBadRequest, "", msg)
		return
	}
	b64, msg := f.Bool("base64EncodedOutput", false)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "", msg)
		return
	}
	// filesInBase64 is the newer name of the same request.
	if filesB64, msg := f.Bool("filesInBase64", false); msg != "" {
		writeError(w, http.StatusBadRequest, "", msg)
		return
	} else if filesB64 {
		b64 = true
	}
	s.mu.Lock()
	c := s.lookup(id)
	var v pullView
	if c != nil {
		v = s.view(c, b64)
	}
	s.mu.Unlock()
	if c == nil {
		writeError(w, http.StatusNotFound, "", "Contract not found")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// lookup finds a live contract; s.mu must be held. An unfinished contract
// past its contractTtl is expired: like Signzy, the simulator forgets it
// and answers 404 from then on.
func (s *Server) lookup(id string) *contract {
	c := s.contracts[id]
	if c == nil {
		return nil
	}
	if c.expired(s.cfg.Now()) {
		s.forget(c)
		return nil
	}
	return c
}

// prune forgets expired contracts and finished ones past Signzy's file
// retention, so that a long-running sandbox does not grow without bound;
// s.mu must be held.
func (s *Server) prune(now time.Time) {
	for _, c := range s.contracts {
		if c.expired(now) || (c.finished() && now.Sub(c.ended) > fileRetention) {
			s.forget(c)
		}
	}
}

func (s *Server) forget(c *contract) {
	s.retained.Remove(c.id)
	delete(s.contracts, c.id)
	for _, sg := range c.signers {
		delete(s.signers, sg.id)
	}
}

// parseInitiate validates an initiate body the way Signzy does (the first
// broken rule, in Signzy's words) and builds the contract from it.
func parseInitiate(body []byte) (*contract, string) {
	f, err := objectFields(body)
	if err != nil {
		return nil, err.Error()
	}
	c := &contract{}
	var b simkit.Broken
	var pdfText, alt, esp string
	simkit.Read(&b, &pdfText, f.RequiredString, "pdf")
	simkit.Read(&b, &c.name, f.OptionalString, "contractName")
	simkit.Read(&b, &c.executer, f.OptionalString, "contractExecuterName")
	simkit.Read(&b, &c.successURL, f.requiredURI, "successRedirectUrl")
	simkit.Read(&b, &c.failureURL, f.requiredURI, "failureRedirectUrl")
	simkit.Read(&b, &c.ttl, f.ttl, "contractTtl")
	simkit.Read(&b, &c.callbackURL, f.requiredURI, "callbackUrl")
	simkit.Read(&b, &c.callbackAuth, f.OptionalString, "callbackUrlAuthorizationHeader")
	simkit.Read(&b, &c.signerCallbackURL, f.optionalURI, "signerCallbackUrl")
	simkit.Read(&b, &c.signerCallbackAuth, f.OptionalString, "signerCallbackAuthorizationHeader")
	// The same secret under the name that follows callbackUrlAuthorizationHeader's.
	simkit.Read(&b, &alt, f.OptionalString, "signerCallbackUrlAuthorizationHeader")
	simkit.Read(&b, &esp, f.OptionalString, "eSignProvider")
	if b.Msg != "" {
		return nil, b.Msg
	}
	if c.signerCallbackAuth == "" {
		c.signerCallbackAuth = alt
	}
	switch strings.ToUpper(esp) {
	case "", "EMUDHRA":
		c.eSignProvider = "EMUDHRA"
	case "NSDL":
		c.eSignProvider = "NSDL"
	default:
		return nil, "eSignProvider must be one of [EMUDHRA, NSDL]"
	}
	simkit.Read(&b, &c.mailList, f.stringList, "customerMailList")
	if b.Msg != "" {
		return nil, b.Msg
	}
	signers, msg := parseSigners(f)
	if msg != "" {
		return nil, msg
	}
	c.signers = signers
	if strings.ContainsAny(c.callbackAuth+c.signerCallbackAuth, "\r\n") {
		return nil, "callbackUrlAuthorizationHeader must be a single line"
	}

	if strings.HasPrefix(pdfText, "http://") || strings.HasPrefix(pdfText, "https://") {
		// Signzy downloads a pdf given as a URL; the simulator fetches
		// nothing on a caller's behalf (it would be an open proxy).
		return nil, "pdf URLs are not supported by the sandbox: send the PDF as base64"
	}
	doc, err := base64.StdEncoding.DecodeString(strings.TrimSpace(pdfText))
	if err != nil {
		return nil, "pdf must be a valid base64 encoded PDF or a URL"
	}
	// Signzy must be able to sign the document, so it must parse.
	if _, err := pdf.Validate(doc); err != nil {
		return nil, "pdf is not a valid PDF file"
	}
	c.original = doc
	c.originalHash = simkit.SHA256Hex(doc)
	if c.name == "" {
		c.name = "Contract"
	}
	return c, ""
}

var signatureTypes = []string{"AADHAARESIGN-OTP", "AADHAARESIGN-FINGERPRINT", "AADHAARESIGN-FACEAUTH"}

func parseSigners(f fields) ([]*signer, string) {
	items, msg := f.ObjectList("signerdetail")
	if msg != "" {
		return nil, msg
	}
	var out []*signer
	for i, sf := range items {
		p := "signerdetail[" + itoa(i) + "]."
		sg := &signer{status: signerPending}
		if sg.name, msg = sf.RequiredString("signerName"); msg != "" {
			return nil, p + msg
		}
		st, msg := sf.RequiredString("signatureType")
		if msg != "" {
			return nil, p + msg
		}
		for _, t := range signatureTypes {
			if strings.EqualFold(st, t) {
				sg.signatureType = t
			}
		}
		if sg.signatureType == "" {
			return nil, p + "signatureType must be one of [" + strings.Join(signatureTypes, ", ") + "]"
		}
		if _, msg := sf.ObjectList("signatures"); msg != "" {
			return nil, p + msg
		}
		sg.signatures = sf.Raw("signatures")
		if sg.gender, msg = sf.OptionalString("signerGender"); msg != "" {
			return nil, p + msg
		}
		switch strings.ToLower(sg.gender) {
		case "", "male", "female", "transgender":
		default:
			return nil, p + "signerGender must be one of [male, female, transgender]"
		}
		if sg.yob, msg = sf.OptionalString("signerYearOfBirth"); msg != "" {
			return nil, p + msg
		}
		if sg.uid, msg = sf.OptionalString("uidLastFourDigits"); msg != "" {
			return nil, p + msg
		}
		if sg.uid != "" && !simkit.Digits(sg.uid, 4) {
			return nil, p + "uidLastFourDigits length must be 4 characters long"
		}
		for _, k := range []string{"signerEmail", "signerMobile"} { // accepted, not used
			if _, msg := sf.OptionalString(k); msg != "" {
				return nil, p + msg
			}
		}
		out = append(out, sg)
	}
	return out, ""
}
