package digio

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// TestMapSigners covers the per-signer part of the mapping: each party
// of a document with several, by position or by identifier.
func TestMapSigners(t *testing.T) {
	two := func(a, b string) string {
		return `{"agreement_status":"requested","signing_parties":[{"identifier":"a@x.example","status":"` + a +
			`"},{"identifier":"9876543210","status":"` + b + `"}]}`
	}
	tests := []struct {
		name, event, body string
		order             []string
		status            signing.Status
		signers           string
	}{
		{"nobody acted", "", two("requested", "requested"), nil, signing.StatusPending, ""},
		{"first opened", "", two("viewed", "requested"), nil, signing.StatusInProgress, "0:IN_PROGRESS"},
		{"first signed", eventSigned, two("signed", "requested"), nil, signing.StatusInProgress, "0:SIGNED"},
		{"second signed first", "", two("requested", "signed"), nil, signing.StatusInProgress, "1:SIGNED"},
		{"by identifier, Digio's order differs", "", two("signed", "viewed"), []string{"9876543210", "A@x.example"},
			signing.StatusInProgress, "1:SIGNED 0:IN_PROGRESS"},
		{"a party Signet does not know is left out", "", two("signed", "signed"), []string{"someone@else.example", "9876543210"},
			signing.StatusInProgress, "1:SIGNED"},
		{"all signed", eventSigned, strings.Replace(two("signed", "signed"), "requested", "completed", 1), nil,
			signing.StatusCompleted, "0:SIGNED 1:SIGNED"},
		{"second declined", eventRejected, `{"agreement_status":"rejected","signing_parties":[{"identifier":"a@x.example","status":"signed"},
			{"identifier":"9876543210","status":"rejected","review_comment":"Wrong amount"},{"identifier":"c@x.example","status":"cancelled"}]}`,
			nil, signing.StatusFailed, "0:SIGNED 1:FAILED(Wrong amount)"},
		{"eSign of the first failed", eventFailed, `{"agreement_status":"failed","signing_parties":[{"identifier":"a@x.example","status":"failed","error_message":"OTP invalid"},
			{"identifier":"9876543210","status":"cancelled"}]}`, nil, signing.StatusFailed, "0:FAILED(OTP invalid)"},
		{"a rejection named only by signer_identifier", eventRejected, `{"agreement_status":"requested","signer_identifier":"9876543210","error_message":"No thanks",
			"signing_parties":[{"identifier":"a@x.example","status":"requested"},{"identifier":"9876543210","status":"requested"}]}`,
			nil, signing.StatusFailed, "1:FAILED(No thanks)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mapDocument(decodeDocument(t, tt.body), tt.event, tt.order...)
			if u.Status != tt.status || simtest.SignerWords(u.Signers) != tt.signers {
				t.Errorf("got %s [%s], want %s [%s]", u.Status, simtest.SignerWords(u.Signers), tt.status, tt.signers)
			}
		})
	}
	// One signer: the session's status speaks for them, as before.
	if u := mapDocument(decodeDocument(t, `{"agreement_status":"requested","signing_parties":[{"status":"viewed"}]}`), ""); u.Signers != nil {
		t.Errorf("single signer: %+v", u.Signers)
	}
}

// TestRecordedPartialWebhook: Digio's recorded doc.signed for the first
// of two signers.
func TestRecordedPartialWebhook(t *testing.T) {
	var w webhook
	if err := json.Unmarshal(readTestdata(t, "webhook_signed_partial.json"), &w); err != nil {
		t.Fatal(err)
	}
	u := mapDocument(&w.Payload.V.Document.V, w.Event.word())
	if u.Status != signing.StatusInProgress || simtest.SignerWords(u.Signers) != "0:SIGNED" {
		t.Fatalf("got %s [%s]", u.Status, simtest.SignerWords(u.Signers))
	}
	var ev map[string]string
	if err := json.Unmarshal(u.Signers[0].Evidence, &ev); err != nil || ev["documentId"] != "DID2312191801389959UDGNBWGRGCSC1" ||
		ev["signatureType"] != "electronic" || ev["event"] != "doc.signed" || ev["aadhaarName"] != "" {
		t.Errorf("evidence %v", ev)
	}
}

