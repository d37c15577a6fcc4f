package leegality

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// The payloads under testdata/ were recorded from the simulator (with
// private salt "test-private-salt", at 21-11-2026 15:30 IST). The *_quirks,
// *_strings and *_reason files are rewritten the way Leegality's answers
// are seen typed in the wild: booleans and numbers as strings, a lone
// object for a list, other names for the same field, unknown fields.

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeEnvelope reads a recorded answer the way Adapter.do does.
func decodeEnvelope(t *testing.T, name string) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(readTestdata(t, name), &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func TestRecordedDetails(t *testing.T) {
	tests := []struct {
		file   string
		status signing.Status
		reason string
	}{
		{"details_sent.json", signing.StatusPending, ""},
		{"details_viewed.json", signing.StatusInProgress, ""},
		{"details_quirks.json", signing.StatusInProgress, ""},
		{"details_completed.json", signing.StatusCompleted, ""},
		{"details_completed_strings.json", signing.StatusCompleted, ""},
		{"details_rejected.json", signing.StatusFailed, "Rejected by the signer on the signing page"},
		{"details_rejected_reason.json", signing.StatusFailed, "The loan amount is wrong"},
		{"details_expired.json", signing.StatusExpired, ""},
		{"details_unknown.json", signing.StatusPending, ""},
		// The v3.2 sign-request answer reads the same way: requests[]
		// instead of invitations[], and no document status.
		{"status_v32_completed.json", signing.StatusCompleted, ""},
		{"status_v32_expired.json", signing.StatusExpired, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := decodeEnvelope(t, tt.file)
			if !e.succeeded() {
				t.Fatal("recorded answer reads as a failure")
			}
			var d document
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			if len(d.DocumentID) != 26 || len(d.invitees()) != 1 {
				t.Errorf("documentId %q, %d invitees", d.DocumentID, len(d.invitees()))
			}
			u := mapDocument(&d, testNow)
			if u.Status != tt.status || u.Reason != tt.reason {
				t.Errorf("got (%s, %q), want (%s, %q)", u.Status, u.Reason, tt.status, tt.reason)
			}
			if u.ProviderStatus == "" {
				t.Error("no ProviderStatus for the audit trail")
			}
		})
	}
}

func TestRecordedCreate(t *testing.T) {
	for _, file := range []string{"create_response.json", "create_response_quirks.json"} {
		e := decodeEnvelope(t, file)
		var c created
		if err := json.Unmarshal(e.Data, &c); err != nil || !e.succeeded() {
			t.Fatalf("%s: %v", file, err)
		}
		if len(c.DocumentID) != 26 || len(c.Invitees) != 1 || !httpx.IsHTTPURL(string(c.Invitees[0].SignURL)) {
			t.Errorf("%s read as %+v", file, c)
		}
		if _, ok := parseIST(string(c.Invitees[0].ExpiryDate)); !ok {
			t.Errorf("%s: expiryDate %q", file, c.Invitees[0].ExpiryDate)
		}
	}
}

func TestRecordedFetchDocument(t *testing.T) {
	e := decodeEnvelope(t, "fetch_document.json")
	link, content := downloadLink(e.Data)
	if !httpx.IsHTTPURL(link) || content != nil {
		t.Errorf("link %q, content %d bytes", link, len(content))
	}
	e = decodeEnvelope(t, "status_v32_completed.json")
	if link, _ := downloadLink(e.Data); !httpx.IsHTTPURL(link) {
		t.Errorf("v3.2 files[]: link %q", link)
	}
}

