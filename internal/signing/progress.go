package signing

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// signerChange is one thing that happened to one signer.
type signerChange struct {
	index    int
	trigger  SignerTrigger
	reason   string
	evidence json.RawMessage
}

// signerChanges reads a provider's update as changes to sess's signers.
// Providers that report each signer say so in upd.Signers; for the others
// the session-level status speaks for its signers: IN_PROGRESS for the
// one awaited, FAILED for the one awaited, COMPLETED for every one.
func signerChanges(sess *Session, upd Update) []signerChange {
	var out []signerChange
	for _, su := range upd.Signers {
		if su.Index < 0 || su.Index >= len(sess.Signers) {
			continue
		}
		c := signerChange{index: su.Index, reason: su.Reason, evidence: su.Evidence}
		switch su.Status {
		case SignerInProgress:
			c.trigger = SignerOpen
		case SignerSigned:
			c.trigger = SignerSign
		case SignerFailed:
			c.trigger = SignerFail
		default:
			continue
		}
		out = append(out, c)
	}
	current := max(CurrentSigner(sess.Signers), 0)
	switch upd.Status {
	case StatusInProgress:
		if len(upd.Signers) == 0 {
			out = append(out, signerChange{index: current, trigger: SignerOpen})
		}
	case StatusCompleted:
		for i := range sess.Signers {
			out = append(out, signerChange{index: i, trigger: SignerSign, evidence: upd.Evidence})
		}
	case StatusFailed:
		failed := false
		for _, c := range out {
			failed = failed || c.trigger == SignerFail
		}
		if !failed {
			out = append(out, signerChange{index: current, trigger: SignerFail, reason: upd.Reason})
		}
	}
	return out
}

// advance applies signer changes to next, hands the turn on in a
// sequential session, and moves the session to the status its signers
// give it, all through SignerTransition and Transition. With docReady
// false the session does not become COMPLETED (the signed document is
// not in hand yet): it stays IN_PROGRESS. It returns the audit entries of
// what changed, in order: each signature, then the session's change.
func (s *Service) advance(next *Session, changes []signerChange, docReady bool, now time.Time) ([]AuditEntry, error) {
	var entries []AuditEntry
	for _, c := range changes {
		sg := &next.Signers[c.index]
		to, err := SignerTransition(sg.Status, c.trigger)
		if err != nil {
			continue // already there, or final: a repeat changes nothing
		}
		sg.Status = to
		e := AuditEntry{SignerID: sg.ID, CreatedAt: now}
		switch to {
		case SignerInProgress:
			if sg.OpenedAt == nil {
				sg.OpenedAt = &now
			}
			e.Type, e.Detail = EventSignerOpened, "signer "+signerLabel(next, c.index)+" started"
		case SignerSigned:
			sg.SignedAt = &now
			if c.evidence != nil {
				sg.Evidence = c.evidence
			}
			e.Type, e.Detail = EventSignerSigned, "signer "+signerLabel(next, c.index)+" signed"
		case SignerFailed:
			sg.FailureReason = c.reason
			if sg.FailureReason == "" {
				sg.FailureReason = "signing failed at the provider"
			}
			e.Type, e.Detail = EventSignerFailed, "signer "+signerLabel(next, c.index)+" failed: "+sg.FailureReason
		case SignerPending:
			e.Type = EventSignerTurn
		}
		entries = append(entries, e)
	}
	if i := NextTurn(next.Signers, next.SigningOrder); i >= 0 && DeriveStatus(next.Signers) != StatusFailed {
		next.Signers[i].Status = SignerPending
		entries = append(entries, AuditEntry{Type: EventSignerTurn, SignerID: next.Signers[i].ID, CreatedAt: now,
			Detail: "signer " + signerLabel(next, i) + "'s turn"})
	}
	want := DeriveStatus(next.Signers)
	if want == StatusCompleted && !docReady {
		want = StatusInProgress
	}
	if want == next.Status || (want == StatusPending && next.Status == StatusInProgress) {
		return entries, nil
	}
	reason := ""
	if want == StatusFailed {
		reason = failureOf(next)
	}
	e, err := s.changeStatus(next, TriggerFor(want), reason, now)
	if err != nil {
		return nil, err
	}
	if want == StatusInProgress {
		// The session started, then its signers acted; it ends after.
		return append([]AuditEntry{e}, entries...), nil
	}
	return append(entries, e), nil
}

// failureOf says which signer failed and why, for failureReason.
func failureOf(sess *Session) string {
	for i, sg := range sess.Signers {
		if sg.Status == SignerFailed {
			if len(sess.Signers) == 1 {
				return sg.FailureReason
			}
			return "signer " + signerLabel(sess, i) + ": " + sg.FailureReason
		}
	}
	return "signing failed"
}

// signerLabel names signer i for people: "2 (Asha Rao)", or "2" when the
// details carry no name.
func signerLabel(sess *Session, i int) string {
	label := fmt.Sprint(i + 1)
	if name := SignerName(sess.Signers[i].Details); name != "" {
		label += " (" + name + ")"
	}
	return label
}

// SignerName is the "name" in a signer's details, if it has one.
func SignerName(details json.RawMessage) string {
	var d map[string]any
	if json.Unmarshal(details, &d) != nil {
		return ""
	}
	name, _ := d["name"].(string)
	return strings.TrimSpace(name)
}
