package sim

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

const testToken = "test-token-123"

// env is a simulator next to a callback receiver.
type env struct{ *simtest.SimEnv[*Server] }

func newEnv(t *testing.T, mutate ...func(*Config)) env {
	t.Helper()
	return env{simtest.NewSimEnv(t, "signzy", func(e *simtest.Env, base, _ string) Config {
		return Config{BaseURL: base, Token: testToken, HTTPClient: e.Srv.Client(), Now: e.Clock.Now,
			CallbackRetries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}}
	}, mutate, New)}
}

// initiateBody is a valid initiate request, as map for easy mutation.
func (e env) initiateBody() map[string]any {
	return map[string]any{
		"pdf":                            base64.StdEncoding.EncodeToString(pdf.Sample(1, "Loan agreement")),
		"contractName":                   "Loan agreement",
		"contractExecuterName":           "Acme Finance",
		"successRedirectUrl":             "https://client.example/done",
		"failureRedirectUrl":             "https://client.example/failed",
		"contractTtl":                    3600000,
		"callbackUrl":                    e.Srv.URL + "/callbacks/signzy",
		"callbackUrlAuthorizationHeader": "cb-secret",
		"eSignProvider":                  "EMUDHRA",
		"signerdetail": []any{map[string]any{
			"signerName":        "Asha Verma",
			"signerGender":      "female",
			"signatureType":     "AADHAARESIGN-OTP",
			"uidLastFourDigits": "1234",
			"signerYearOfBirth": "1990",
			"signatures":        []any{map[string]any{"pageNo": []string{"All"}, "signaturePosition": []string{"BottomLeft"}}},
		}},
	}
}

// twoSignerBody is a valid initiate request with a second signer, Ravi
// Kumar, who signs where the first does.
func (e env) twoSignerBody() map[string]any {
	b := e.initiateBody()
	first := b["signerdetail"].([]any)[0].(map[string]any)
	second := map[string]any{"signerName": "Ravi Kumar", "signatureType": "AADHAARESIGN-OTP", "signatures": first["signatures"]}
	b["signerdetail"] = []any{first, second}
	return b
}

// post calls the simulated API and decodes the JSON answer.
func (e env) post(path, token string, body any) (int, map[string]any) {
	e.T.Helper()
	return e.CallJSON(http.MethodPost, path, body, func(r *http.Request) {
		if token != "" {
			r.Header.Set("Authorization", token)
		}
	})
}

// initiate creates a contract and returns its id and the signer's URL.
func (e env) initiate() (contractID, esignURL string) {
	e.T.Helper()
	status, m := e.post("/api/v3/contract/initiate", testToken, e.initiateBody())
	if status != http.StatusOK {
		e.T.Fatalf("initiate: status %d: %v", status, m)
	}
	signer := m["signerdetail"].([]any)[0].(map[string]any)
	return m["contractId"].(string), signer["esignUrl"].(string)
}

func (e env) pull(id string, b64 bool) map[string]any {
	e.T.Helper()
	status, m := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id, "base64EncodedOutput": b64})
	if status != http.StatusOK {
		e.T.Fatalf("pullData: status %d: %v", status, m)
	}
	return m
}

func signer0(m map[string]any) map[string]any {
	return m["signerdetail"].([]any)[0].(map[string]any)
}

// wantSignedBy checks that doc holds one intact signature per name, in
// order, by the simulator's eSign service.
func (e env) wantSignedBy(doc []byte, names ...string) {
	e.T.Helper()
	simtest.WantESigned(e.T, doc, e.Sim, eSignProvider, names...)
}

// original is the contract initiateBody sends.
func (e env) original() []byte {
	e.T.Helper()
	b, err := base64.StdEncoding.DecodeString(e.initiateBody()["pdf"].(string))
	if err != nil {
		e.T.Fatal(err)
	}
	return b
}
