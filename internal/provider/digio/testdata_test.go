package digio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// The payloads under testdata/ were recorded from the simulator, except:
// webhook_signed_partial.json and details_two_signers_requested.json,
// which are a public Digio integration's recorded payloads with the
// people and organisations replaced, and details_quirks.json, written by
// hand the way a lenient reader must take Digio (status instead of
// agreement_status, upper case, nulls, an object for a list, unknown
// fields).

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestRecordedDetails(t *testing.T) {
	tests := []struct {
		file           string
		status         signing.Status
		reason         string
		providerStatus string
	}{
		{"details_requested.json", signing.StatusPending, "", "requested/requested"},
		{"details_two_signers_requested.json", signing.StatusPending, "", "requested/requested/requested"},
		{"details_viewed.json", signing.StatusInProgress, "", "requested/viewed"},
		{"details_completed.json", signing.StatusCompleted, "", "completed/signed"},
		{"details_quirks.json", signing.StatusCompleted, "", "completed/signed"},
		{"details_rejected.json", signing.StatusFailed, "Signer declined to sign", "rejected/rejected"},
		{"details_failed.json", signing.StatusFailed, "Aadhaar OTP validation failed", "failed/failed"},
		{"details_expired.json", signing.StatusExpired, "", "expired/expired"},
		{"details_cancelled.json", signing.StatusCancelled, "", "cancelled/cancelled"},
		{"details_unknown.json", signing.StatusPending, "", "under_review/pending_verification"},
		{"upload_response.json", signing.StatusPending, "", "requested/requested"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var d document
			if err := json.Unmarshal(readTestdata(t, tt.file), &d); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(d.ID), "DID") || len(d.ID) != 32 {
				t.Errorf("id %q", d.ID)
			}
			u := mapDocument(&d, "")
			if u.Status != tt.status || u.Reason != tt.reason || u.ProviderStatus != tt.providerStatus {
				t.Errorf("got (%s, %q, %q), want (%s, %q, %q)", u.Status, u.Reason, u.ProviderStatus, tt.status, tt.reason, tt.providerStatus)
			}
		})
	}
}

func TestRecordedUploadResponse(t *testing.T) {
	var d document
	if err := json.Unmarshal(readTestdata(t, "upload_response.json"), &d); err != nil {
		t.Fatal(err)
	}
	tok := d.AccessToken.V
	if !strings.HasPrefix(string(tok.ID), "GWT") || tok.EntityID != d.ID || !tok.ValidTill.set() {
		t.Errorf("access_token read as %+v", tok)
	}
	if len(d.SigningParties) != 1 || d.SigningParties[0].Identifier != "asha.verma@example.com" {
		t.Errorf("signing_parties read as %+v", d.SigningParties)
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
		{"error_400.json", 400, "signers[0].identifier must be a valid email address or 10 digit mobile number", false, false},
		{"error_401.json", 401, "Invalid client credentials", false, false},
		{"error_404.json", 404, "Document not found", false, true},
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

func TestStatusErrorWithoutDigioBody(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		message   string
		retryable bool
	}{
		{502, "<html>Bad gateway</html>", "Bad Gateway", true},
		{500, `{"code":"INTERNAL_SERVER_ERROR","message":"Something went wrong at Digio"}`, "Something went wrong at Digio", true},
		{503, `{"code":"SERVICE_UNAVAILABLE"}`, "SERVICE_UNAVAILABLE", true},
		{429, "", "Too Many Requests", true},
		{408, "", "Request Timeout", true},
		{400, `{"code":"BAD_REQUEST","details":"file_data is required"}`, "file_data is required", false},
		{403, `{"error":"Forbidden for this client"}`, "Forbidden for this client", false},
		{400, `{"message":null,"code":null}`, "Bad Request", false},
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
