package leegality

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// The payloads under testdata/ were recorded from the simulator (with
// private salt "test-private-salt", at 21-11-2026 15:30 IST). The *_quirks,
// *_strings, *_reason and *_nested_only files are rewritten the way Leegality's answers
// are seen typed in the wild: booleans and numbers as strings, a lone
// object for a list, other names for the same field, unknown fields.

var readTestdata = simtest.Testdata

// decodeEnvelope reads a recorded answer the way Adapter.do does.
func decodeEnvelope(t *testing.T, name string) envelope {
	return *simtest.Decode[envelope](t, readTestdata(t, name))
}

func TestRecordedDetails(t *testing.T) {
	// Each case names its recorded answer; the body is read from it.
	tests := []mapCase{
		{"details_sent.json", "", signing.StatusPending, "", "SENT"},
		{"details_viewed.json", "", signing.StatusInProgress, "", "SENT/VIEWED"},
		{"details_quirks.json", "", signing.StatusInProgress, "", "SENT/OTP VERIFIED"},
		{"details_completed.json", "", signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		{"details_completed_strings.json", "", signing.StatusCompleted, "", "SIGNED"},
		{"details_rejected.json", "", signing.StatusFailed, "Rejected by the signer on the signing page", "SENT/REJECTED"},
		{"details_rejected_reason.json", "", signing.StatusFailed, "The loan amount is wrong", "SENT/REJECTED"},
		{"details_expired.json", "", signing.StatusExpired, "", "SENT/EXPIRED"},
		{"details_unknown.json", "", signing.StatusPending, "", "ON_HOLD/ESCALATED"},
		// Everything under data.document, as integrations read it.
		{"details_nested_only.json", "", signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		// The v3.2 sign-request answer reads the same way: requests[]
		// instead of invitations[], and no document status.
		{"status_v32_completed.json", "", signing.StatusCompleted, "", "SIGNED"},
		{"status_v32_expired.json", "", signing.StatusExpired, "", "EXPIRED"},
	}
	simtest.RunMapCases(t, tests, func(t *testing.T, c simtest.MapCase) signing.Update {
		e := decodeEnvelope(t, c.Name)
		if !e.succeeded() {
			t.Fatal("recorded answer reads as a failure")
		}
		d := simtest.Decode[document](t, e.Data)
		if len(d.id()) != 26 || len(d.invitees()) != 1 {
			t.Errorf("documentId %q, %d invitees", d.id(), len(d.invitees()))
		}
		return mapDocument(d, testNow)
	})
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
		err := refusal(httpx.OpRefresh, http.StatusOK, e.Messages)
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Retryable || pe.Message != tt.message || pe.StatusCode != http.StatusOK || pe.Provider != Name {
			t.Errorf("%s: %+v", tt.file, pe)
		}
		if errors.Is(err, signing.ErrNotFound) != tt.notFound || pe.Gone != tt.notFound {
			t.Errorf("%s: errors.Is(ErrNotFound) = %v, Gone %v", tt.file, !tt.notFound, pe.Gone)
		}
	}
	// The same words under HTTP 404 are Gone too; a bare 404 (a wrong
	// base URL, a proxy) is not.
	c := newTestAdapter(t).http
	if pe := c.StatusError(httpx.OpRefresh, 404, nil, readTestdata(t, "details_not_found.json")); !pe.Gone || !errors.Is(pe, signing.ErrNotFound) {
		t.Errorf("Leegality's not-found under HTTP 404: %+v", pe)
	}
	for _, body := range []string{"", "<html>404 Not Found</html>", `{"status":0,"messages":[{"code":"profile.invalid","message":"Invalid profile"}]}`} {
		if pe := c.StatusError(httpx.OpRefresh, 404, nil, []byte(body)); pe.Gone {
			t.Errorf("404 %q is Gone", body)
		}
	}
	if e := decodeEnvelope(t, "delete_ok.json"); !e.succeeded() {
		t.Error("delete_ok.json reads as a failure")
	}
}

func TestErrorAnswers(t *testing.T) {
	simtest.WantErrors(t, newTestAdapter(t).http, httpx.OpRefresh, []simtest.ErrorCase{
		{Status: 401, File: "error_401.json", Message: "Invalid auth token."}, // recorded
		{Status: 502, Body: "<html>Bad gateway</html>", Message: "Bad Gateway", Retryable: true},
		{Status: 500, Body: `{"status":0,"messages":[{"code":"server.error","message":"Internal error at Leegality"}]}`, Message: "Internal error at Leegality", Retryable: true},
		{Status: 503, Message: "Service Unavailable", Retryable: true},
		{Status: 429, Message: "Too Many Requests", Retryable: true},
		{Status: 408, Message: "Request Timeout", Retryable: true},
		{Status: 403, Body: `{"messages":["You cannot access this API"]}`, Message: "You cannot access this API"},
		{Status: 404, Message: "Not Found", NotFound: true},
		{Status: 418, Message: "I'm a teapot"},
		{Status: 499, Message: "HTTP 499"},
	})
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
		if !errors.As(refusal(httpx.OpInitiate, 200, tt.ms), &pe) || pe.Retryable != tt.retryable || pe.Message == "" {
			t.Errorf("%+v: %+v, want retryable %v", tt.ms, pe, tt.retryable)
		}
	}
}
