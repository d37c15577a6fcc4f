package bankid

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

func TestCollectTable(t *testing.T) {
	tests := []struct {
		status, hint string
		want         outcome
		reason       string // a substring of the reason; "" for none
	}{
		{"pending", "outstandingTransaction", outWaiting, ""},
		{"pending", "noClient", outWaiting, ""},
		{"pending", "started", outSigning, ""},
		{"pending", "userSign", outSigning, ""},
		{"pending", "userMrtd", outSigning, ""},
		{"pending", "userCallConfirm", outSigning, ""},
		{"pending", "processing", outSigning, ""},
		{"pending", "futureHintCode", outWaiting, ""}, // unknown: nothing new
		{"pending", "", outWaiting, ""},
		{"complete", "", outSigned, ""},
		{"complete", "userSign", outSigned, ""},
		{"failed", "expiredTransaction", outTimedOut, ""},
		{"failed", "startFailed", outTimedOut, ""},
		{"failed", "cancelled", outInterrupted, ""},
		{"failed", "userCancel", outDeclined, "declined to sign"},
		{"failed", "userDeclinedCall", outDeclined, "declined the BankID verification call"},
		{"failed", "certificateErr", outDeclined, "blocked, revoked"},
		{"failed", "notSupportedByUserApp", outDeclined, "too old"},
		{"failed", "transactionRiskBlocked", outDeclined, "too risky"},
		{"failed", "futureFailure", outDeclined, "(futureFailure)"}, // unknown: declined, naming the code
		{"failed", "", outDeclined, "(no hintCode)"},
		{"someNewStatus", "x", outWaiting, ""}, // unknown status: nothing new
	}
	for _, tt := range tests {
		got, reason := classify(&collectResponse{Status: tt.status, HintCode: tt.hint})
		if got != tt.want {
			t.Errorf("%s/%s: %d, want %d", tt.status, tt.hint, got, tt.want)
		}
		if tt.reason == "" && reason != "" || !strings.Contains(reason, tt.reason) {
			t.Errorf("%s/%s: reason %q, want one containing %q", tt.status, tt.hint, reason, tt.reason)
		}
		if got == outDeclined && reason == "" {
			t.Errorf("%s/%s: declined without a reason", tt.status, tt.hint)
		}
	}
	// Every hint code PROVIDERS.md lists is in the table.
	for _, h := range []string{"outstandingTransaction", "noClient", "started", "userSign", "userMrtd", "userCallConfirm", "processing"} {
		if _, ok := collectTable["pending/"+h]; !ok {
			t.Errorf("pending/%s is not in the table", h)
		}
	}
	for _, h := range []string{"expiredTransaction", "certificateErr", "userCancel", "cancelled", "startFailed", "userDeclinedCall", "notSupportedByUserApp", "transactionRiskBlocked"} {
		if _, ok := collectTable["failed/"+h]; !ok {
			t.Errorf("failed/%s is not in the table", h)
		}
	}
}

var readTestdata = simtest.Testdata

// The payloads under testdata/ were recorded from the simulator; the
// *_quirks files add what other API versions send (noClient, a v5 cert
// object, unknown fields, a null hintCode).
func TestRecordedCollect(t *testing.T) {
	tests := []struct {
		file     string
		status   outcome
		provider string
	}{
		{"collect_pending_outstanding.json", outWaiting, "pending/outstandingTransaction"},
		{"collect_pending_noclient_quirks.json", outWaiting, "pending/noClient"},
		{"collect_pending_started.json", outSigning, "pending/started"},
		{"collect_pending_usersign.json", outSigning, "pending/userSign"},
		{"collect_pending_unknown_hint.json", outWaiting, "pending/futureHintCode"},
		{"collect_complete.json", outSigned, "complete"},
		{"collect_complete_quirks.json", outSigned, "complete"},
		{"collect_failed_usercancel.json", outDeclined, "failed/userCancel"},
		{"collect_failed_expired.json", outTimedOut, "failed/expiredTransaction"},
		{"collect_failed_startfailed.json", outTimedOut, "failed/startFailed"},
		{"collect_failed_cancelled_by_new_order.json", outInterrupted, "failed/cancelled"},
		{"collect_failed_certificateerr.json", outDeclined, "failed/certificateErr"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := parseCollect(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.OrderRef) != 36 {
				t.Errorf("orderRef %q", c.OrderRef)
			}
			if got, _ := classify(c); got != tt.status {
				t.Errorf("outcome %d, want %d", got, tt.status)
			}
			if got := providerStatus(c); got != tt.provider {
				t.Errorf("ProviderStatus %q, want %q", got, tt.provider)
			}
			if tt.status == outSigned {
				cd := c.CompletionData
				if cd.User.PersonalNumber != "199001011239" || cd.User.Name == "" || cd.Signature == "" || cd.OCSPResponse == "" {
					t.Errorf("completion data %+v", cd.User)
				}
				sig, err := decodeBase64(cd.Signature)
				if err != nil {
					t.Fatal(err)
				}
				text, err := signedVisibleData(sig)
				if err != nil || !strings.Contains(string(text), "loan.pdf") {
					t.Errorf("usrVisibleData %q, %v", text, err)
				}
				var ev map[string]json.RawMessage
				if err := json.Unmarshal(evidence(c.OrderRef, c, simtest.Epoch), &ev); err != nil || len(ev["completionData"]) == 0 {
					t.Errorf("evidence %v, %v", ev, err)
				}
			}
		})
	}
}

