package digio

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// The payloads under testdata/ were recorded from the simulator, except:
// webhook_signed_partial.json and details_two_signers_requested.json,
// which are a public Digio integration's recorded payloads with the
// people and organisations replaced, and details_quirks.json, written by
// hand the way a lenient reader must take Digio (status instead of
// agreement_status, upper case, nulls, an object for a list, unknown
// fields).

var readTestdata = simtest.Testdata

// mapCase is a row of a status mapping table (see simtest.RunMapCases).
type mapCase simtest.MapCase

func TestRecordedDetails(t *testing.T) {
	// Each case names its recorded answer; the body is read from it.
	tests := []mapCase{
		{"details_requested.json", "", signing.StatusPending, "", "requested/requested"},
		{"details_two_signers_requested.json", "", signing.StatusPending, "", "requested/requested/requested"},
		{"details_viewed.json", "", signing.StatusInProgress, "", "requested/viewed"},
		{"details_completed.json", "", signing.StatusCompleted, "", "completed/signed"},
		{"details_quirks.json", "", signing.StatusCompleted, "", "completed/signed"},
		{"details_rejected.json", "", signing.StatusFailed, "Signer declined to sign", "rejected/rejected"},
		{"details_failed.json", "", signing.StatusFailed, "Aadhaar OTP validation failed", "failed/failed"},
		{"details_expired.json", "", signing.StatusExpired, "", "expired/expired"},
		{"details_cancelled.json", "", signing.StatusCancelled, "", "cancelled/cancelled"},
		{"details_unknown.json", "", signing.StatusPending, "", "under_review/pending_verification"},
		{"upload_response.json", "", signing.StatusPending, "", "requested/requested"},
	}
	simtest.RunMapCases(t, tests, func(t *testing.T, c simtest.MapCase) signing.Update {
		d := simtest.Decode[document](t, readTestdata(t, c.Name))
		if !strings.HasPrefix(string(d.ID), "DID") || len(d.ID) != 32 {
			t.Errorf("id %q", d.ID)
		}
		return mapDocument(d, "")
	})
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

func TestErrorAnswers(t *testing.T) {
	simtest.WantErrors(t, newTestAdapter(t).http, httpx.OpRefresh, []simtest.ErrorCase{
		// Recorded.
		{Status: 400, File: "error_400.json", Message: "signers[0].identifier must be a valid email address or 10 digit mobile number"},
		{Status: 401, File: "error_401.json", Message: "Invalid client credentials"},
		{Status: 404, File: "error_404.json", Message: "Document not found", NotFound: true, Gone: true},
		// Only Digio's own "Document not found" says the document is gone;
		// a 404 for an unknown path, or a bare one (a wrong base URL, a
		// proxy), does not.
		{Status: 404, Body: `{"code":"NOT_FOUND","message":"Resource not found"}`, Message: "Resource not found", NotFound: true},
		{Status: 404, Body: `<html>404 Not Found</html>`, Message: "Not Found", NotFound: true},
		{Status: 404, Message: "Not Found", NotFound: true},
		// Without Digio's body, or with part of it.
		{Status: 502, Body: "<html>Bad gateway</html>", Message: "Bad Gateway", Retryable: true},
		{Status: 500, Body: `{"code":"INTERNAL_SERVER_ERROR","message":"Something went wrong at Digio"}`, Message: "Something went wrong at Digio", Retryable: true},
		{Status: 503, Body: `{"code":"SERVICE_UNAVAILABLE"}`, Message: "SERVICE_UNAVAILABLE", Retryable: true},
		{Status: 429, Message: "Too Many Requests", Retryable: true},
		{Status: 408, Message: "Request Timeout", Retryable: true},
		{Status: 400, Body: `{"code":"BAD_REQUEST","details":"file_data is required"}`, Message: "file_data is required"},
		{Status: 403, Body: `{"error":"Forbidden for this client"}`, Message: "Forbidden for this client"},
		{Status: 400, Body: `{"message":null,"code":null}`, Message: "Bad Request"},
		{Status: 418, Message: "I'm a teapot"},
		{Status: 499, Message: "HTTP 499"},
	})
}
