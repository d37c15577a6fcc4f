package sim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

const (
	testClientID      = "AI1TESTCLIENT"
	testClientSecret  = "test-client-secret"
	testWebhookSecret = "test-webhook-secret"
)

// env is a simulator next to the account's webhook receiver, which
// answers 200 as Digio wants.
type env struct{ *simtest.SimEnv[*Server] }

func newEnv(t *testing.T, mutate ...func(*Config)) env {
	t.Helper()
	e := env{simtest.NewSimEnv(t, "digio", func(e *simtest.Env, base, hooks string) Config {
		return Config{BaseURL: base, ClientID: testClientID, ClientSecret: testClientSecret, WebhookSecret: testWebhookSecret,
			WebhookURL: hooks, HTTPClient: e.Srv.Client(), Now: e.Clock.Now, WebhookRetries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}}
	}, mutate, New)}
	e.Hooks.Status = http.StatusOK
	return e
}

var sampleDoc = pdf.Sample(2, "Loan agreement")

// uploadBody is a valid upload request, as a map for easy mutation.
func uploadBody() map[string]any {
	return map[string]any{
		"signers": []any{map[string]any{
			"identifier": "asha.verma@example.com", "name": "Asha Verma", "sign_type": "aadhaar", "reason": "Loan agreement",
		}},
		"expire_in_days":        10,
		"display_on_page":       "all",
		"notify_signers":        false,
		"send_sign_link":        false,
		"generate_access_token": true,
		"file_name":             "loan-agreement.pdf",
		"file_data":             base64.StdEncoding.EncodeToString(sampleDoc),
	}
}

// call calls the simulated API with Basic credentials (none if id is
// empty) and returns the status and raw answer.
func (e env) call(method, path, id, secret string, body any) (int, http.Header, []byte) {
	e.T.Helper()
	return e.Call(method, path, body, func(r *http.Request) {
		if id != "" {
			r.SetBasicAuth(id, secret)
		}
	})
}

// api calls the simulated API with the right credentials and decodes the
// JSON answer.
func (e env) api(method, path string, body any) (int, map[string]any) {
	e.T.Helper()
	return e.CallJSON(method, path, body, func(r *http.Request) { r.SetBasicAuth(testClientID, testClientSecret) })
}

// upload creates a document and returns its id and access token id.
func (e env) upload(mutate ...func(map[string]any)) (string, string) {
	e.T.Helper()
	body := uploadBody()
	for _, m := range mutate {
		m(body)
	}
	status, m := e.api(http.MethodPost, "/v2/client/document/uploadpdf", body)
	if status != http.StatusOK {
		e.T.Fatalf("upload: status %d: %v", status, m)
	}
	tok := ""
	if at, ok := m["access_token"].(map[string]any); ok {
		tok = at["id"].(string)
	}
	return m["id"].(string), tok
}

func (e env) details(id string) map[string]any {
	e.T.Helper()
	status, m := e.api(http.MethodGet, "/v2/client/document/"+id, nil)
	if status != http.StatusOK {
		e.T.Fatalf("details: status %d: %v", status, m)
	}
	return m
}

func party0(m map[string]any) map[string]any {
	return m["signing_parties"].([]any)[0].(map[string]any)
}

// link is the signer's gateway link, as the adapter builds it.
func (e env) link(id, identifier, token, redirect string) string {
	u := e.Srv.URL + "/sandbox/digio/gateway/login/" + id + "/txn-1/" + url.PathEscape(identifier)
	q := url.Values{}
	if token != "" {
		q.Set("token_id", token)
	}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (e env) get(u string) (int, http.Header, string) {
	e.T.Helper()
	status, h, b := e.Get(u)
	return status, h, string(b)
}
