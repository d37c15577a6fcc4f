package leegality

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// refusedCase is a request the adapter refuses (see simtest.WantRefused).
type refusedCase simtest.RefusedCase

func newFake(t *testing.T, status int, answer string) (*simtest.Fake, *Adapter) {
	t.Helper()
	f := simtest.NewFake(t, status, answer)
	a := newTestAdapter(t, func(c *Config) {
		c.BaseURL = f.Srv.URL + "/api/"
		c.HTTPClient = f.Srv.Client()
		c.Now = func() time.Time { return testNow }
	})
	return f, a
}

func initiateReq() signing.InitiateRequest {
	return simtest.UnitRequest("leegality", `{"name":" Asha Verma ","email":"asha@example.com","phone":"+91 98765 43210","extra":"kept by Signet"}`, "hi", testNow)
}

func TestInitiateRequestShape(t *testing.T) {
	f, a := newFake(t, 200, string(readTestdata(t, "create_response.json")))
	got, err := a.Initiate(context.Background(), initiateReq())
	if err != nil {
		t.Fatal(err)
	}
	if f.Method != "POST" || f.Path != "/api/v3.0/sign/request" || f.Header.Get("X-Auth-Token") != "tok" {
		t.Errorf("%s %s with X-Auth-Token %q", f.Method, f.Path, f.Header.Get("X-Auth-Token"))
	}
	want := map[string]any{
		"profileId": "wf-1",
		"file":      map[string]any{"name": "loan.pdf", "file": base64.StdEncoding.EncodeToString([]byte("%PDF-1.7 test"))},
		"invitees": []any{map[string]any{
			"name":        "Asha Verma",
			"email":       "asha@example.com",
			"phone":       "9876543210",
			"redirectUrl": "https://client.example/return?order=42",
		}},
		"irn":              "5b0c7c2e-1c1a-4a57-8a0b-3d9f0e7a6b11",
		"requestSignOrder": true,
	}
	if !reflect.DeepEqual(f.Body, want) {
		gotJSON, _ := json.MarshalIndent(f.Body, "", " ")
		t.Errorf("request body:\n%s", gotJSON)
	}

	var rec struct {
		Data struct {
			DocumentID string `json:"documentId"`
			Invitees   []struct {
				SignURL string `json:"signUrl"`
			} `json:"invitees"`
		} `json:"data"`
	}
	_ = json.Unmarshal(readTestdata(t, "create_response.json"), &rec)
	if got.Ref != rec.Data.DocumentID || got.RedirectURL != rec.Data.Invitees[0].SignURL {
		t.Errorf("Initiated = %+v", got)
	}
	// expiryDate "01-12-2026 15:30:00" IST is 10:00 UTC.
	var st state
	if err := json.Unmarshal(got.State, &st); err != nil || st.InvitationExpiresAt != "2026-12-01T10:00:00Z" {
		t.Errorf("State = %s", got.State)
	}
}

func TestInitiateOptionalFields(t *testing.T) {
	f, a := newFake(t, 200, string(readTestdata(t, "create_response_quirks.json")))
	req := initiateReq()
	req.SignerDetails = json.RawMessage(`{"name":"Asha","phone":9876543210}`)
	req.Document.Filename = " "
	req.ReturnURL = ""
	got, err := a.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	inv := f.Body["invitees"].([]any)[0].(map[string]any)
	if inv["phone"] != "9876543210" || f.Body["file"].(map[string]any)["name"] != "contract.pdf" {
		t.Errorf("body: %v", f.Body)
	}
	for _, k := range []string{"email", "redirectUrl"} {
		if _, ok := inv[k]; ok {
			t.Errorf("empty %s sent", k)
		}
	}
	if got.Ref != "01M7YRRT801H1NW31AD668CETA" || !strings.HasPrefix(got.RedirectURL, "https://sandbox.leegality.com/sign/") {
		t.Errorf("Initiated = %+v", got)
	}
}

