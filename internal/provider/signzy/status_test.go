package signzy

import (
	"encoding/json"
	"testing"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// mapCase is a row of a status mapping table (see simtest.RunMapCases).
type mapCase simtest.MapCase

func decodeContract(t *testing.T, js string) *contract {
	return simtest.Decode[contract](t, []byte(js))
}

// TestMapContract covers every branch of the mapping table, with the
// encodings Signzy is known or documented to use.
func TestMapContract(t *testing.T) {
	tests := []mapCase{
		// PENDING
		{"empty answer", `{}`, signing.StatusPending, "", ""},
		{"new contract", `{"isCompleted":false,"signedSignerCount":0,"contractStatus":"ACTIVE","signerdetail":[{"status":"PENDING","esignAttempts":[]}]}`,
			signing.StatusPending, "", "ACTIVE/PENDING"},
		{"draft signer", `{"signerdetail":[{"status":"DRAFT"}]}`, signing.StatusPending, "", "DRAFT"},
		{"unknown words change nothing", `{"contractStatus":"FROBNICATED","signerdetail":[{"status":"WOBBLING"}]}`,
			signing.StatusPending, "", "FROBNICATED/WOBBLING"},
		{"isCompleted false as string", `{"isCompleted":"false","signedSignerCount":"0"}`, signing.StatusPending, "", ""},
		{"isCompleted garbage", `{"isCompleted":{"x":1},"signedSignerCount":[1]}`, signing.StatusPending, "", ""},
		{"cancel timestamp null or empty", `{"contractCancelTimestamp":null,"signerdetail":[{"signerCancelMessage":""}]}`, signing.StatusPending, "", ""},
		{"signerdetail of the wrong type", `{"signerdetail":"not json"}`, signing.StatusPending, "", ""},

		// IN_PROGRESS
		{"signer opened the page", `{"contractStatus":"ACTIVE","signerdetail":[{"status":"IN_PROGRESS"}]}`,
			signing.StatusInProgress, "", "ACTIVE/IN_PROGRESS"},
		{"status word in lower case", `{"signerdetail":[{"status":" initiated "}]}`, signing.StatusInProgress, "", "INITIATED"},
		{"an esign attempt", `{"signerdetail":[{"status":"PENDING","esignAttempts":[{"aadhaarStatus":"","errorMessage":""}]}]}`,
			signing.StatusInProgress, "", "PENDING"},
		{"esignAttempts as a JSON string", `{"signerdetail":[{"esignAttempts":"[{\"aadhaarStatus\":\"1\"}]"}]}`, signing.StatusInProgress, "", ""},
		{"one of two signed", `{"isCompleted":false,"signedSignerCount":1,"initialSignerCount":2}`, signing.StatusInProgress, "", ""},
		{"signed count as string", `{"signedSignerCount":"1"}`, signing.StatusInProgress, "", ""},
		{"successful attempts counted", `{"signerdetail":[{"noOfSuccessfulAttempts":"1"}]}`, signing.StatusInProgress, "", ""},
		{"Aadhaar failure with retries left", `{"signerdetail":[{"status":"IN_PROGRESS","esignAttempts":[{"aadhaarStatus":"0","errorMessage":"OTP validation failed"}]}]}`,
			signing.StatusInProgress, "", "IN_PROGRESS"},
		{"single signer object instead of a list", `{"signerdetail":{"status":"IN_PROGRESS"}}`, signing.StatusInProgress, "", "IN_PROGRESS"},

		// COMPLETED
		{"completed", `{"isCompleted":true,"signedSignerCount":1,"contractStatus":"COMPLETED","signerdetail":[{"status":"SIGNED"}]}`,
			signing.StatusCompleted, "", "COMPLETED/SIGNED"},
		{"completed as string", `{"isCompleted":"true","signedSignerCount":"1"}`, signing.StatusCompleted, "", "COMPLETED"},
		{"completed as TRUE", `{"isCompleted":"TRUE"}`, signing.StatusCompleted, "", "COMPLETED"},
		{"completed as 1", `{"isCompleted":1}`, signing.StatusCompleted, "", "COMPLETED"},
		{"completed without counts", `{"isCompleted":true}`, signing.StatusCompleted, "", "COMPLETED"},
		{"completed after failed attempts", `{"isCompleted":true,"signedSignerCount":1,"signerdetail":[{"status":"SIGNED","noOfFailureAttempts":5}]}`,
			signing.StatusCompleted, "", "COMPLETED/SIGNED"},

		// FAILED
		{"signer declined", `{"contractStatus":"CANCELLED","contractCancelTimestamp":"2026-11-21T10:00:00.000Z","cancelledSignerCount":1,` +
			`"signerdetail":[{"status":"CANCELLED","signerCancelMessage":"Signer declined to sign"}]}`,
			signing.StatusFailed, "Signer declined to sign", "CANCELLED/CANCELLED"},
		{"cancel message alone", `{"signerdetail":[{"status":"PENDING","signerCancelMessage":"I do not agree"}]}`,
			signing.StatusFailed, "I do not agree", "PENDING"},
		{"rejected signer without a message", `{"signerdetail":[{"status":"REJECTED"}]}`, signing.StatusFailed, "Signer declined to sign", "REJECTED"},
		{"decline wins over isCompleted", `{"isCompleted":true,"signerdetail":[{"status":"DECLINED","signerCancelMessage":"no"}]}`,
			signing.StatusFailed, "no", "COMPLETED/DECLINED"},
		{"completed without a signature", `{"isCompleted":true,"signedSignerCount":0,"signerdetail":[{"status":"PENDING","errorMessage":"Name mismatch"}]}`,
			signing.StatusFailed, "Name mismatch", "COMPLETED/PENDING"},
		{"completed without a signature, no message", `{"isCompleted":"true","signedSignerCount":"0"}`,
			signing.StatusFailed, "Signzy closed the contract without a signature", "COMPLETED"},
		{"Aadhaar failure, signer failed", `{"contractStatus":"FAILED","signerdetail":[{"status":"FAILED","esignAttempts":[` +
			`{"aadhaarStatus":"0","errorMessage":"OTP validation failed","aadhaarErrorMessage":"OTP validation failed"},` +
			`{"aadhaarStatus":"0","errorMessage":"Aadhaar authentication failed","aadhaarErrorMessage":"Aadhaar authentication failed"}]}]}`,
			signing.StatusFailed, "Aadhaar authentication failed", "FAILED/FAILED"},
		{"Aadhaar failure, attempts used up", `{"signerdetail":[{"status":"IN_PROGRESS","esignAttempts":[` +
			`{"aadhaarStatus":"0","errorMessage":"e1"},{"aadhaarStatus":"0","errorMessage":"e2"},{"aadhaarStatus":"0","errorMessage":"e3"}]}]}`,
			signing.StatusFailed, "e3", "IN_PROGRESS"},
		{"Aadhaar failure counted only", `{"signerdetail":[{"noOfFailureAttempts":"3","aadhaarErrorMessage":"Biometric mismatch"}]}`,
			signing.StatusFailed, "Biometric mismatch", ""},
		{"Aadhaar failure without words", `{"signerdetail":[{"status":"ERROR"}]}`, signing.StatusFailed, "Aadhaar eSign failed", "ERROR"},
		{"Aadhaar failure wins over a cancelled contract", `{"contractCancelTimestamp":"2026-11-21T10:00:00.000Z","signerdetail":[{"status":"FAILED","errorMessage":"K-100"}]}`,
			signing.StatusFailed, "K-100", "FAILED"},
		{"successful attempt is not a failure", `{"signerdetail":[{"status":"FAILED","esignAttempts":[{"aadhaarStatus":"1","errorMessage":"NA"}]}]}`,
			signing.StatusFailed, "Aadhaar eSign failed", "FAILED"},

		// CANCELLED
		{"cancelled at Signzy", `{"contractStatus":"CANCELLED","contractCancelTimestamp":"2026-11-21T10:00:00.000Z","signerdetail":[{"status":"PENDING"}]}`,
			signing.StatusCancelled, "", "CANCELLED/PENDING"},
		{"cancel timestamp alone, as a number", `{"contractCancelTimestamp":1763719200000}`, signing.StatusCancelled, "", ""},
		{"cancelled status alone", `{"contractStatus":"canceled"}`, signing.StatusCancelled, "", "CANCELED"},

		// EXPIRED
		{"expired", `{"contractStatus":"EXPIRED","signerdetail":[{"status":"PENDING"}]}`, signing.StatusExpired, "", "EXPIRED/PENDING"},
	}
	simtest.RunMapCases(t, tests, func(t *testing.T, c simtest.MapCase) signing.Update {
		return mapContract(decodeContract(t, c.Body))
	})
}

func TestEvidence(t *testing.T) {
	c := decodeContract(t, `{"contractId":"c1","isCompleted":true,"contractStatus":"COMPLETED","contractCompletionTime":"21/11/2026, 15:31:00",
		"finalSignedContractHash":"ab","finalSignedContract":"JVBERi0=","signerdetail":[{"signerId":"s1","status":"SIGNED"}]}`)
	want := map[string]string{"contractId": "c1", "contractStatus": "COMPLETED", "contractCompletionTime": "21/11/2026, 15:31:00",
		"finalSignedContractHash": "ab", "signerId": "s1", "signerStatus": "SIGNED"}
	simtest.WantEvidence(t, mapContract(c).Evidence, want)
}

func TestFlexTypes(t *testing.T) {
	simtest.WantLenient[text, flag](t)
	var v struct {
		C []count `json:"c"`
	}
	in := `{"c":[1,"2"," 3 ",-1,1.5,"x",null,"",1e12,0]}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	wantC := []count{{1, true}, {2, true}, {3, true}, {}, {}, {}, {}, {}, {}, {0, true}}
	for i, w := range wantC {
		if v.C[i] != w {
			t.Errorf("count[%d] = %+v, want %+v", i, v.C[i], w)
		}
	}
}