func TestRecordedSignResponse(t *testing.T) {
	var r signResponse
	if err := json.Unmarshal(readTestdata(t, "sign_response.json"), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.OrderRef) != 36 || r.AutoStartToken == "" || r.QRStartToken == "" || r.QRStartSecret == "" {
		t.Errorf("sign response read as %+v", r)
	}
}

func TestErrorAnswers(t *testing.T) {
	a, err := New(Config{BaseURL: TestURL, PublicURL: "https://signet.example", HTTPClient: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	simtest.WantErrors(t, a.http, httpx.OpRefresh, []simtest.ErrorCase{
		// Recorded.
		{Status: 400, File: "error_alreadyinprogress.json", Message: "Order already in progress for pno"},
		{Status: 400, File: "error_invalidparameters_no_such_order.json", Message: "No such order", NotFound: true},
		{Status: 400, File: "error_invalidparameters_cancel_twice.json", Message: "Order already failed"},
		{Status: 401, File: "error_unauthorized.json", Message: "RP does not have access to the service"},
		{Status: 404, File: "error_notfound.json", Message: "An erroneous URL path was used", NotFound: true},
		{Status: 500, File: "error_internalerror.json", Message: "Simulated failure: Internal Server Error", Retryable: true},
		{Status: 503, File: "error_maintenance.json", Message: "Simulated failure: Service Unavailable", Retryable: true},
		// Without BankID's body, or with part of it.
		{Status: 502, Body: "<html>Bad Gateway</html>", Message: "Bad Gateway", Retryable: true},
		{Status: 404, Body: "<html>Not Found</html>", Message: "Not Found"}, // not BankID's notFound
		{Status: 429, Message: "Too Many Requests", Retryable: true},
		{Status: 408, Body: `{"errorCode":"requestTimeout","details":""}`, Message: "BankID timed out reading the request", Retryable: true},
		{Status: 400, Body: `{"errorCode":"requestTimeout"}`, Message: "BankID timed out reading the request", Retryable: true}, // the code decides
		{Status: 503, Body: `{"errorCode":"maintenance","details":"Planned maintenance"}`, Message: "Planned maintenance", Retryable: true},
		{Status: 500, Body: `{"errorCode":"invalidParameters","details":"x"}`, Message: "x"}, // the RP's fault, whatever the status
		{Status: 418, Body: `{"errorCode":"brandNew","details":""}`, Message: "BankID error brandNew"},
		{Status: 415, Body: `{"errorCode":"unsupportedMediaType"}`, Message: "BankID does not accept the request's content type"},
	})
}

func TestParseCollectRefuses(t *testing.T) {
	for _, body := range []string{
		``, `[]`, `"pending"`, `{`, `{}`, `{"status":1}`, `{"status":"pending","hintCode":{}}`,
		`{"status":"complete"}`, `{"status":"complete","completionData":{}}`, `{"status":"complete","completionData":[]}`,
		`{"status":"complete","completionData":{"signature":7}}`, `{"orderRef":false,"status":"pending"}`,
	} {
		if c, err := parseCollect([]byte(body)); err == nil || !errors.Is(err, errBadCollect) {
			t.Errorf("parseCollect(%s) = %+v, %v; want errBadCollect", body, c, err)
		}
	}
}

// FuzzParseCollect feeds the collect parser arbitrary bodies. It must
// never panic; what it accepts has a status, a decline has a reason, and
// a complete answer always has a signature and valid JSON evidence that
// reads back. Seeds are in testdata/fuzz/FuzzParseCollect.
func FuzzParseCollect(f *testing.F) {
	for _, name := range []string{"collect_complete.json", "collect_pending_started.json", "collect_failed_usercancel.json", "collect_pending_noclient_quirks.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseCollect(body)
		if err != nil {
			if !errors.Is(err, errBadCollect) {
				t.Fatalf("error %v is not errBadCollect", err)
			}
			return
		}
		if c.Status == "" {
			t.Fatal("accepted an answer without status")
		}
		out, reason := classify(c)
		if out == outDeclined && (reason == "" || !utf8.ValidString(reason)) {
			t.Fatalf("declined with reason %q", reason)
		}
		if ps := providerStatus(c); len([]rune(ps)) > 101 {
			t.Fatalf("ProviderStatus of %d runes", len([]rune(ps)))
		}
		if out == outSigned {
			if c.CompletionData == nil || strings.TrimSpace(c.CompletionData.Signature) == "" {
				t.Fatal("complete without a signature")
			}
			ev := evidence("ref", c, simtest.Epoch)
			if !json.Valid(ev) {
				t.Fatal("evidence is not JSON")
			}
			if back, err := readEvidence(ev); err == nil && back.orderRef != "ref" {
				t.Fatalf("evidence reads back as %+v", back)
			}
			if sig, err := decodeBase64(c.CompletionData.Signature); err == nil {
				_, _ = signedVisibleData(sig) // must not panic
			}
		}
	})
}
