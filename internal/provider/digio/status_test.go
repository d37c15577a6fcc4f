package digio

import (
	"encoding/json"
	"testing"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

func decodeDocument(t *testing.T, js string) *document {
	return simtest.Decode[document](t, []byte(js))
}

// TestMapDocument covers every branch of the mapping table, for details
// answers (no event) and webhook payloads, with the encodings Digio is
// known to use and the ones it might.
func TestMapDocument(t *testing.T) {
	tests := []struct {
		name           string
		event          string
		body           string
		status         signing.Status
		reason         string
		providerStatus string
	}{
		// PENDING
		{"empty answer", "", `{}`, signing.StatusPending, "", ""},
		{"requested", "", `{"agreement_status":"requested","signing_parties":[{"status":"requested"}]}`,
			signing.StatusPending, "", "requested/requested"},
		{"two signers requested", "", `{"agreement_status":"requested","signing_parties":[{"status":"requested"},{"status":"requested"}]}`,
			signing.StatusPending, "", "requested/requested/requested"},
		{"unknown words change nothing", "", `{"agreement_status":"under_review","signing_parties":[{"status":"pending_verification"}]}`,
			signing.StatusPending, "", "under_review/pending_verification"},
		{"unknown event with an open document", "doc.viewed", `{"agreement_status":"requested"}`,
			signing.StatusPending, "", "doc.viewed/requested"},
		{"nulls everywhere", "", `{"agreement_status":null,"signing_parties":null,"error_message":null}`, signing.StatusPending, "", ""},
		{"signing_parties of the wrong type", "", `{"agreement_status":"requested","signing_parties":"none"}`,
			signing.StatusPending, "", "requested"},
		{"party status NA", "", `{"signing_parties":[{"status":"NA"}]}`, signing.StatusPending, "", "na"},

		// IN_PROGRESS
		{"signer opened the gateway", "", `{"agreement_status":"requested","signing_parties":[{"status":"viewed"}]}`,
			signing.StatusInProgress, "", "requested/viewed"},
		{"OTP sent, upper case", "", `{"agreement_status":"requested","signing_parties":[{"status":" OTP_SENT "}]}`,
			signing.StatusInProgress, "", "requested/otp_sent"},
		{"one of two signed", eventSigned, `{"agreement_status":"requested","signing_parties":[{"status":"signed"},{"status":"requested"}],"others":{"has_all_signed":false}}`,
			signing.StatusInProgress, "", "doc.signed/requested/signed/requested"},
		{"signed, document not yet closed", "", `{"agreement_status":"requested","signing_parties":[{"status":"signed"}]}`,
			signing.StatusInProgress, "", "requested/signed"},
		{"single party object", "", `{"signing_parties":{"status":"viewed"}}`, signing.StatusInProgress, "", "viewed"},

		// COMPLETED
		{"completed", "", `{"agreement_status":"completed","signing_parties":[{"status":"signed"}]}`,
			signing.StatusCompleted, "", "completed/signed"},
		{"completed webhook", eventSigned, `{"agreement_status":"completed","signing_parties":[{"status":"signed"}],"others":{"has_all_signed":true}}`,
			signing.StatusCompleted, "", "doc.signed/completed/signed"},
		{"completed in status, upper case", "", `{"status":"COMPLETED"}`, signing.StatusCompleted, "", "completed"},
		{"upper-case event", "DOC.SIGNED", `{"agreement_status":"completed"}`, signing.StatusCompleted, "", "doc.signed/completed"},
		{"completed wins over a failure event", eventFailed, `{"agreement_status":"completed","signing_parties":[{"status":"signed"}]}`,
			signing.StatusCompleted, "", "doc.sign.failed/completed/signed"},

		// FAILED: declined
		{"signer rejected", "", `{"agreement_status":"rejected","signing_parties":[{"status":"rejected","review_comment":"Wrong amount"}]}`,
			signing.StatusFailed, "Wrong amount", "rejected/rejected"},
		{"signer rejected without words", "", `{"agreement_status":"requested","signing_parties":[{"status":"rejected","reason":"Loan agreement"}]}`,
			signing.StatusFailed, "Signer declined to sign", "requested/rejected"},
		{"signer declined, rejection_reason", "", `{"signing_parties":[{"status":"declined","rejection_reason":"Not me"}]}`,
			signing.StatusFailed, "Not me", "declined"},
		{"rejected webhook with Digio's message", eventRejected, `{"agreement_status":"rejected","error_code":"SIGNING_REJECTED","error_message":"Signer declined to sign","signer_identifier":"9876543210","signing_parties":[{"identifier":"9876543210","status":"rejected"}]}`,
			signing.StatusFailed, "Signer declined to sign", "doc.sign.rejected/rejected/rejected"},
		{"rejected webhook without details", eventRejected, `{"id":"DID1","signer_identifier":"a@b.example"}`,
			signing.StatusFailed, "Signer declined to sign", "doc.sign.rejected"},
		{"document rejected, signers cancelled", "", `{"agreement_status":"rejected","signing_parties":[{"status":"cancelled"}]}`,
			signing.StatusFailed, "Signer declined to sign", "rejected/cancelled"},
		{"decline wins over completed", "", `{"agreement_status":"completed","signing_parties":[{"status":"signed"},{"status":"rejected","review_comment":"no"}]}`,
			signing.StatusFailed, "no", "completed/signed/rejected"},

		// FAILED: eSign failure
		{"signer failed", "", `{"agreement_status":"failed","signing_parties":[{"status":"failed","error_message":"Aadhaar OTP validation failed"}]}`,
			signing.StatusFailed, "Aadhaar OTP validation failed", "failed/failed"},
		{"failed webhook", eventFailed, `{"error_code":"ESP_AUTH_FAILED","error_message":"Name mismatch with Aadhaar","signer_identifier":"x@y.example"}`,
			signing.StatusFailed, "Name mismatch with Aadhaar", "doc.sign.failed"},
		{"failed webhook, code only", eventFailed, `{"error_code":"ESP_TIMEOUT"}`,
			signing.StatusFailed, "Digio eSign failed (ESP_TIMEOUT)", "doc.sign.failed"},
		{"failed document without words", "", `{"agreement_status":"failed"}`, signing.StatusFailed, "Digio eSign failed", "failed"},
		{"failure message on the document", "", `{"agreement_status":"requested","message":"Biometric mismatch","signing_parties":[{"status":"error"}]}`,
			signing.StatusFailed, "Biometric mismatch", "requested/error"},

		// CANCELLED
		{"cancelled", "", `{"agreement_status":"cancelled","signing_parties":[{"status":"cancelled"}]}`,
			signing.StatusCancelled, "", "cancelled/cancelled"},
		{"canceled, US spelling", "", `{"agreement_status":"canceled"}`, signing.StatusCancelled, "", "canceled"},

		// EXPIRED
		{"expired", "", `{"agreement_status":"expired","signing_parties":[{"status":"expired"}]}`,
			signing.StatusExpired, "", "expired/expired"},
		{"every signer expired", "", `{"agreement_status":"requested","signing_parties":[{"status":"expired"},{"status":"expired"}]}`,
			signing.StatusExpired, "", "requested/expired/expired"},
		{"one of two expired is not enough", "", `{"agreement_status":"requested","signing_parties":[{"status":"expired"},{"status":"requested"}]}`,
			signing.StatusPending, "", "requested/expired/requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simtest.WantMapped(t, mapDocument(decodeDocument(t, tt.body), tt.event), tt.status, tt.reason, tt.providerStatus)
		})
	}
}

