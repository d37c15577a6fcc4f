package signzy

import (
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
)

// The wire shapes of Signzy's contract API. Requests are written exactly as
// Signzy documents them; responses are read leniently (see flex.go) and
// only the fields Signet uses are declared.

// initiateRequest is the body of POST /api/v3/contract/initiate.
type initiateRequest struct {
	PDF                            string          `json:"pdf"`
	ContractName                   string          `json:"contractName"`
	ContractExecuterName           string          `json:"contractExecuterName"`
	SuccessRedirectURL             string          `json:"successRedirectUrl"`
	FailureRedirectURL             string          `json:"failureRedirectUrl"`
	ContractTTL                    int64           `json:"contractTtl"` // milliseconds
	CallbackURL                    string          `json:"callbackUrl"`
	CallbackURLAuthorizationHeader string          `json:"callbackUrlAuthorizationHeader"`
	ESignProvider                  string          `json:"eSignProvider"`
	SignerDetail                   []signerRequest `json:"signerdetail"`
	// The signer callback is called after each signer acts; Signet asks
	// for it when there are several, to hear of each signature at once.
	// Its secret goes under both spellings of the field's name: the
	// documented one (signerCallbackAuthorizationHeader) and the one that
	// follows callbackUrlAuthorizationHeader's pattern, so that the
	// callback carries it whichever Signzy reads.
	SignerCallbackURL                    string `json:"signerCallbackUrl,omitempty"`
	SignerCallbackAuthorizationHeader    string `json:"signerCallbackAuthorizationHeader,omitempty"`
	SignerCallbackURLAuthorizationHeader string `json:"signerCallbackUrlAuthorizationHeader,omitempty"`
}

type signerRequest struct {
	SignerName        string      `json:"signerName"`
	SignerEmail       string      `json:"signerEmail,omitempty"`
	SignerMobile      string      `json:"signerMobile,omitempty"`
	SignerGender      string      `json:"signerGender,omitempty"`
	SignerYearOfBirth string      `json:"signerYearOfBirth,omitempty"`
	UIDLastFourDigits string      `json:"uidLastFourDigits,omitempty"`
	SignatureType     string      `json:"signatureType"`
	Signatures        []placement `json:"signatures"`
}

// placement says where the signature goes. Signet asks for Signzy's usual
// placement: bottom left of every page.
type placement struct {
	PageNo            []string `json:"pageNo"`
	SignaturePosition []string `json:"signaturePosition"`
}

var defaultPlacement = []placement{{PageNo: []string{"All"}, SignaturePosition: []string{"BottomLeft"}}}

// initiateResponse is what Signet reads of the initiate answer.
type initiateResponse struct {
	ContractID   text                  `json:"contractId"`
	SignerDetail list[signerInitiated] `json:"signerdetail"`
}

type signerInitiated struct {
	SignerID text `json:"signerId"`
	ESignURL text `json:"esignUrl"`
}

// pullRequest is the body of POST /api/v3/contract/pullData. The files
// come in base64 when asked with base64EncodedOutput (the seed's flag)
// or filesInBase64 (the newer one); Signet sets both when it wants the
// signed PDF, and sends only the documented flag otherwise.
type pullRequest struct {
	ContractID          string `json:"contractId"`
	Base64EncodedOutput bool   `json:"base64EncodedOutput"`
	FilesInBase64       bool   `json:"filesInBase64,omitempty"`
}

// contract is what Signet reads of a pullData answer (the seed's
// SignzyRefreshSigning.response_type, plus fields seen live); the rest of
// the answer is ignored. A callback carries the same shape.
type contract struct {
	ContractID              text  `json:"contractId"`
	SignedSignerCount       count `json:"signedSignerCount"`
	IsCompleted             flag  `json:"isCompleted"`
	ContractStatus          text  `json:"contractStatus"`
	ContractCompletionTime  text  `json:"contractCompletionTime"`
	ContractCancelTimestamp text  `json:"contractCancelTimestamp"`
	FinalSignedContract     text  `json:"finalSignedContract"`
	FinalSignedContractHash text  `json:"finalSignedContractHash"`
	// FilesInBase64 is where an answer to filesInBase64 may put the files
	// instead of finalSignedContract.
	FilesInBase64        base64Files       `json:"filesInBase64"`
	AuditCertificateURL  text              `json:"auditCertificateUrl"`
	AuditCertificateHash text              `json:"auditCertificateHash"`
	SignerDetail         list[signerState] `json:"signerdetail"`
}

type signerState struct {
	SignerID               text               `json:"signerId"`
	SignerName             text               `json:"signerName"`
	SignatureType          text               `json:"signatureType"`
	UIDLastFourDigits      text               `json:"uidLastFourDigits"`
	SignerIP               text               `json:"signerIP"`
	SignerSignedContract   text               `json:"signerSignedContract"`
	Status                 text               `json:"status"`
	ErrorMessage           text               `json:"errorMessage"`
	AadhaarErrorMessage    text               `json:"aadhaarErrorMessage"`
	SignerCancelMessage    text               `json:"signerCancelMessage"`
	ContractLastSignTime   text               `json:"contractLastSignTime"`
	NoOfSuccessfulAttempts count              `json:"noOfSuccessfulAttempts"`
	NoOfFailureAttempts    count              `json:"noOfFailureAttempts"`
	ESignAttempts          list[esignAttempt] `json:"esignAttempts"`
}

type esignAttempt struct {
	ErrorMessage        text    `json:"errorMessage"`
	AadhaarStatus       text    `json:"aadhaarStatus"`
	AadhaarErrorMessage text    `json:"aadhaarErrorMessage"`
	SignerDscData       dscData `json:"signerDscData"`
}

// dscData is what the signer's eSign certificate says of them, from their
// Aadhaar record (Signet reads only what identifies the signer, not
// Aadhaar's tokens).
type dscData struct {
	Name              text `json:"name"`
	YOB               text `json:"yob"`
	Gender            text `json:"gender"`
	State             text `json:"state"`
	UIDLastFourDigits text `json:"uidLastFourDigits"`
}

// UnmarshalJSON reads an object as dscData and anything else (null, "NA",
// an attempt still in progress) as none, so that an odd signerDscData
// never costs the attempt it belongs to.
func (d *dscData) UnmarshalJSON(b []byte) error {
	type plain dscData
	*d = dscData(flexjson.ObjectOf[plain](b))
	return nil
}

// base64Files is a pullData answer's filesInBase64: an object holding the
// signed contract in base64 under the name it has at the top of the
// answer. Anything else reads as empty.
type base64Files struct {
	FinalSignedContract text `json:"finalSignedContract"`
}

func (f *base64Files) UnmarshalJSON(b []byte) error {
	type plain base64Files
	*f = base64Files(flexjson.ObjectOf[plain](b))
	return nil
}

// signedContract is the signed contract as the answer gives it: a URL or
// base64, at the top (finalSignedContract) or under filesInBase64.
func (c *contract) signedContract() string {
	if c.FinalSignedContract.set() {
		return strings.TrimSpace(string(c.FinalSignedContract))
	}
	if c.FilesInBase64.FinalSignedContract.set() {
		return strings.TrimSpace(string(c.FilesInBase64.FinalSignedContract))
	}
	return ""
}
