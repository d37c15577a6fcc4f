package leegality

import (
	"strings"

	"github.com/signet-dev/signet/internal/signing"
)

// signerUpdates reads where each signer of a session of several stands
// from the document's invitations (one per invitee, Leegality's answer
// keeping the create request's order): a rejection → FAILED with the
// invitee's words, a signature → SIGNED, an opened link or a journey part
// way through (actionStarted) → IN_PROGRESS; anything else is no news.
// Each signer's evidence is their own invitation's (see evidence).
//
// An invitation is matched to its signer by the signUrl Signet was given
// for them, then by the invitation id in it, then by position when the
// counts agree; one that matches no signer is left out.
func signerUpdates(d *document, signers []signing.Signer) []signing.SignerUpdate {
	invs := d.invitees()
	var out []signing.SignerUpdate
	taken := make([]bool, len(signers))
	for pos, inv := range invs {
		i := signerIndex(inv, pos, len(invs), signers)
		if i < 0 || taken[i] {
			continue
		}
		taken[i] = true
		su := signing.SignerUpdate{Index: i}
		switch {
		case rejected(inv):
			su.Status, su.Reason, su.Evidence = signing.SignerFailed, rejectionReason(inv), evidence(d, &inv)
		case signed(inv):
			su.Status, su.Evidence = signing.SignerSigned, evidence(d, &inv)
		case actionStarted[inv.Action.word()]:
			su.Status = signing.SignerInProgress
		default:
			continue
		}
		out = append(out, su)
	}
	return out
}

// signerIndex is the index of the signer inv (at position pos of n
// invitations) belongs to, or -1.
func signerIndex(inv invitee, pos, n int, signers []signing.Signer) int {
	if u := inv.SignURL.trimmed(); u != "" {
		id := invitationID(u)
		for i, s := range signers {
			if strings.TrimSpace(s.ProviderURL) == u || (id != "" && s.ProviderRef == id) {
				return i
			}
		}
	}
	if n == len(signers) {
		return pos
	}
	return -1
}
