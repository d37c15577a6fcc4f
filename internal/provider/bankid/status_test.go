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
	"github.com/signet-dev/signet/internal/signing"
)

func TestCollectTable(t *testing.T) {
	tests := []struct {
		status, hint string
		want         signing.Status
		reason       string // a substring of the reason; "" for none
	}{
		{"pending", "outstandingTransaction", signing.StatusPending, ""},
		{"pending", "noClient", signing.StatusPending, ""},
		{"pending", "started", signing.StatusInProgress, ""},
		{"pending", "userSign", signing.StatusInProgress, ""},
		{"pending", "userMrtd", signing.StatusInProgress, ""},
		{"pending", "userCallConfirm", signing.StatusInProgress, ""},
		{"pending", "processing", signing.StatusInProgress, ""},
		{"pending", "futureHintCode", signing.StatusPending, ""}, // unknown: nothing new
		{"pending", "", signing.StatusPending, ""},
		{"complete", "", signing.StatusCompleted, ""},
		{"complete", "userSign", signing.StatusCompleted, ""},
		{"failed", "expiredTransaction", signing.StatusExpired, ""},
		{"failed", "startFailed", signing.StatusExpired, ""},
		{"failed", "userCancel", signing.StatusFailed, "declined to sign"},
		{"failed", "userDeclinedCall", signing.StatusFailed, "declined the BankID verification call"},
		{"failed", "cancelled", signing.StatusCancelled, ""},
		{"failed", "certificateErr", signing.StatusFailed, "blocked, revoked"},
		{"failed", "notSupportedByUserApp", signing.StatusFailed, "too old"},
		{"failed", "transactionRiskBlocked", signing.StatusFailed, "too risky"},
		{"failed", "futureFailure", signing.StatusFailed, "(futureFailure)"}, // unknown: failed, naming the code
		{"failed", "", signing.StatusFailed, "(no hintCode)"},
		{"someNewStatus", "x", signing.StatusPending, ""}, // unknown status: nothing new
	}
	for _, tt := range tests {
		o := mapCollect(&collectResponse{Status: tt.status, HintCode: tt.hint})
		if o.status != tt.want {
			t.Errorf("%s/%s: %s, want %s", tt.status, tt.hint, o.status, tt.want)
		}
		if tt.reason == "" && o.reason != "" || !strings.Contains(o.reason, tt.reason) {
			t.Errorf("%s/%s: reason %q, want one containing %q", tt.status, tt.hint, o.reason, tt.reason)
		}
		if o.status == signing.StatusFailed && o.reason == "" {
			t.Errorf("%s/%s: FAILED without a reason", tt.status, tt.hint)
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
		status   signing.Status
		provider string
	}{
		{"collect_pending_outstanding.json", signing.StatusPending, "pending/outstandingTransaction"},
		{"collect_pending_noclient_quirks.json", signing.StatusPending, "pending/noClient"},
		{"collect_pending_started.json", signing.StatusInProgress, "pending/started"},
		{"collect_pending_usersign.json", signing.StatusInProgress, "pending/userSign"},
		{"collect_pending_unknown_hint.json", signing.StatusPending, "pending/futureHintCode"},
		{"collect_complete.json", signing.StatusCompleted, "complete"},
		{"collect_complete_quirks.json", signing.StatusCompleted, "complete"},
		{"collect_failed_usercancel.json", signing.StatusFailed, "failed/userCancel"},
		{"collect_failed_expired.json", signing.StatusExpired, "failed/expiredTransaction"},
		{"collect_failed_cancelled.json", signing.StatusCancelled, "failed/cancelled"},
		{"collect_failed_cancelled_by_new_order.json", signing.StatusCancelled, "failed/cancelled"},
		{"collect_failed_certificateerr.json", signing.StatusFailed, "failed/certificateErr"},
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
			if o := mapCollect(c); o.status != tt.status {
				t.Errorf("status %s, want %s", o.status, tt.status)
			}
			if got := providerStatus(c); got != tt.provider {
				t.Errorf("ProviderStatus %q, want %q", got, tt.provider)
			}
			if tt.status == signing.StatusCompleted {
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
				if err := json.Unmarshal(evidence(c.OrderRef, c), &ev); err != nil || len(ev["completionData"]) == 0 {
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
// never panic; what it accepts has a status, maps onto a known Signet
// status, and a complete answer always has a signature and valid JSON
// evidence. Seeds are in testdata/fuzz/FuzzParseCollect.
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
		o := mapCollect(c)
		if !o.status.Valid() {
			t.Fatalf("mapped onto %q", o.status)
		}
		if o.status == signing.StatusFailed && (o.reason == "" || !utf8.ValidString(o.reason)) {
			t.Fatalf("FAILED with reason %q", o.reason)
		}
		if ps := providerStatus(c); len([]rune(ps)) > 101 {
			t.Fatalf("ProviderStatus of %d runes", len([]rune(ps)))
		}
		if o.status == signing.StatusCompleted {
			if c.CompletionData == nil || strings.TrimSpace(c.CompletionData.Signature) == "" {
				t.Fatal("complete without a signature")
			}
			if !json.Valid(evidence("ref", c)) {
				t.Fatal("evidence is not JSON")
			}
			if sig, err := decodeBase64(c.CompletionData.Signature); err == nil {
				_, _ = signedVisibleData(sig) // must not panic
			}
		}
	})
}
