package signzy

import (
	"encoding/json"
	"testing"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// The payloads under testdata/ were recorded from the simulator (and, for
// the *_strings and *_quirks files, rewritten the way Signzy's published
// schema and live answers type them: everything a string, fields missing,
// unknown fields added).

var readTestdata = simtest.Testdata

func TestRecordedPullData(t *testing.T) {
	// Each case names its recorded answer; the body is read from it.
	tests := []mapCase{
		{"pulldata_pending.json", "", signing.StatusPending, "", "ACTIVE/PENDING"},
		{"pulldata_pending_quirks.json", "", signing.StatusPending, "", "DRAFT"},
		{"pulldata_in_progress.json", "", signing.StatusInProgress, "", "ACTIVE/IN_PROGRESS"},
		{"pulldata_in_progress_strings.json", "", signing.StatusInProgress, "", "ACTIVE/IN_PROGRESS"},
		{"pulldata_completed.json", "", signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		{"pulldata_completed_strings.json", "", signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		{"pulldata_declined.json", "", signing.StatusFailed, "Signer declined to sign", "CANCELLED/CANCELLED"},
		{"pulldata_aadhaar_failed.json", "", signing.StatusFailed, "Aadhaar authentication failed (K-100)", "FAILED/FAILED"},
		{"pulldata_cancelled.json", "", signing.StatusCancelled, "", "CANCELLED/PENDING"},
		// A callback carries the pullData shape too.
		{"callback_completed.json", "", signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		{"callback_declined.json", "", signing.StatusFailed, "Signer declined to sign", "CANCELLED/CANCELLED"},
	}
	simtest.RunMapCases(t, tests, func(t *testing.T, c simtest.MapCase) signing.Update {
		ct := simtest.Decode[contract](t, readTestdata(t, c.Name))
		if len(ct.ContractID) != 36 {
			t.Errorf("contractId %q", ct.ContractID)
		}
		return mapContract(ct)
	})
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

func TestErrorAnswers(t *testing.T) {
	simtest.WantErrors(t, newTestAdapter(t).http, httpx.OpRefresh, []simtest.ErrorCase{
		// Recorded.
		{Status: 400, File: "error_400.json", Message: "callbackUrl is not allowed to be empty"},
		{Status: 401, File: "error_401.json", Message: "Unauthorized"},
		{Status: 404, File: "error_404.json", Message: "Contract not found", NotFound: true, Gone: true},
		// Only Signzy's own "Contract not found" says the contract is gone;
		// a 404 without it (a wrong base URL, a proxy) does not, nor does
		// any other status.
		{Status: 404, Body: `{"name":"error","message":"Not Found","statusCode":404}`, Message: "Not Found", NotFound: true},
		{Status: 404, Body: `<html>404 Not Found</html>`, Message: "Not Found", NotFound: true},
		{Status: 404, Message: "Not Found", NotFound: true},
		{Status: 400, File: "error_404.json", Message: "Contract not found"},
		// Without Signzy's body, or with part of it.
		{Status: 502, Body: "<html>Bad gateway</html>", Message: "Bad Gateway", Retryable: true},
		{Status: 500, Body: `{"name":"error","message":"Internal error at Signzy","statusCode":500}`, Message: "Internal error at Signzy", Retryable: true},
		{Status: 429, Message: "Too Many Requests", Retryable: true},
		{Status: 408, Message: "Request Timeout", Retryable: true},
		{Status: 403, Body: `{"message":"You cannot consume this service"}`, Message: "You cannot consume this service"},
		{Status: 418, Message: "I'm a teapot"},
		{Status: 499, Message: "HTTP 499"},
	})
}
