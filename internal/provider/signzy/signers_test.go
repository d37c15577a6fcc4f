package signzy

import (
	"encoding/json"
	"testing"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// threeSigners is a session of three signers Signzy knows as s1, s2, s3.
func threeSigners() signing.ProviderRef {
	st, _ := json.Marshal(state{SignerID: "s1", SignerIDs: []string{"s1", "s2", "s3"}})
	return signing.ProviderRef{Ref: "c-1", State: st, Signers: []signing.Signer{
		{ID: "a", ProviderRef: "s1"}, {ID: "b", ProviderRef: "s2"}, {ID: "c", ProviderRef: "s3"}}}
}

// TestSignerUpdates maps multi-signer contracts: the session's status
// from the signers and the counts, each signer's by Signet's index.
func TestSignerUpdates(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		status  signing.Status
		reason  string
		signers string
	}{
		{"nobody started", `{"signedSignerCount":0,"initialSignerCount":3,"signerdetail":[{"signerId":"s1","status":"PENDING"},{"signerId":"s2","status":"PENDING"},{"signerId":"s3","status":"PENDING"}]}`,
			signing.StatusPending, "", ""},
		{"the second opened the page", `{"signedSignerCount":0,"signerdetail":[{"signerId":"s1","status":"PENDING"},{"signerId":"s2","status":"IN_PROGRESS"},{"signerId":"s3","status":"PENDING"}]}`,
			signing.StatusInProgress, "", "1:IN_PROGRESS"},
		{"one of three signed", `{"signedSignerCount":1,"isCompleted":false,"signerdetail":[{"signerId":"s1","status":"SIGNED"},{"signerId":"s2","status":"IN_PROGRESS"},{"signerId":"s3","status":"PENDING"}]}`,
			signing.StatusInProgress, "", "0:SIGNED 1:IN_PROGRESS"},
		{"signed, told by the signed file", `{"signedSignerCount":1,"signerdetail":[{"signerId":"s1","status":"PENDING"},{"signerId":"s2","status":"WHATEVER","signerSignedContract":"https://x/f.pdf"}]}`,
			signing.StatusInProgress, "", "1:SIGNED"},
		{"Signzy's order differs from Signet's", `{"signedSignerCount":1,"signerdetail":[{"signerId":"s3","status":"SIGNED"},{"signerId":"s1","status":"PENDING"},{"signerId":"s2","status":"PENDING"}]}`,
			signing.StatusInProgress, "", "2:SIGNED"},
		{"all signed, Signzy not finished yet", `{"signedSignerCount":3,"isCompleted":false,"signerdetail":[{"signerId":"s1","status":"SIGNED"},{"signerId":"s2","status":"SIGNED"},{"signerId":"s3","status":"SIGNED"}]}`,
			signing.StatusInProgress, "", "0:IN_PROGRESS 1:IN_PROGRESS 2:IN_PROGRESS"},
		{"all signed, completed", `{"signedSignerCount":3,"isCompleted":true,"contractStatus":"COMPLETED","signerdetail":[{"signerId":"s1","status":"SIGNED"},{"signerId":"s2","status":"SIGNED"},{"signerId":"s3","status":"SIGNED"}]}`,
			signing.StatusCompleted, "", "0:SIGNED 1:SIGNED 2:SIGNED"},
		{"completed with a signer failing earlier attempts", `{"signedSignerCount":3,"isCompleted":true,"signerdetail":[{"signerId":"s1","status":"SIGNED","noOfFailureAttempts":4},{"signerId":"s2","status":"SIGNED"},{"signerId":"s3","status":"SIGNED"}]}`,
			signing.StatusCompleted, "", "0:SIGNED 1:SIGNED 2:SIGNED"},
		{"closed with fewer signatures than signers", `{"signedSignerCount":2,"isCompleted":true,"signerdetail":[{"signerId":"s1","status":"SIGNED"},{"signerId":"s2","status":"SIGNED"},{"signerId":"s3","status":"PENDING"}]}`,
			signing.StatusFailed, "Signzy closed the contract with 2 of its 3 signatures", "0:SIGNED 1:SIGNED"},
		{"the second declined", `{"signedSignerCount":1,"contractStatus":"CANCELLED","cancelledSignerCount":1,"signerdetail":[{"signerId":"s1","status":"SIGNED"},` +
			`{"signerId":"s2","status":"CANCELLED","signerCancelMessage":"Signer declined to sign"},{"signerId":"s3","status":"PENDING"}]}`,
			signing.StatusFailed, "Signer declined to sign", "0:SIGNED 1:FAILED(Signer declined to sign)"},
		{"the third's Aadhaar failed for good", `{"signedSignerCount":0,"contractStatus":"FAILED","signerdetail":[{"signerId":"s1","status":"IN_PROGRESS"},{"signerId":"s2","status":"PENDING"},` +
			`{"signerId":"s3","status":"FAILED","errorMessage":"Aadhaar authentication failed (K-100)"}]}`,
			signing.StatusFailed, "Aadhaar authentication failed (K-100)", "0:IN_PROGRESS 2:FAILED(Aadhaar authentication failed (K-100))"},
		{"a signer Signet does not know", `{"signerdetail":[{"signerId":"s9","status":"SIGNED"},{"signerId":"s1","status":"IN_PROGRESS"}]}`,
			signing.StatusInProgress, "", "0:IN_PROGRESS"},
		{"an unknown status word is no news", `{"signerdetail":[{"signerId":"s1","status":"QUANTUM_VERIFIED"}]}`,
			signing.StatusPending, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := threeSigners()
			c := decodeContract(t, tt.body)
			u := mapContract(c)
			u.Signers = signerUpdates(c, ref, u)
			if u.Status != tt.status || u.Reason != tt.reason || simtest.SignerWords(u.Signers) != tt.signers {
				t.Errorf("update = (%s, %q, [%s]), want (%s, %q, [%s])", u.Status, u.Reason, simtest.SignerWords(u.Signers), tt.status, tt.reason, tt.signers)
			}
			for _, su := range u.Signers {
				if (su.Status == signing.SignerSigned) != (su.Evidence != nil) {
					t.Errorf("signer %d %s with evidence %s", su.Index, su.Status, su.Evidence)
				}
			}
		})
	}
}

