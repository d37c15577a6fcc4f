package signzy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Signzy's status vocabulary. Only "DRAFT" and "PENDING" (signer) are
// documented; the others are guesses at the words a finished, failed or
// started signer would carry (the simulator uses some of them). Words not
// listed here change nothing.
var (
	// signerDeclined: the signer refused or cancelled the signing.
	signerDeclined = words("CANCELLED", "CANCELED", "REJECTED", "DECLINED")
	// signerFailed: the signer's Aadhaar eSign failed for good.
	signerFailed = words("FAILED", "FAILURE", "ERROR", "ESIGN_FAILED")
	// signerStarted: the signer opened the journey or is part way through.
	signerStarted = words("INITIATED", "IN_PROGRESS", "INPROGRESS", "STARTED", "OPENED", "VIEWED", "OTP_SENT", "SIGNED", "COMPLETED")
	// contractCancelled / contractExpired: the contract as a whole ended.
	contractCancelled = words("CANCELLED", "CANCELED")
	contractExpired   = words("EXPIRED")
	// attemptFailed: an esignAttempt's aadhaarStatus reporting a failure
	// (Signzy's sample shows "1", with errorMessage "NA", for a success).
	attemptFailed = words("0", "FAILED", "FAILURE", "ERROR")
)

// maxAadhaarAttempts is how many failed Aadhaar eSign attempts a signer
// gets before Signzy stops offering a retry. Signzy does not document a
// number; three is the usual limit of Aadhaar OTP journeys.
const maxAadhaarAttempts = 3

func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// mapContract is the one table from Signzy's view of a contract onto
// Signet's statuses. In order:
//
//  1. a signer declined (signerCancelMessage, or a declined status word)
//     → FAILED, with the signer's message as the reason;
//  2. isCompleted → COMPLETED, unless Signzy says no signer signed
//     (signedSignerCount 0: the contract closed without a signature, for
//     example on an identity mismatch) or fewer than its signers → FAILED;
//  3. an Aadhaar failure with no retry left → FAILED with its message;
//  4. contractCancelTimestamp or a cancelled contractStatus → CANCELLED;
//  5. an expired contractStatus → EXPIRED;
//  6. any sign of the signer having started → IN_PROGRESS;
//  7. else PENDING ("nothing new").
//
// What happened to the signer (a decline, a final Aadhaar failure) is
// checked before the contract's own state because Signzy also cancels the
// contract when a signer declines, and the signer's story is the truth
// the client needs. A cancelled contract with no such story was cancelled
// at Signzy (its dashboard): CANCELLED.
//
// This is the session's status; where each signer stands is
// signerUpdates'.
func mapContract(c *contract) signing.Update {
	u := signing.Update{ProviderStatus: providerStatus(c)}

	for _, s := range c.SignerDetail {
		if declined(s) {
			u.Status = signing.StatusFailed
			u.Reason = firstSet(s.SignerCancelMessage, s.ErrorMessage)
			if u.Reason == "" {
				u.Reason = "Signer declined to sign"
			}
			u.Evidence = evidence(c)
			return u
		}
	}

	if c.IsCompleted {
		if c.SignedSignerCount.Known && c.SignedSignerCount.N == 0 {
			u.Status = signing.StatusFailed
			u.Reason = "Signzy closed the contract without a signature"
			if s := firstSigner(c); s != nil {
				if r := firstSet(s.ErrorMessage, s.AadhaarErrorMessage); r != "" {
					u.Reason = r
				}
			}
			u.Evidence = evidence(c)
			return u
		}
		if n := len(c.SignerDetail); c.SignedSignerCount.Known && c.SignedSignerCount.N < n {
			u.Status = signing.StatusFailed
			u.Reason = fmt.Sprintf("Signzy closed the contract with %d of its %d signatures", c.SignedSignerCount.N, n)
			u.Evidence = evidence(c)
			return u
		}
		u.Status = signing.StatusCompleted
		u.Evidence = evidence(c)
		return u
	}

	for _, s := range c.SignerDetail {
		if reason, final := aadhaarFailure(s); final {
			u.Status = signing.StatusFailed
			u.Reason = reason
			u.Evidence = evidence(c)
			return u
		}
	}

	if c.ContractCancelTimestamp.set() || contractCancelled[c.ContractStatus.word()] {
		u.Status = signing.StatusCancelled
		return u
	}
	if contractExpired[c.ContractStatus.word()] {
		u.Status = signing.StatusExpired
		return u
	}

	for _, s := range c.SignerDetail {
		if started(s) {
			u.Status = signing.StatusInProgress
			return u
		}
	}
	if c.SignedSignerCount.N > 0 {
		u.Status = signing.StatusInProgress
		return u
	}
	u.Status = signing.StatusPending
	return u
}

