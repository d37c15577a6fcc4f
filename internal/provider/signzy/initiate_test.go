package signzy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

var testNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// refusedCase is a request the adapter refuses (see simtest.WantRefused).
type refusedCase simtest.RefusedCase

func newFake(t *testing.T, status int, answer string) (*simtest.Fake, *Adapter) {
	t.Helper()
	f := simtest.NewFake(t, status, answer)
	a := newTestAdapter(t, func(c *Config) {
		c.BaseURL = f.Srv.URL + "/"
		c.HTTPClient = f.Srv.Client()
		c.Now = func() time.Time { return testNow }
	})
	return f, a
}

func initiateReq() signing.InitiateRequest {
	return simtest.UnitRequest("signzy", `{"name":" Asha Verma ","email":"asha@example.com","mobile":"9876543210","gender":"Female","yearOfBirth":1990,"uidLastFourDigits":"1234","extra":"kept by Signet"}`, "en", testNow)
}

func TestInitiateRequestShape(t *testing.T) {
	f, a := newFake(t, 200, string(readTestdata(t, "initiate_response.json")))
	got, err := a.Initiate(context.Background(), initiateReq())
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != "/api/v3/contract/initiate" || f.Header.Get("Authorization") != "tok" {
		t.Errorf("POST %s with Authorization %q", f.Path, f.Header.Get("Authorization"))
	}
	want := map[string]any{
		"pdf":                            base64.StdEncoding.EncodeToString([]byte("%PDF-1.7 test")),
		"contractName":                   "loan.pdf",
		"contractExecuterName":           "Signet",
		"successRedirectUrl":             "https://client.example/return?order=42",
		"failureRedirectUrl":             "https://client.example/return?order=42",
		"contractTtl":                    float64(2 * time.Hour / time.Millisecond),
		"callbackUrl":                    "https://signet.example/callbacks/signzy",
		"callbackUrlAuthorizationHeader": testSecret,
		"eSignProvider":                  "EMUDHRA",
		"signerdetail": []any{map[string]any{
			"signerName":        "Asha Verma",
			"signerEmail":       "asha@example.com",
			"signerMobile":      "9876543210",
			"signerGender":      "female",
			"signerYearOfBirth": "1990",
			"uidLastFourDigits": "1234",
			"signatureType":     "AADHAARESIGN-OTP",
			"signatures":        []any{map[string]any{"pageNo": []any{"All"}, "signaturePosition": []any{"BottomLeft"}}},
		}},
	}
	if !reflect.DeepEqual(f.Body, want) {
		gotJSON, _ := json.MarshalIndent(f.Body, "", " ")
		t.Errorf("request body:\n%s", gotJSON)
	}

	var rec struct {
		ContractID   string `json:"contractId"`
		SignerDetail []struct {
			SignerID string `json:"signerId"`
			ESignURL string `json:"esignUrl"`
		} `json:"signerdetail"`
	}
	_ = json.Unmarshal(readTestdata(t, "initiate_response.json"), &rec)
	if got.Ref != rec.ContractID || got.RedirectURL != rec.SignerDetail[0].ESignURL {
		t.Errorf("Initiated = %+v", got)
	}
	var st state
	if err := json.Unmarshal(got.State, &st); err != nil || st.SignerID != rec.SignerDetail[0].SignerID {
		t.Errorf("State = %s", got.State)
	}
}

