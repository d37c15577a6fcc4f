package digio

// The wire shapes of Digio's document (eSign) API. Requests are written as
// Digio documents them; responses are read leniently (see flex.go) and only
// the fields Signet uses are declared.

// uploadRequest is the body of POST /v2/client/document/uploadpdf.
type uploadRequest struct {
	Signers             []signerRequest `json:"signers"`
	Sequential          *bool           `json:"sequential,omitempty"` // several signers only: sign in the order given
	ExpireInDays        int             `json:"expire_in_days"`
	DisplayOnPage       string          `json:"display_on_page"`
	NotifySigners       bool            `json:"notify_signers"`
	SendSignLink        bool            `json:"send_sign_link"`
	GenerateAccessToken bool            `json:"generate_access_token"`
	FileName            string          `json:"file_name"`
	FileData            string          `json:"file_data"` // the PDF, base64
}

type signerRequest struct {
	Identifier string `json:"identifier"` // email or Indian mobile number
	Name       string `json:"name"`
	SignType   string `json:"sign_type"` // aadhaar, electronic, dsc
	Reason     string `json:"reason,omitempty"`
}

// document is what Signet reads of Digio's view of a document: the upload
// answer, the details answer (GET /v2/client/document/{id}) and the
// payload.document of a webhook all share this shape. Webhooks of failed
// or rejected signings add error_code, error_message and
// signer_identifier.
type document struct {
	ID               text                   `json:"id"`
	AgreementStatus  text                   `json:"agreement_status"`
	Status           text                   `json:"status"` // seen instead of agreement_status by some integrations
	FileName         text                   `json:"file_name"`
	UpdatedAt        text                   `json:"updated_at"`
	SigningParties   list[party]            `json:"signing_parties"`
	AccessToken      object[accessToken]    `json:"access_token"`
	ErrorCode        text                   `json:"error_code"`
	ErrorMessage     text                   `json:"error_message"`
	Message          text                   `json:"message"`
	SignerIdentifier text                   `json:"signer_identifier"`
	Others           object[documentOthers] `json:"others"`
}

// party is one entry of signing_parties. Its reason is the reason for
// signing Signet gave at upload, not a reason for declining.
type party struct {
	Name            text `json:"name"`
	Identifier      text `json:"identifier"`
	Status          text `json:"status"`
	SignatureType   text `json:"signature_type"`
	UpdatedAt       text `json:"updated_at"`
	ExpireOn        text `json:"expire_on"`
	ReviewComment   text `json:"review_comment"`
	RejectionReason text `json:"rejection_reason"`
	ErrorMessage    text `json:"error_message"`
	// PKI is who signed, as the eSign service's Aadhaar eKYC gave it
	// (Aadhaar signatures only, once signed).
	PKI object[pkiDetails] `json:"pki_signature_details"`
}

// pkiDetails is a signer's pki_signature_details: the name on their
// Aadhaar record, its last four digits and the demographic facts the
// eKYC returns.
type pkiDetails struct {
	Name          text `json:"name"`
	AadhaarSuffix text `json:"aadhaar_suffix"`
	Gender        text `json:"gender"`
	YearOfBirth   text `json:"year_of_birth"`
	PostalCode    text `json:"postal_code"`
}

// accessToken is the gateway token Digio mints with
// generate_access_token: the signer's link carries its id as token_id.
type accessToken struct {
	ID        text `json:"id"`
	EntityID  text `json:"entity_id"`
	ValidTill text `json:"valid_till"`
}

type documentOthers struct {
	LastSignedBy text `json:"last_signed_by"`
	HasAllSigned flag `json:"has_all_signed"`
}

// webhook is Digio's webhook envelope:
// {"entities":["document"],"payload":{"document":{…}},"id":"WHN…","created_at":…,"event":"doc.signed"}.
type webhook struct {
	ID        text            `json:"id"`
	Event     text            `json:"event"`
	CreatedAt text            `json:"created_at"`
	Payload   object[payload] `json:"payload"`
}

type payload struct {
	Document object[document] `json:"document"`
}
