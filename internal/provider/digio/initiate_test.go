package digio

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

var testNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func testRequest() signing.InitiateRequest {
	return signing.InitiateRequest{
		SessionID:     "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d",
		OrderID:       "order-1",
		SignerDetails: json.RawMessage(`{"name":" Asha Verma ","identifier":"Asha.Verma@Example.com"}`),
		Language:      "en",
		Document:      signing.Document{Filename: "loan.pdf", Content: pdf.Sample(1, "Loan")},
		ReturnURL:     "https://client.example/return?order=1",
		CallbackURL:   "https://signet.example/callbacks/digio",
		ExpiresAt:     testNow.Add(24 * time.Hour),
	}
}

func TestUploadRequest(t *testing.T) {
	a := newTestAdapter(t, func(c *Config) { c.Now = func() time.Time { return testNow } })
	body, err := a.uploadRequest(testRequest())
	if err != nil {
		t.Fatal(err)
	}
	if identifier := body.Signers[0].Identifier; identifier != "asha.verma@example.com" {
		t.Errorf("identifier %q", identifier)
	}
	raw, _ := json.Marshal(body)
	var got map[string]any
	_ = json.Unmarshal(raw, &got)
	want := map[string]any{
		"expire_in_days": 1.0, "display_on_page": "all", "notify_signers": false, "send_sign_link": false,
		"generate_access_token": true, "file_name": "loan.pdf",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	signers := got["signers"].([]any)
	if len(signers) != 1 {
		t.Fatalf("signers = %v", signers)
	}
	s := signers[0].(map[string]any)
	if s["identifier"] != "asha.verma@example.com" || s["name"] != "Asha Verma" || s["sign_type"] != "aadhaar" || s["reason"] != "loan" {
		t.Errorf("signer = %v", s)
	}
	if data, err := base64.StdEncoding.DecodeString(got["file_data"].(string)); err != nil || string(data) != string(pdf.Sample(1, "Loan")) {
		t.Errorf("file_data does not decode to the document: %v", err)
	}
	if len(got) != 8 {
		t.Errorf("upload body has fields %v", got)
	}

	// Options from signerDetails and Config.
	a = newTestAdapter(t, func(c *Config) {
		c.SignType = "ELECTRONIC"
		c.NotifySigners = true
		c.Now = func() time.Time { return testNow }
	})
	req := testRequest()
	req.SignerDetails = json.RawMessage(`{"name":"A","identifier":"9876543210","signType":"DSC","reason":"Director's consent"}`)
	req.ExpiresAt = testNow.Add(30*24*time.Hour + time.Minute)
	body, err = a.uploadRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if s := body.Signers[0]; s.Identifier != "9876543210" || s.SignType != "dsc" || s.Reason != "Director's consent" ||
		body.ExpireInDays != 31 || !body.NotifySigners || !body.SendSignLink {
		t.Errorf("body = %+v", body)
	}
	req.SignerDetails = json.RawMessage(`{"name":"A","identifier":"9876543210"}`)
	if body, _ = a.uploadRequest(req); body.Signers[0].SignType != "electronic" {
		t.Errorf("Config.SignType not used: %+v", body.Signers[0])
	}
}

func TestUploadRequestInvalid(t *testing.T) {
	a := newTestAdapter(t, func(c *Config) { c.Now = func() time.Time { return testNow } })
	tests := []struct {
		details string
		mutate  func(*signing.InitiateRequest)
		fields  []string
	}{
		{`[]`, nil, []string{"signerDetails"}},
		{`{}`, nil, []string{"signerDetails.name", "signerDetails.identifier"}},
		{`{"name":"  ","identifier":"a@b.example"}`, nil, []string{"signerDetails.name"}},
		{`{"name":"A","identifier":"+919876543210"}`, nil, []string{"signerDetails.identifier"}},
		{`{"name":"A","identifier":"Asha <a@b.example>"}`, nil, []string{"signerDetails.identifier"}},
		{`{"name":"A","identifier":"12345"}`, nil, []string{"signerDetails.identifier"}},
		{`{"name":"A","identifier":"a@b.example","signType":"pen"}`, nil, []string{"signerDetails.signType"}},
		{`{"name":"A","identifier":"a@b.example"}`, func(r *signing.InitiateRequest) { r.Document.Content = nil }, []string{"document.content"}},
		{`{"name":"A","identifier":"a@b.example"}`, func(r *signing.InitiateRequest) { r.ExpiresAt = testNow }, []string{"expiresAt"}},
	}
	for _, tt := range tests {
		req := testRequest()
		req.SignerDetails = json.RawMessage(tt.details)
		if tt.mutate != nil {
			tt.mutate(&req)
		}
		_, err := a.uploadRequest(req)
		var ve *signing.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("%s: err = %v, want a ValidationError", tt.details, err)
			continue
		}
		var got []string
		for _, e := range ve.Errors {
			got = append(got, e.Field)
		}
		if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
			t.Errorf("%s: fields %v, want %v", tt.details, got, tt.fields)
		}
	}
}

