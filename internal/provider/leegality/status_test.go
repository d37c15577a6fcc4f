package leegality

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// testNow is 21-11-2026 15:30:00 IST.
var testNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// mapCase is a row of a status mapping table (see simtest.RunMapCases).
type mapCase simtest.MapCase

func decodeDocument(t *testing.T, js string) *document {
	return simtest.Decode[document](t, []byte(js))
}

// TestMapDocument covers every branch of the mapping table, with the
// encodings Leegality is documented or known to use.
func TestMapDocument(t *testing.T) {
	const open = `"expiryDate":"01-12-2026 15:30:00"`
	tests := []mapCase{
		// PENDING: nothing new.
		{"empty answer", `{}`, signing.StatusPending, "", ""},
		{"sent, not opened", `{"status":"SENT","invitations":[{"active":true,"signed":false,"action":null,` + open + `}]}`,
			signing.StatusPending, "", "SENT"},
		{"draft", `{"status":"DRAFT","invitations":[{"active":false,` + open + `}]}`, signing.StatusPending, "", "DRAFT"},
		{"received", `{"status":"RECEIVED"}`, signing.StatusPending, "", "RECEIVED"},
		{"unknown words change nothing", `{"status":"ON_HOLD","invitations":[{"active":true,"action":"Escalated",` + open + `}]}`,
			signing.StatusPending, "", "ON_HOLD/ESCALATED"},
		{"flags as strings, all false", `{"status":"SENT","invitations":[{"signed":"false","rejected":"false","expired":"0",` + open + `}]}`,
			signing.StatusPending, "", "SENT"},
		{"flags of the wrong type", `{"invitations":[{"signed":{"x":1},"rejected":[true],"expired":null}]}`, signing.StatusPending, "", ""},
		{"invitations of the wrong type", `{"status":"SENT","invitations":"not json"}`, signing.StatusPending, "", "SENT"},
		{"unparseable expiryDate is ignored", `{"invitations":[{"expiryDate":"soon"}]}`, signing.StatusPending, "", ""},
		{"expiryDate a second ahead (IST)", `{"invitations":[{"expiryDate":"21-11-2026 15:30:01"}]}`, signing.StatusPending, "", ""},
		{"comment without a rejection", `{"invitations":[{"comment":"please sign soon",` + open + `}]}`, signing.StatusPending, "", ""},

		// IN_PROGRESS
		{"viewed", `{"status":"SENT","invitations":[{"active":true,"action":"Viewed",` + open + `}]}`,
			signing.StatusInProgress, "", "SENT/VIEWED"},
		{"OTP step, spelt loosely", `{"status":"SENT","invitations":[{"action":"otp_verified"}]}`, signing.StatusInProgress, "", "SENT/OTP_VERIFIED"},
		{"OTP sent", `{"invitations":[{"action":"OTP Sent"}]}`, signing.StatusInProgress, "", "OTP SENT"},
		{"failed eSign attempt, may retry", `{"status":"SENT","invitations":[{"active":true,"action":"Failed","comment":"Name mismatch"}]}`,
			signing.StatusInProgress, "", "SENT/FAILED"},
		{"one of two signed", `{"status":"SENT","invitations":[{"signed":true,"action":"Signed"},{"active":true,` + open + `}]}`,
			signing.StatusInProgress, "", "SENT/SIGNED"},
		{"v3.2 requests[], one of two signed", `{"requests":[{"signed":"true"},{"signed":"false"}]}`, signing.StatusInProgress, "", "SIGNED"},
		{"single invitation object", `{"invitations":{"action":"Viewed"}}`, signing.StatusInProgress, "", "VIEWED"},

		// The status nested under data.document is read too; the
		// documented data.status wins when both are there.
		{"nested status only", `{"document":{"status":"EXPIRED"},"invitations":[{"active":true,` + open + `}]}`,
			signing.StatusExpired, "", "EXPIRED"},
		{"nested deleted", `{"document":{"documentId":"d-1","status":"DELETED"}}`, signing.StatusCancelled, "", "DELETED"},
		{"nested completed, invitations nested too", `{"document":{"status":"Completed","invitations":[{"signed":true}]}}`,
			signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		{"top-level status wins", `{"status":"SENT","document":{"status":"EXPIRED"}}`, signing.StatusPending, "", "SENT"},
		{"nested document of the wrong type", `{"status":"SENT","document":"COMPLETED"}`, signing.StatusPending, "", "SENT"},

		// COMPLETED
		{"completed", `{"status":"COMPLETED","invitations":[{"signed":true,"action":"Signed","signedDate":"21-11-2026 15:35:00"}]}`,
			signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		{"completed in lower case", `{"status":"completed"}`, signing.StatusCompleted, "", "COMPLETED"},
		{"signed document status", `{"status":"SIGNED"}`, signing.StatusCompleted, "", "SIGNED"},
		{"webhook's documentStatus", `{"documentStatus":"Completed"}`, signing.StatusCompleted, "", "COMPLETED"},
		{"v3.2: every request signed, no document status", `{"requests":[{"signed":true},{"signed":"true"}]}`,
			signing.StatusCompleted, "", "SIGNED/SIGNED"},
		{"signed by action alone", `{"status":"SENT","invitations":[{"action":"Signed"}]}`, signing.StatusCompleted, "", "SENT/SIGNED"},
		{"signed although past expiryDate", `{"invitations":[{"signed":true,"expiryDate":"01-01-2020 00:00:00"}]}`,
			signing.StatusCompleted, "", "SIGNED"},

		// FAILED
		{"rejected with a comment", `{"status":"SENT","invitations":[{"active":false,"rejected":true,"action":"Rejected","comment":"Wrong amount"}]}`,
			signing.StatusFailed, "Wrong amount", "SENT/REJECTED"},
		{"rejected by action alone", `{"invitations":[{"action":"REJECTED"}]}`, signing.StatusFailed, "The signer rejected the document", "REJECTED"},
		{"rejected flag as string, reason elsewhere", `{"invitations":[{"rejected":"true","rejectionReason":"Not my loan"}]}`,
			signing.StatusFailed, "Not my loan", "REJECTED"},
		{"declined", `{"invitations":[{"action":"Declined","remarks":"no"}]}`, signing.StatusFailed, "no", "DECLINED"},
		{"rejection wins over completion", `{"status":"COMPLETED","invitations":[{"signed":true},{"rejected":true,"comment":"no"}]}`,
			signing.StatusFailed, "no", "COMPLETED/SIGNED/REJECTED"},
		{"rejection wins over expiry", `{"invitations":[{"rejected":true,"expired":true,"comment":"late no"}]}`,
			signing.StatusFailed, "late no", "REJECTED"},
		{"blank comment", `{"invitations":[{"rejected":true,"comment":"  "}]}`, signing.StatusFailed, "The signer rejected the document", "REJECTED"},

		// EXPIRED
		{"invitation expired", `{"status":"SENT","invitations":[{"active":false,"expired":true,"expiryDate":"21-11-2026 15:00:00"}]}`,
			signing.StatusExpired, "", "SENT/EXPIRED"},
		{"expired as a string", `{"invitations":[{"expired":"true"}]}`, signing.StatusExpired, "", "EXPIRED"},
		{"expired action", `{"invitations":[{"action":"Expired"}]}`, signing.StatusExpired, "", "EXPIRED"},
		{"expiryDate passed, read as IST", `{"status":"SENT","invitations":[{"active":true,"expiryDate":"21-11-2026 15:30:00"}]}`,
			signing.StatusExpired, "", "SENT"},
		{"expiryDate in RFC 3339", `{"invitations":[{"expiryDate":"2026-11-21T09:59:59Z"}]}`, signing.StatusExpired, "", ""},
		{"document expired", `{"status":"EXPIRED","invitations":[{"active":false}]}`, signing.StatusExpired, "", "EXPIRED"},

		// CANCELLED
		{"deleted", `{"status":"DELETED"}`, signing.StatusCancelled, "", "DELETED"},
		{"voided", `{"status":"Voided","invitations":[{"action":"Viewed"}]}`, signing.StatusCancelled, "", "VOIDED/VIEWED"},
	}
	simtest.RunMapCases(t, tests, func(t *testing.T, c simtest.MapCase) signing.Update {
		return mapDocument(decodeDocument(t, c.Body), testNow)
	})
}

// TestExpiryDateIsIST pins the zone: 15:30 IST is 10:00 UTC, so an
// invitation expiring at "21-11-2026 15:30:00" has expired at 10:00 UTC and
// not at 09:59:59. Read as UTC it would still be open for 5½ hours.
func TestExpiryDateIsIST(t *testing.T) {
	d := decodeDocument(t, `{"status":"SENT","invitations":[{"active":true,"expiryDate":"21-11-2026 15:30:00"}]}`)
	if got := mapDocument(d, testNow.Add(-time.Second)).Status; got != signing.StatusPending {
		t.Errorf("a second before expiry: %s", got)
	}
	if got := mapDocument(d, testNow).Status; got != signing.StatusExpired {
		t.Errorf("at expiry: %s", got)
	}
}

func TestParseIST(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"21-11-2026 15:30:00", testNow, true},
		{" 21-11-2026 15:30:00 ", testNow, true},
		{"21-11-2026 15:30", testNow, true},
		{"21/11/2026 15:30:00", testNow, true},
		{"21/11/2026, 15:30:00", testNow, true},
		{"2026-11-21 15:30:00", testNow, true},
		{"21-11-2026", time.Date(2026, 11, 20, 18, 30, 0, 0, time.UTC), true},
		{"2026-11-21T10:00:00Z", testNow, true},
		{"2026-11-21T15:30:00+05:30", testNow, true},
		{"01-01-2027 00:00:00", time.Date(2026, 12, 31, 18, 30, 0, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"32-11-2026 15:30:00", time.Time{}, false},
		{"11-21-2026 15:30:00", time.Time{}, false}, // month first is not Leegality's
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseIST(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseIST(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEvidence(t *testing.T) {
	d := decodeDocument(t, `{"documentId":"01M7YRRT801H1NW31AD668CETA","irn":"s-1","status":"COMPLETED","completedDate":"21-11-2026 15:35:00",
		"invitations":[{"name":"Asha Verma","email":"asha@example.com","phone":"9876543210","signed":true,"action":"Signed","signedDate":"21-11-2026 15:35:00"}]}`)
	want := map[string]string{
		"documentId": "01M7YRRT801H1NW31AD668CETA", "irn": "s-1", "documentStatus": "COMPLETED",
		"completedDate": "21-11-2026 15:35:00", "completedAt": "2026-11-21T10:05:00Z",
		"action": "Signed", "signedDate": "21-11-2026 15:35:00", "signedAt": "2026-11-21T10:05:00Z",
	}
	got := simtest.WantEvidence(t, mapDocument(d, testNow).Evidence, want)
	for _, pii := range []string{"Asha Verma", "asha@example.com", "9876543210"} {
		for k, v := range got {
			if v == pii {
				t.Errorf("evidence[%s] keeps the signer's %q", k, pii)
			}
		}
	}
}

func TestFlexTypes(t *testing.T) {
	simtest.WantLenient[text, flag](t)
	var v struct {
		M messages `json:"m"`
		N messages `json:"n"`
		S messages `json:"s"`
	}
	in := `{"m":[{"code":"c1","message":"m1"},"bare text",{"code":"c2"},{},42,"  "],
		"n":{"code":"one","message":"alone"},
		"s":"just a string"}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	wantM := messages{{Code: "c1", Message: "m1"}, {Message: "bare text"}, {Code: "c2"}}
	if len(v.M) != len(wantM) {
		t.Fatalf("messages = %+v", v.M)
	}
	for i, w := range wantM {
		if v.M[i] != w {
			t.Errorf("message[%d] = %+v, want %+v", i, v.M[i], w)
		}
	}
	if len(v.N) != 1 || v.N[0].Message != "alone" || len(v.S) != 1 || v.S[0].Message != "just a string" {
		t.Errorf("lone message %+v, string %+v", v.N, v.S)
	}
	if w := text(" OTP-verified_now ").word(); w != "OTPVERIFIEDNOW" {
		t.Errorf("word = %q", w)
	}
}

func TestEnvelopeSucceeded(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"status":1,"messages":[],"data":{}}`, true},
		{`{"status":"1","data":null}`, true},
		{`{"status":true}`, true},
		{`{"status":"success"}`, true},
		{`{"status":0,"messages":[{"code":"x","message":"y"}],"data":null}`, false},
		{`{"status":"0","data":{"documentId":"x"}}`, false},
		{`{"status":false}`, false},
		{`{"status":"error"}`, false},
		{`{"data":{"documentId":"x"}}`, true}, // no status: data and no messages
		{`{"data":{"documentId":"x"},"messages":["broken"]}`, false},
		{`{"data":null}`, false},
		{`{}`, false},
	}
	for _, tt := range tests {
		var e envelope
		if err := json.Unmarshal([]byte(tt.body), &e); err != nil {
			t.Fatal(err)
		}
		if got := e.succeeded(); got != tt.want {
			t.Errorf("%s: succeeded = %v, want %v", tt.body, got, tt.want)
		}
	}
}