// started reports whether the signer has begun the Aadhaar eSign journey.
func started(s signerState) bool {
	return len(s.ESignAttempts) > 0 ||
		s.NoOfSuccessfulAttempts.N > 0 ||
		s.NoOfFailureAttempts.N > 0 ||
		signerStarted[s.Status.word()]
}

// aadhaarFailure reports the latest Aadhaar failure of a signer and
// whether it is final: the signer's status says failed, or the failed
// attempts used up maxAadhaarAttempts. A failure with retries left is
// still IN_PROGRESS: the signer may try again.
func aadhaarFailure(s signerState) (reason string, final bool) {
	failed := 0
	for _, a := range s.ESignAttempts {
		if !isFailedAttempt(a) {
			continue
		}
		failed++
		if r := firstSet(a.AadhaarErrorMessage, a.ErrorMessage); r != "" {
			reason = r
		}
	}
	failed = max(failed, s.NoOfFailureAttempts.N)
	if r := firstSet(s.AadhaarErrorMessage, s.ErrorMessage); reason == "" && r != "" {
		reason = r
	}
	final = signerFailed[s.Status.word()] || failed >= maxAadhaarAttempts
	if final && reason == "" {
		reason = "Aadhaar eSign failed"
	}
	return reason, final
}

func isFailedAttempt(a esignAttempt) bool {
	return attemptFailed[a.AadhaarStatus.word()] || a.AadhaarErrorMessage.set() || a.ErrorMessage.set()
}

// providerStatus is the audit trail's record of Signzy's own words:
// contractStatus and the signers' statuses, e.g. "ACTIVE/IN_PROGRESS".
func providerStatus(c *contract) string {
	parts := []string{}
	if w := c.ContractStatus.word(); w != "" {
		parts = append(parts, w)
	} else if c.IsCompleted {
		parts = append(parts, "COMPLETED")
	}
	for _, s := range c.SignerDetail {
		if w := s.Status.word(); w != "" {
			parts = append(parts, w)
		}
	}
	return httpx.Clip(strings.Join(parts, "/"), 100)
}

// evidence is what is worth keeping of a finished contract in the audit
// trail: Signzy's ids, times and hashes (never the document itself).
func evidence(c *contract) json.RawMessage {
	e := map[string]string{}
	put := func(k string, v text) {
		if v.set() {
			e[k] = httpx.Clip(string(v), 200)
		}
	}
	put("contractId", c.ContractID)
	put("contractStatus", c.ContractStatus)
	put("contractCompletionTime", c.ContractCompletionTime)
	put("contractCancelTimestamp", c.ContractCancelTimestamp)
	put("finalSignedContractHash", c.FinalSignedContractHash)
	put("auditCertificateUrl", c.AuditCertificateURL)
	if s := firstSigner(c); s != nil {
		put("signerId", s.SignerID)
		put("signerStatus", s.Status)
		put("contractLastSignTime", s.ContractLastSignTime)
	}
	b, _ := json.Marshal(e) // a map of strings always marshals
	return b
}

func firstSigner(c *contract) *signerState {
	if len(c.SignerDetail) == 0 {
		return nil
	}
	return &c.SignerDetail[0]
}

// firstSet returns the first of vs that carries a value, clipped to fit a
// failureReason.
func firstSet(vs ...text) string {
	for _, v := range vs {
		if v.set() {
			return httpx.Clip(strings.TrimSpace(string(v)), httpx.MaxMessage)
		}
	}
	return ""
}