// TestPartyEvidence: an Aadhaar signer's pki_signature_details are kept,
// the Aadhaar number only as four digits.
func TestPartyEvidence(t *testing.T) {
	d := decodeDocument(t, `{"id":"DID1","signing_parties":[{"identifier":"a@x.example","status":"signed","signature_type":"aadhaar","updated_at":1795255260000,
		"pki_signature_details":{"name":"ASHA VERMA","aadhaar_suffix":"1234","gender":"F","year_of_birth":"1990","postal_code":"560001","hash_of_photograph":"ab"}},
		{"identifier":"b@x.example","status":"signed","pki_signature_details":{"name":"B","aadhaar_suffix":"123456789012"}}]}`)
	var ev map[string]string
	_ = json.Unmarshal(partyEvidence(d, &d.SigningParties[0], ""), &ev)
	want := map[string]string{"documentId": "DID1", "signerStatus": "signed", "signatureType": "aadhaar", "signerUpdatedAt": "1795255260000",
		"aadhaarName": "ASHA VERMA", "aadhaarSuffix": "1234", "gender": "F", "yearOfBirth": "1990", "postalCode": "560001"}
	if fmt.Sprint(ev) != fmt.Sprint(want) {
		t.Errorf("evidence %v, want %v", ev, want)
	}
	ev = nil
	_ = json.Unmarshal(partyEvidence(d, &d.SigningParties[1], ""), &ev)
	if _, ok := ev["aadhaarSuffix"]; ok {
		t.Errorf("a whole Aadhaar number was kept: %v", ev)
	}
	id := identity(map[string]string{"signatureType": "aadhaar", "aadhaarName": "ASHA VERMA", "aadhaarSuffix": "1234", "gender": "F",
		"yearOfBirth": "1990", "postalCode": "560001", "signerUpdatedAt": "2026-11-21 15:31:00", "documentId": "DID1"})
	got := fmt.Sprint(id)
	if want := "{Aadhaar eSign (OTP) via Digio [{Name (as on Aadhaar) ASHA VERMA} {Aadhaar number XXXX XXXX 1234} {Gender (Aadhaar) Female} " +
		"{Year of birth (Aadhaar) 1990} {Postal code (Aadhaar) 560001} {Signed (Digio) 2026-11-21 10:01:00 UTC} {Sign type (Digio) aadhaar} {Digio document DID1}]}"; got != want {
		t.Errorf("identity\n got %s\nwant %s", got, want)
	}
	if id := identity(map[string]string{"signatureType": "electronic", "signerUpdatedAt": "1795255260000"}); id.Method != method(SignTypeElectronic) ||
		fmt.Sprint(id.Facts) != "[{Signed (Digio) 2026-11-21 10:01:00 UTC} {Sign type (Digio) electronic}]" {
		t.Errorf("electronic identity %+v", id)
	}
}

// TestUploadRequestSigners: several signers go into signers[] in order,
// with Digio's sequential flag; their problems are named by index.
func TestUploadRequestSigners(t *testing.T) {
	a := newTestAdapter(t, func(c *Config) { c.Now = func() time.Time { return testNow } })
	req := testRequest()
	req.Signers = []signing.SignerRequest{
		{ID: "s1", Details: json.RawMessage(`{"name":"Asha Verma","identifier":"Asha.Verma@Example.com"}`)},
		{ID: "s2", Details: json.RawMessage(`{"name":"Vikram Shah","identifier":"9876543210","signType":"electronic","reason":"Guarantor"}`)},
	}
	for order, want := range map[signing.SigningOrder]bool{signing.Sequential: true, "": true, signing.Parallel: false} {
		req.SigningOrder = order
		body, err := a.uploadRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		if body.Sequential == nil || *body.Sequential != want || len(body.Signers) != 2 ||
			body.Signers[0] != (signerRequest{Identifier: "asha.verma@example.com", Name: "Asha Verma", SignType: "aadhaar", Reason: "loan"}) ||
			body.Signers[1] != (signerRequest{Identifier: "9876543210", Name: "Vikram Shah", SignType: "electronic", Reason: "Guarantor"}) {
			t.Errorf("%q: %+v", order, body)
		}
	}

	bad := func(details ...string) []string {
		r := testRequest()
		r.Signers = nil
		for i, d := range details {
			r.Signers = append(r.Signers, signing.SignerRequest{ID: fmt.Sprint(i), Details: json.RawMessage(d)})
		}
		_, err := a.uploadRequest(r)
		var ve *signing.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%v: err %v, want a ValidationError", details, err)
		}
		var fields []string
		for _, e := range ve.Errors {
			fields = append(fields, e.Field)
		}
		return fields
	}
	ok := `{"name":"A","identifier":"a@x.example"}`
	if got := bad(ok, `[]`, `{"identifier":"12345"}`); fmt.Sprint(got) != "[signers[1].signerDetails signers[2].signerDetails.name signers[2].signerDetails.identifier]" {
		t.Errorf("fields %v", got)
	}
	if got := bad(ok, `{"name":"B","identifier":"A@X.example"}`); fmt.Sprint(got) != "[signers[1].signerDetails.identifier]" {
		t.Errorf("a repeated signer: fields %v", got)
	}
	many := make([]string, maxSigners+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"name":"S","identifier":"s%d@x.example"}`, i)
	}
	if got := bad(many...); fmt.Sprint(got) != "[signers]" {
		t.Errorf("too many signers: fields %v", got)
	}
}