// TestRecordedRefusals checks the status-0-in-HTTP-200 quirk on recorded
// answers: each is a permanent ProviderError with Leegality's message.
func TestRecordedRefusals(t *testing.T) {
	tests := []struct {
		file     string
		message  string
		notFound bool
	}{
		{"create_error_bad_file.json", "File is not a valid Base64 encoded string.", false},
		{"create_error_no_profile.json", "Profile ID is required.", false},
		{"delete_completed.json", "Document is already completed and cannot be deleted.", false},
		{"fetch_not_completed.json", "No document found.", true},
		{"details_not_found.json", "Document not found.", true},
	}
	for _, tt := range tests {
		e := decodeEnvelope(t, tt.file)
		if e.succeeded() {
			t.Fatalf("%s reads as a success", tt.file)
		}
		err := refusal(opRefresh, http.StatusOK, e.Messages)
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Retryable || pe.Message != tt.message || pe.StatusCode != http.StatusOK || pe.Provider != Name {
			t.Errorf("%s: %+v", tt.file, pe)
		}
		if errors.Is(err, signing.ErrNotFound) != tt.notFound {
			t.Errorf("%s: errors.Is(ErrNotFound) = %v", tt.file, !tt.notFound)
		}
	}
	if e := decodeEnvelope(t, "delete_ok.json"); !e.succeeded() {
		t.Error("delete_ok.json reads as a failure")
	}
	err := newTestAdapter(t).http.StatusError(opRefresh, http.StatusUnauthorized, nil, readTestdata(t, "error_401.json"))
	var pe *signing.ProviderError
	if !errors.As(err, &pe) || pe.Retryable || pe.Message != "Invalid auth token." || pe.StatusCode != 401 {
		t.Errorf("401: %+v", pe)
	}
}

func TestStatusErrorWithoutEnvelope(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		message   string
		retryable bool
		notFound  bool
	}{
		{502, "<html>Bad gateway</html>", "Bad Gateway", true, false},
		{500, `{"status":0,"messages":[{"code":"server.error","message":"Internal error at Leegality"}]}`, "Internal error at Leegality", true, false},
		{503, "", "Service Unavailable", true, false},
		{429, "", "Too Many Requests", true, false},
		{408, "", "Request Timeout", true, false},
		{403, `{"messages":["You cannot access this API"]}`, "You cannot access this API", false, false},
		{404, "", "Not Found", false, true},
		{418, "", "I'm a teapot", false, false},
		{499, "", "HTTP 499", false, false},
	}
	for _, tt := range tests {
		err := newTestAdapter(t).http.StatusError(opInitiate, tt.status, nil, []byte(tt.body))
		var pe *signing.ProviderError
		if !errors.As(err, &pe) {
			t.Fatal("not a ProviderError")
		}
		if pe.Message != tt.message || pe.Retryable != tt.retryable || signing.IsRetryable(err) != tt.retryable {
			t.Errorf("%d %s: got (%q, %v)", tt.status, tt.body, pe.Message, pe.Retryable)
		}
		if errors.Is(err, signing.ErrNotFound) != tt.notFound {
			t.Errorf("%d: ErrNotFound %v", tt.status, !tt.notFound)
		}
	}
}

// TestTemporaryRefusals: a status-0 answer is permanent unless its
// message says the trouble is temporary.
func TestTemporaryRefusals(t *testing.T) {
	tests := []struct {
		ms        messages
		retryable bool
	}{
		{messages{{Code: "invitee.phone.invalid", Message: "Invalid phone number."}}, false},
		{messages{{Code: "workflow.not.found", Message: "No workflow found for the given Profile ID."}}, false},
		{messages{{Code: "server.error", Message: "Something went wrong. Please try again later."}}, true},
		{messages{{Message: "Service temporarily unavailable"}}, true},
		{messages{{Code: "rate.limit.exceeded"}}, true},
		{messages{{Message: "Request timed out"}}, true},
		{messages{{Code: "esign.attempts.exhausted", Message: "Maximum retry attempts exceeded; signature type unavailable."}}, false},
		{nil, false},
	}
	for _, tt := range tests {
		var pe *signing.ProviderError
		if !errors.As(refusal(opInitiate, 200, tt.ms), &pe) || pe.Retryable != tt.retryable || pe.Message == "" {
			t.Errorf("%+v: %+v, want retryable %v", tt.ms, pe, tt.retryable)
		}
	}
}