func TestEvidence(t *testing.T) {
	d := decodeDocument(t, `{"id":"DID1","agreement_status":"completed","updated_at":1795255200000,"file_name":"x.pdf",
		"signing_parties":[{"identifier":"a@b.example","status":"signed","signature_type":"aadhaar","updated_at":"2026-11-21 15:31:00"}]}`)
	want := map[string]string{"documentId": "DID1", "agreementStatus": "completed", "updatedAt": "1795255200000", "event": "doc.signed",
		"signerStatus": "signed", "signatureType": "aadhaar", "signerUpdatedAt": "2026-11-21 15:31:00"}
	simtest.WantEvidence(t, mapDocument(d, eventSigned).Evidence, want)
}

func TestSignerOf(t *testing.T) {
	d := decodeDocument(t, `{"signer_identifier":"B@x.example","signing_parties":[{"identifier":"a@x.example","status":"signed"},{"identifier":"b@x.example","status":"failed","error_message":"OTP expired"}]}`)
	if p := signerOf(d); p == nil || p.Identifier != "b@x.example" {
		t.Errorf("signerOf = %+v", p)
	}
	if u := mapDocument(d, eventFailed); u.Reason != "OTP expired" {
		t.Errorf("reason = %q", u.Reason)
	}
	if signerOf(&document{}) != nil {
		t.Error("signerOf of no signers is not nil")
	}
}

func TestFlexTypes(t *testing.T) {
	simtest.WantLenient[text, flag](t)
	var v struct {
		L list[party]      `json:"l"`
		O object[document] `json:"o"`
	}
	in := `{"l":[{"status":"signed"},"junk",7,null,{"status":{"x":1}}],
		"o":"not an object"}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.L) != 2 || v.L[0].Status != "signed" || v.L[1].Status != "" {
		t.Errorf("list = %+v", v.L)
	}
	if v.O.V.ID != "" {
		t.Errorf("object = %+v", v.O.V)
	}
	for _, s := range []text{"", " ", "NA", "n/a", "null", "None", "nil"} {
		if s.set() {
			t.Errorf("%q is set", s)
		}
	}
}
