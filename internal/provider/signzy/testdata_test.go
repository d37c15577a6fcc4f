package signzy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// The payloads under testdata/ were recorded from the simulator (and, for
// the *_strings and *_quirks files, rewritten the way Signzy's published
// schema and live answers type them: everything a string, fields missing,
// unknown fields added).

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordedPullData(t *testing.T) {
	tests := []struct {
		file   string
		status signing.Status
		reason string
	}{
		{"pulldata_pending.json", signing.StatusPending, ""},
		{"pulldata_pending_quirks.json", signing.StatusPending, ""},
		{"pulldata_in_progress.json", signing.StatusInProgress, ""},
		{"pulldata_in_progress_strings.json", signing.StatusInProgress, ""},
		{"pulldata_completed.json", signing.StatusCompleted, ""},
		{"pulldata_completed_strings.json", signing.StatusCompleted, ""},
		{"pulldata_declined.json", signing.StatusFailed, "Signer declined to sign"},
		{"pulldata_aadhaar_failed.json", signing.StatusFailed, "Aadhaar authentication failed (K-100)"},
		{"pulldata_cancelled.json", signing.StatusCancelled, ""},
		// A callback carries the pullData shape too.
		{"callback_completed.json", signing.StatusCompleted, ""},
		{"callback_declined.json", signing.StatusFailed, "Signer declined to sign"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var c contract
			if err := json.Unmarshal(readTestdata(t, tt.file), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.ContractID) != 36 {
				t.Errorf("contractId %q", c.ContractID)
			}
			u := mapContract(&c)
			if u.Status != tt.status || u.Reason != tt.reason {
				t.Errorf("got (%s, %q), want (%s, %q)", u.Status, u.Reason, tt.status, tt.reason)
			}
			if u.ProviderStatus == "" && tt.status != signing.StatusPending {
				t.Error("no ProviderStatus for the audit trail")
			}
		})
	}
}

func TestRecordedInitiateResponse(t *testing.T) {
	var r initiateResponse
	if err := json.Unmarshal(readTestdata(t, "initiate_response.json"), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.ContractID) != 36 || len(r.SignerDetail) != 1 || !httpx.IsHTTPURL(string(r.SignerDetail[0].ESignURL)) || r.SignerDetail[0].SignerID == "" {
		t.Errorf("initiate response read as %+v", r)
	}
}

func TestRecordedErrors(t *testing.T) {
	tests := []struct {
		file      string
		status    int
		message   string
		retryable bool
		notFound  bool
	}{
		{"error_400.json", 400, "callbackUrl is not allowed to be empty", false, false},
		{"error_401.json", 401, "Unauthorized", false, false},
		{"error_404.json", 404, "Contract not found", false, true},
	}
	for _, tt := range tests {
		err := newTestAdapter(t).http.StatusError(opRefresh, tt.status, nil, readTestdata(t, tt.file))
		var pe *signing.ProviderError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: %T", tt.file, err)
		}
		if pe.Message != tt.message || pe.Retryable != tt.retryable || pe.StatusCode != tt.status || pe.Provider != Name {
			t.Errorf("%s: %+v", tt.file, pe)
		}
		if errors.Is(err, signing.ErrNotFound) != tt.notFound {
			t.Errorf("%s: errors.Is(ErrNotFound) = %v", tt.file, !tt.notFound)
		}
	}
}

func TestStatusErrorWithoutSignzyBody(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		message   string
		retryable bool
	}{
		{502, "<html>Bad gateway</html>", "Bad Gateway", true},
		{500, `{"name":"error","message":"Internal error at Signzy","statusCode":500}`, "Internal error at Signzy", true},
		{429, "", "Too Many Requests", true},
		{408, "", "Request Timeout", true},
		{403, `{"message":"You cannot consume this service"}`, "You cannot consume this service", false},
		{418, "", "I'm a teapot", false},
		{499, "", "HTTP 499", false},
	}
	for _, tt := range tests {
		var pe *signing.ProviderError
		if !errors.As(newTestAdapter(t).http.StatusError(opInitiate, tt.status, nil, []byte(tt.body)), &pe) {
			t.Fatal("not a ProviderError")
		}
		if pe.Message != tt.message || pe.Retryable != tt.retryable {
			t.Errorf("%d %s: got (%q, %v)", tt.status, tt.body, pe.Message, pe.Retryable)
		}
		if signing.IsRetryable(pe) != tt.retryable {
			t.Errorf("%d: IsRetryable disagrees", tt.status)
		}
	}
}