func TestInitiateDefaults(t *testing.T) {
	f, a := newFake(t, 200, string(readTestdata(t, "initiate_response.json")))
	req := initiateReq()
	req.SignerDetails = json.RawMessage(`{"name":"Asha","signatureType":"aadhaaresign-faceauth"}`)
	req.Document.Filename = ""
	req.ReturnURL = ""
	req.ExpiresAt = time.Time{}
	if _, err := a.Initiate(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if f.Body["contractName"] != "Contract order-42" || f.Body["successRedirectUrl"] != "https://signet.example/" ||
		f.Body["failureRedirectUrl"] != "https://signet.example/" || f.Body["contractTtl"] != float64(24*time.Hour/time.Millisecond) {
		t.Errorf("defaults: %v", f.Body)
	}
	s := f.Body["signerdetail"].([]any)[0].(map[string]any)
	if s["signatureType"] != "AADHAARESIGN-FACEAUTH" {
		t.Errorf("signatureType = %v", s["signatureType"])
	}
	for _, k := range []string{"signerEmail", "signerMobile", "signerGender", "signerYearOfBirth", "uidLastFourDigits"} {
		if _, ok := s[k]; ok {
			t.Errorf("empty %s sent", k)
		}
	}
}

func TestInitiateInvalid(t *testing.T) {
	f, a := newFake(t, 200, "{}")
	tests := []refusedCase{
		{"no name", func(r *signing.InitiateRequest) { r.SignerDetails = json.RawMessage(`{"email":"a@b.c"}`) }, "signerDetails.name"},
		{"blank name", func(r *signing.InitiateRequest) { r.SignerDetails = json.RawMessage(`{"name":"  "}`) }, "signerDetails.name"},
		{"not an object", func(r *signing.InitiateRequest) { r.SignerDetails = json.RawMessage(`[1]`) }, "signerDetails"},
		{"bad signature type", func(r *signing.InitiateRequest) {
			r.SignerDetails = json.RawMessage(`{"name":"A","signatureType":"PEN"}`)
		}, "signerDetails.signatureType"},
		{"no document", func(r *signing.InitiateRequest) { r.Document.Content = nil }, "document.content"},
		{"expired", func(r *signing.InitiateRequest) { r.ExpiresAt = testNow.Add(-time.Minute) }, "expiresAt"},
	}
	simtest.WantRefused(t, a, f, initiateReq, tests)
}

func TestInitiateUnusableAnswer(t *testing.T) {
	for _, answer := range []string{`{}`, `{"contractId":"c"}`, `{"contractId":"c","signerdetail":[{"esignUrl":"javascript:alert(1)"}]}`, `not json`} {
		_, a := newFake(t, 200, answer)
		_, err := a.Initiate(context.Background(), initiateReq())
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Retryable || pe.Op != "initiate" {
			t.Errorf("%s: err = %v, want a permanent initiate error (a retry could mint a second contract)", answer, err)
		}
	}
}

// twoSignersReq is initiateReq with two signers, the second paying by face.
func twoSignersReq() signing.InitiateRequest {
	req := initiateReq()
	req.Signers = []signing.SignerRequest{
		{ID: "sg-1", Details: req.SignerDetails},
		{ID: "sg-2", Details: json.RawMessage(`{"name":"Ravi Kumar","signatureType":"AADHAARESIGN-FACEAUTH"}`)},
	}
	req.SigningOrder = signing.Parallel
	return req
}

const twoSignersAnswer = `{"contractId":"c-2","signerdetail":[
	{"signerId":"s-1","signerName":"Asha Verma","esignUrl":"https://esign.example/s-1"},
	{"signerId":"s-2","signerName":"Ravi Kumar","esignUrl":"https://esign.example/s-2"}]}`

func TestInitiateSeveralSigners(t *testing.T) {
	f, a := newFake(t, 200, twoSignersAnswer)
	got, err := a.Initiate(context.Background(), twoSignersReq())
	if err != nil {
		t.Fatal(err)
	}
	sent := f.Body["signerdetail"].([]any)
	if len(sent) != 2 {
		t.Fatalf("signerdetail has %d signers, want 2", len(sent))
	}
	first, second := sent[0].(map[string]any), sent[1].(map[string]any)
	if first["signerName"] != "Asha Verma" || first["signatureType"] != "AADHAARESIGN-OTP" || first["uidLastFourDigits"] != "1234" {
		t.Errorf("first signer sent as %v", first)
	}
	if second["signerName"] != "Ravi Kumar" || second["signatureType"] != "AADHAARESIGN-FACEAUTH" || second["signatures"] == nil {
		t.Errorf("second signer sent as %v", second)
	}
	if f.Body["signerCallbackUrl"] != "https://signet.example/callbacks/signzy" || f.Body["signerCallbackAuthorizationHeader"] != testSecret ||
		f.Body["signerCallbackUrlAuthorizationHeader"] != testSecret {
		t.Errorf("signer callback %v with %v, want Signet's callback with the secret", f.Body["signerCallbackUrl"], f.Body["signerCallbackAuthorizationHeader"])
	}
	want := []signing.InitiatedSigner{{Ref: "s-1", URL: "https://esign.example/s-1"}, {Ref: "s-2", URL: "https://esign.example/s-2"}}
	if got.Ref != "c-2" || got.RedirectURL != want[0].URL || !reflect.DeepEqual(got.Signers, want) {
		t.Errorf("Initiated = %+v", got)
	}
	var st state
	if err := json.Unmarshal(got.State, &st); err != nil || st.SignerID != "s-1" || !reflect.DeepEqual(st.SignerIDs, []string{"s-1", "s-2"}) {
		t.Errorf("State = %s", got.State)
	}
}

// TestInitiateOneSignerAsBefore: a session of one signer, given as
// Signers or not, sends the same body and keeps the same state.
func TestInitiateOneSignerAsBefore(t *testing.T) {
	f, a := newFake(t, 200, string(readTestdata(t, "initiate_response.json")))
	req := initiateReq()
	if _, err := a.Initiate(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	plain := f.Body
	req.Signers = []signing.SignerRequest{{ID: "sg-1", Details: req.SignerDetails}}
	got, err := a.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Body, plain) {
		t.Errorf("body with Signers differs:\n%v\n%v", f.Body, plain)
	}
	if string(got.State) != `{"signerId":"cd44ccec-ca5d-4111-8c4f-c1ca75a85b79"}` || len(got.Signers) != 1 || got.Signers[0].URL != got.RedirectURL {
		t.Errorf("Initiated = %+v, state %s", got, got.State)
	}
}

func TestInitiateSeveralSignersInvalid(t *testing.T) {
	f, a := newFake(t, 200, twoSignersAnswer)
	tests := []refusedCase{
		{"second without a name", func(r *signing.InitiateRequest) { r.Signers[1].Details = json.RawMessage(`{"email":"r@example.com"}`) }, "signers[1].signerDetails.name"},
		{"second not an object", func(r *signing.InitiateRequest) { r.Signers[1].Details = json.RawMessage(`"Ravi"`) }, "signers[1].signerDetails"},
		{"first with a bad signature type", func(r *signing.InitiateRequest) {
			r.Signers[0].Details = json.RawMessage(`{"name":"A","signatureType":"PEN"}`)
		}, "signers[0].signerDetails.signatureType"},
		{"sequential", func(r *signing.InitiateRequest) { r.SigningOrder = signing.Sequential }, "signingOrder"},
	}
	simtest.WantRefused(t, a, f, twoSignersReq, tests)
}

// TestInitiateSeveralSignersUnusableAnswer: Signzy must give every
// signer a link; otherwise a signer could never sign.
func TestInitiateSeveralSignersUnusableAnswer(t *testing.T) {
	for _, answer := range []string{
		`{"contractId":"c-2","signerdetail":[{"signerId":"s-1","esignUrl":"https://esign.example/s-1"}]}`,
		`{"contractId":"c-2","signerdetail":[{"signerId":"s-1","esignUrl":"https://esign.example/s-1"},{"signerId":"s-2","esignUrl":""}]}`,
	} {
		_, a := newFake(t, 200, answer)
		_, err := a.Initiate(context.Background(), twoSignersReq())
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Retryable || pe.Op != "initiate" {
			t.Errorf("%s: err = %v, want a permanent initiate error", answer, err)
		}
	}
}