func TestNormalizeIdentifier(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"asha@example.com", "asha@example.com", true},
		{" Asha.Verma+loan@Example.co.in ", "asha.verma+loan@example.co.in", true},
		{"9876543210", "9876543210", true},
		{"6000000000", "6000000000", true},
		{"5876543210", "", false},
		{"98765 43210", "", false},
		{"+919876543210", "", false},
		{"09876543210", "", false},
		{"asha", "", false},
		{"asha@", "", false},
		{"Asha <asha@example.com>", "", false},
		{"a b@example.com", "", false},
		{"a/b@example.com", "", false},
		{"", "", false},
		{strings.Repeat("a", 250) + "@x.in", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizeIdentifier(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizeIdentifier(%q) = (%q, %v), want (%q, %v)", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestExpireInDays(t *testing.T) {
	for _, tt := range []struct {
		ttl  time.Duration
		want int
	}{
		{time.Second, 1}, {time.Hour, 1}, {24 * time.Hour, 1}, {24*time.Hour + time.Second, 2},
		{30 * 24 * time.Hour, 30}, {365 * 24 * time.Hour, maxExpireDays}, {-time.Hour, 1},
	} {
		if got := expireInDays(tt.ttl); got != tt.want {
			t.Errorf("expireInDays(%v) = %d, want %d", tt.ttl, got, tt.want)
		}
	}
}

func TestFileName(t *testing.T) {
	long := strings.Repeat("é", 150) + ".pdf"
	for _, tt := range []struct{ given, order, want string }{
		{"loan.pdf", "o", "loan.pdf"},
		{"Loan.PDF", "o", "Loan.PDF"},
		{"loan", "o", "loan.pdf"},
		{"  ", "order-7", "Contract order-7.pdf"},
		{"a/b\\c\n.pdf", "o", "a_b_c_.pdf"},
		{long, "o", strings.Repeat("é", 96) + ".pdf"},
	} {
		if got := fileName(tt.given, tt.order); got != tt.want {
			t.Errorf("fileName(%q) = %q, want %q", tt.given, got, tt.want)
		}
	}
}

func TestTxnID(t *testing.T) {
	if got := txnID("0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d"); got != "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d" {
		t.Errorf("txnID = %q", got)
	}
	for _, s := range []string{"", "a/b", "a b", strings.Repeat("x", maxTxnID+1)} {
		if got := txnID(s); len(got) != 16 || got == txnID(s) {
			t.Errorf("txnID(%q) = %q, want a fresh random id", s, got)
		}
	}
}

func TestSignLink(t *testing.T) {
	st := state{Identifier: "asha+1@example.com", TxnID: "txn-1", AccessTokenID: "GWT2611211530003341"}
	tests := []struct {
		base, gateway, returnURL, want string
	}{
		{ProductionURL, "", "https://client.example/r?a=1&b=2",
			"https://app.digio.in/#/gateway/login/DID1/txn-1/asha+1@example.com?token_id=GWT2611211530003341&redirect_url=https%3A%2F%2Fclient.example%2Fr%3Fa%3D1%26b%3D2"},
		{SandboxURL, "", "", "https://ext.digio.in/#/gateway/login/DID1/txn-1/asha+1@example.com?token_id=GWT2611211530003341"},
		{"http://127.0.0.1:8080/sandbox/digio/", "", "",
			"http://127.0.0.1:8080/sandbox/digio/gateway/login/DID1/txn-1/asha+1@example.com?token_id=GWT2611211530003341"},
		{"http://127.0.0.1:8080/sandbox/digio", "https://signet.example/sandbox/digio/gateway/login/", "https://c.example/",
			"https://signet.example/sandbox/digio/gateway/login/DID1/txn-1/asha+1@example.com?token_id=GWT2611211530003341&redirect_url=https%3A%2F%2Fc.example%2F"},
	}
	for _, tt := range tests {
		a := newTestAdapter(t, func(c *Config) { c.BaseURL, c.GatewayURL = tt.base, tt.gateway })
		if got := a.signLink("DID1", st, tt.returnURL); got != tt.want {
			t.Errorf("signLink on %s:\n got %s\nwant %s", tt.base, got, tt.want)
		}
	}
	// Without a token, the signer logs in by OTP.
	a := newTestAdapter(t)
	got := a.signLink("DID1", state{Identifier: "9876543210", TxnID: "t"}, "https://c.example/")
	if got != SandboxGateway+"/DID1/t/9876543210?redirect_url=https%3A%2F%2Fc.example%2F" {
		t.Errorf("link without a token: %s", got)
	}
	// Odd characters in the path segments are escaped.
	got = a.signLink("DID1", state{Identifier: "a/b?c#d@example.com", TxnID: "t"}, "")
	if u, err := url.Parse(strings.Replace(got, "/#/", "/", 1)); err != nil || !strings.HasSuffix(u.Path, "/DID1/t/a/b?c#d@example.com") || u.RawQuery != "" {
		t.Errorf("escaping: %s", got)
	}
}