// TestSignerIndex finds Signet's signer without a ProviderRef too: by
// the adapter's state, else by position.
func TestSignerIndex(t *testing.T) {
	c := decodeContract(t, `{"signerdetail":[{"signerId":"s2","status":"IN_PROGRESS"},{"status":"SIGNED"}]}`)
	st, _ := json.Marshal(state{SignerID: "s1", SignerIDs: []string{"s1", "s2"}})
	byState := signing.ProviderRef{State: st, Signers: []signing.Signer{{ID: "a"}, {ID: "b"}}}
	if got := simtest.SignerWords(signerUpdates(c, byState, mapContract(c))); got != "1:IN_PROGRESS" {
		t.Errorf("by state: [%s]", got)
	}
	byPosition := signing.ProviderRef{Signers: []signing.Signer{{ID: "a"}, {ID: "b"}}}
	if got := simtest.SignerWords(signerUpdates(c, byPosition, mapContract(c))); got != "0:IN_PROGRESS 1:SIGNED" {
		t.Errorf("by position: [%s]", got)
	}
	// A single-signer session kept only signerId.
	one, _ := json.Marshal(state{SignerID: "s2"})
	if got := simtest.SignerWords(signerUpdates(c, signing.ProviderRef{State: one}, mapContract(c))); got != "0:IN_PROGRESS" {
		t.Errorf("by the single signerId: [%s]", got)
	}
}

// TestSingleSignerUpdate: one signer's update says what the session's
// does, so Signet takes it exactly as before there were several.
func TestSingleSignerUpdate(t *testing.T) {
	for _, tt := range []struct {
		file, signers string
	}{
		{"pulldata_pending.json", ""},
		{"pulldata_in_progress.json", "0:IN_PROGRESS"},
		{"pulldata_completed.json", "0:SIGNED"},
		{"pulldata_declined.json", "0:FAILED(Signer declined to sign)"},
		{"pulldata_aadhaar_failed.json", "0:FAILED(Aadhaar authentication failed (K-100))"},
		{"pulldata_cancelled.json", ""},
	} {
		c := decodeContract(t, string(readTestdata(t, tt.file)))
		u := mapContract(c)
		if got := simtest.SignerWords(signerUpdates(c, signing.ProviderRef{Ref: string(c.ContractID)}, u)); got != tt.signers {
			t.Errorf("%s: [%s], want [%s]", tt.file, got, tt.signers)
		}
	}
}
