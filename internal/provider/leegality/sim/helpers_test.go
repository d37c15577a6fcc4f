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
	testToken   = "test-token-123"
	testSalt    = "test-salt"
	testProfile = "wf-1"
)

// env is a simulator next to the workflow's webhook receiver.
type env struct{ *simtest.SimEnv[*Server] }

func newEnv(t *testing.T, mutate ...func(*Config)) env {
	t.Helper()
	return env{simtest.NewSimEnv(t, "leegality", func(e *simtest.Env, base, hooks string) Config {
		return Config{BaseURL: base, Token: testToken, PrivateSalt: testSalt, ProfileID: testProfile, WebhookURL: hooks,
			HTTPClient: e.Srv.Client(), Now: e.Clock.Now, WebhookRetries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}}
	}, mutate, New)}
}

// createBody is a valid create request, as a map for easy mutation.
func createBody() map[string]any {
	return map[string]any{
		"profileId": testProfile,
		"file":      map[string]any{"name": "Loan agreement.pdf", "file": base64.StdEncoding.EncodeToString(pdf.Sample(1, "Loan agreement"))},
		"invitees": []any{map[string]any{
			"name":        "Asha Verma",
			"email":       "asha.verma@example.com",
			"phone":       "9876543210",
			"redirectUrl": "https://client.example/done",
		}},
		"irn":              "session-1",
		"requestSignOrder": true,
	}
}

// call calls the simulated API and decodes the JSON answer.
func (e env) call(method, path, token string, body any) (int, map[string]any) {
	e.T.Helper()
	return e.CallJSON(method, path, body, func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("X-Auth-Token", token)
		}
	})
}

// ok calls the API and expects HTTP 200 with status 1; it returns data.
func (e env) ok(method, path string, body any) map[string]any {
	e.T.Helper()
	status, m := e.call(method, path, testToken, body)
	if status != http.StatusOK || m["status"] != float64(1) {
		e.T.Fatalf("%s %s: HTTP %d: %v", method, path, status, m)
	}
	d, _ := m["data"].(map[string]any)
	return d
}

// refused calls the API and expects Leegality's refusal: HTTP 200, status
// 0, one message; it returns the message's code and text.
func (e env) refused(method, path string, body any) (code, msg string) {
	e.T.Helper()
	status, m := e.call(method, path, testToken, body)
	ms, _ := m["messages"].([]any)
	if status != http.StatusOK || m["status"] != float64(0) || len(ms) != 1 || m["data"] != nil {
		e.T.Fatalf("%s %s: HTTP %d: %v, want a status-0 refusal", method, path, status, m)
	}
	first := ms[0].(map[string]any)
	return first["code"].(string), first["message"].(string)
}

// create creates a document and returns its id and the invitee's signUrl.
func (e env) create() (documentID, signURL string) {
	e.T.Helper()
	d := e.ok("POST", "/v3.0/sign/request", createBody())
	inv := d["invitees"].([]any)[0].(map[string]any)
	return d["documentId"].(string), inv["signUrl"].(string)
}

func (e env) details(id string) map[string]any {
	e.T.Helper()
	return e.ok("GET", "/v3.3/document/details?documentId="+url.QueryEscape(id), nil)
}

func invitation0(d map[string]any) map[string]any {
	return d["invitations"].([]any)[0].(map[string]any)
}
