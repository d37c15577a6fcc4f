package digio

import (
	"encoding/json"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// signerUpdates reports each signer of a document with several: SIGNED
// (with what Digio says of the signature), FAILED (declined or eSign
// failed, with the reason), IN_PROGRESS (opened the gateway or part way
// through); "requested" and words Digio may add are no news. Digio lists
// signing_parties in the upload's order, which is Signet's; when order
// (the signers' identifiers in Signet's order) is known, parties are
// matched by identifier instead, and one it does not name is left out.
//
// u is the session's update: when it is FAILED by an event or
// signer_identifier rather than a party's status, the party
// signer_identifier names is the one that failed.
func signerUpdates(d *document, event string, u signing.Update, order []string) []signing.SignerUpdate {
	var out []signing.SignerUpdate
	failed := false
	for pos := range d.SigningParties {
		p := &d.SigningParties[pos]
		i := signerIndex(p, pos, order)
		if i < 0 {
			continue
		}
		su := signing.SignerUpdate{Index: i}
		switch w := p.Status.word(); {
		case signerDeclined[w]:
			su.Status, su.Reason = signing.SignerFailed, declineReason(d, p)
		case signerFailed[w]:
			su.Status, su.Reason = signing.SignerFailed, failureReason(d, p)
		case partySigned[w]:
			su.Status, su.Evidence = signing.SignerSigned, partyEvidence(d, p, event)
		case signerStarted[w]:
			su.Status = signing.SignerInProgress
		default:
			continue
		}
		failed = failed || su.Status == signing.SignerFailed
		out = append(out, su)
	}
	if u.Status == signing.StatusFailed && !failed {
		named := d.SignerIdentifier.word()
		for pos := range d.SigningParties {
			if p := &d.SigningParties[pos]; named != "" && p.Identifier.word() == named {
				if i := signerIndex(p, pos, order); i >= 0 {
					out = append(out, signing.SignerUpdate{Index: i, Status: signing.SignerFailed, Reason: u.Reason})
				}
				break
			}
		}
	}
	return out
}

// partySigned are the words of a signer who has signed.
var partySigned = words("signed", "completed")

// signerIndex is the party's index in Signet's order: by identifier when
// order is known, else its position.
func signerIndex(p *party, pos int, order []string) int {
	if len(order) == 0 {
		return pos
	}
	id := strings.ToLower(strings.TrimSpace(string(p.Identifier)))
	for i, o := range order {
		if o != "" && strings.ToLower(strings.TrimSpace(o)) == id {
			return i
		}
	}
	return -1
}

// partyEvidence is what is worth keeping of one signer's signature: the
// document and what Digio reports of the signer (putParty).
func partyEvidence(d *document, p *party, event string) json.RawMessage {
	e := map[string]string{}
	if d.ID.set() {
		e["documentId"] = strings.TrimSpace(string(d.ID))
	}
	if event != "" {
		e["event"] = httpx.Clip(event, 100)
	}
	putParty(e, p)
	b, _ := json.Marshal(e) // a map of strings always marshals
	return b
}

// signerOrder is the session's signers' identifiers in Signet's order,
// as Initiate gave them (each signer's ProviderRef, else the state's
// list); nil when unknown.
func signerOrder(ref signing.ProviderRef) []string {
	var st state
	_ = json.Unmarshal(ref.State, &st)
	if len(ref.Signers) < 2 {
		return st.Identifiers
	}
	order := make([]string, len(ref.Signers))
	known := false
	for i, sg := range ref.Signers {
		order[i] = sg.ProviderRef
		if order[i] == "" && i < len(st.Identifiers) {
			order[i] = st.Identifiers[i]
		}
		known = known || order[i] != ""
	}
	if !known {
		return nil
	}
	return order
}
