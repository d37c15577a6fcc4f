package signzy

import (
	"encoding/json"
	"strings"

	"github.com/signet-dev/signet/internal/signing"
)

// signerSigned: the words of a signer whose signature is made. Only the
// simulator's "SIGNED" is known; "COMPLETED" is what Signzy's contract
// status says for the same.
var signerSigned = words("SIGNED", "COMPLETED")

// signerUpdates says where each of the session's signers stands at
// Signzy, by their index in Signet's order, given u, the contract's
// mapped status. A signer declined or failed for good is FAILED; signed
// (by their status word or their signed file) or in a COMPLETED contract
// is SIGNED, with what Signzy reports of them as evidence (a record);
// started is IN_PROGRESS; else there is no news.
//
// Until Signzy marks the contract completed, the last signatures are
// reported IN_PROGRESS: Signzy finishes the contract (the final signed
// file) after the last signer, and a session whose signers have all
// signed asks for that file at once.
func signerUpdates(c *contract, ref signing.ProviderRef, u signing.Update) []signing.SignerUpdate {
	index := signerIndex(ref)
	var out []signing.SignerUpdate
	signed := 0
	for pos, s := range c.SignerDetail {
		i, ok := index(s, pos)
		if !ok {
			continue
		}
		su := signing.SignerUpdate{Index: i}
		reason, failed := aadhaarFailure(s)
		switch {
		case declined(s):
			su.Status, su.Reason = signing.SignerFailed, firstSet(s.SignerCancelMessage, s.ErrorMessage)
			if su.Reason == "" {
				su.Reason = "Signer declined to sign"
			}
		case u.Status == signing.StatusCompleted || signerSigned[s.Status.word()] || s.SignerSignedContract.set():
			// Before failures: a signer may sign after failed attempts.
			su.Status, su.Evidence = signing.SignerSigned, recordOf(s).json()
			signed++
		case failed:
			su.Status, su.Reason = signing.SignerFailed, reason
		case started(s):
			su.Status = signing.SignerInProgress
		default:
			continue
		}
		out = append(out, su)
	}
	if u.Status != signing.StatusCompleted && signed > 0 && signed >= max(len(ref.Signers), len(c.SignerDetail)) {
		for k := range out {
			if out[k].Status == signing.SignerSigned {
				out[k].Status, out[k].Evidence = signing.SignerInProgress, nil
			}
		}
	}
	return out
}

// declined reports whether the signer refused or cancelled the signing.
func declined(s signerState) bool {
	return s.SignerCancelMessage.set() || signerDeclined[s.Status.word()]
}

// signerIndex matches Signzy's signers to Signet's: by the signerId
// Signet kept for each (the signer's ProviderRef, else the adapter's
// state), else, when Signet kept no ids, by position, Signzy keeping
// signerdetail[] in the order it was sent. A signer Signet does not know
// is skipped.
func signerIndex(ref signing.ProviderRef) func(s signerState, pos int) (int, bool) {
	ids := map[string]int{}
	for i, sg := range ref.Signers {
		if id := strings.TrimSpace(sg.ProviderRef); id != "" {
			ids[id] = i
		}
	}
	var st state
	if json.Unmarshal(ref.State, &st) == nil {
		for i, id := range st.SignerIDs {
			if _, ok := ids[id]; !ok && id != "" {
				ids[id] = i
			}
		}
		if _, ok := ids[st.SignerID]; !ok && st.SignerID != "" {
			ids[st.SignerID] = 0
		}
	}
	return func(s signerState, pos int) (int, bool) {
		if i, ok := ids[strings.TrimSpace(string(s.SignerID))]; ok {
			return i, true
		}
		if len(ids) > 0 {
			return 0, false // not one of the session's, or no telling which
		}
		return pos, len(ref.Signers) == 0 || pos < len(ref.Signers)
	}
}