func TestInitiateInvalid(t *testing.T) {
	f, a := newFake(t, 200, "{}")
	tests := []refusedCase{
		{"no name", func(r *signing.InitiateRequest) { r.SignerDetails = json.RawMessage(`{"email":"a@b.c"}`) }, "signerDetails.name"},
		{"blank name", func(r *signing.InitiateRequest) { r.SignerDetails = json.RawMessage(`{"name":"  ","email":"a@b.c"}`) }, "signerDetails.name"},
		{"no contact", func(r *signing.InitiateRequest) { r.SignerDetails = json.RawMessage(`{"name":"A"}`) }, "signerDetails.email"},
		{"blank contact", func(r *signing.InitiateRequest) {
			r.SignerDetails = json.RawMessage(`{"name":"A","email":" ","phone":""}`)
		}, "signerDetails.email"},
		{"not an object", func(r *signing.InitiateRequest) { r.SignerDetails = json.RawMessage(`[1]`) }, "signerDetails"},
		{"no document", func(r *signing.InitiateRequest) { r.Document.Content = nil }, "document.content"},
	}
	simtest.WantRefused(t, a, f, initiateReq, tests)
}

// TestInitiateStatusZero is Leegality's main quirk: a refusal is HTTP 200
// with status 0, and must be a permanent error with its message.
func TestInitiateStatusZero(t *testing.T) {
	_, a := newFake(t, 200, string(readTestdata(t, "create_error_bad_file.json")))
	_, err := a.Initiate(context.Background(), initiateReq())
	var pe *signing.ProviderError
	if !errors.As(err, &pe) || pe.Retryable || pe.Op != "initiate" || pe.StatusCode != 200 ||
		pe.Message != "File is not a valid Base64 encoded string." {
		t.Errorf("err = %v (%+v)", err, pe)
	}

	_, a = newFake(t, 200, `{"status":0,"messages":[{"code":"server.error","message":"Something went wrong, please try again"}],"data":null}`)
	if _, err := a.Initiate(context.Background(), initiateReq()); !signing.IsRetryable(err) {
		t.Errorf("a temporary refusal: %v, want retryable", err)
	}
}

func TestInitiateUnusableAnswer(t *testing.T) {
	for _, answer := range []string{
		`{"status":1,"messages":[],"data":{}}`,
		`{"status":1,"data":{"documentId":"d"}}`,
		`{"status":1,"data":{"documentId":"d","invitees":[{"signUrl":"javascript:alert(1)"}]}}`,
		`{"status":1,"data":{"invitees":[{"signUrl":"https://sandbox.leegality.com/sign/x"}]}}`,
		`{"status":1,"data":"oops"}`,
		`not json`,
		`<html>ok</html>`,
	} {
		_, a := newFake(t, 200, answer)
		_, err := a.Initiate(context.Background(), initiateReq())
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Retryable || pe.Op != "initiate" {
			t.Errorf("%s: err = %v, want a permanent initiate error (a retry would create a second document)", answer, err)
		}
	}
}

func TestInitiateHTTPErrors(t *testing.T) {
	for status, retryable := range map[int]bool{500: true, 502: true, 503: true, 429: true, 400: false, 401: false, 403: false} {
		_, a := newFake(t, status, `{"status":0,"messages":[{"code":"x","message":"Leegality says no"}],"data":null}`)
		_, err := a.Initiate(context.Background(), initiateReq())
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Retryable != retryable || pe.StatusCode != status || pe.Message != "Leegality says no" {
			t.Errorf("HTTP %d: %+v, want retryable %v", status, pe, retryable)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"9876543210": "9876543210", "+919876543210": "9876543210", "+91 98765 43210": "9876543210",
		"919876543210": "9876543210", "09876543210": "9876543210", "98765-43210": "9876543210",
		"(987) 654-3210": "9876543210", "": "", "12345": "12345",
	} {
		if got := normalizePhone(in); got != want {
			t.Errorf("normalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}
