package leegality

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

var _ signing.Evidencer = (*Adapter)(nil)

// identification is how Leegality identifies signers, for the audit
// certificate. Which Aadhaar eSign (OTP, biometric, face) an invitee may
// use is the workflow's choice, and no answer of Leegality's says which
// one they used, so the OTP is not claimed.
const identification = "Aadhaar eSign via Leegality"

// Evidence describes, for the audit certificate, how each signer who
// signed was identified: from what Signet kept of their invitation
// (Leegality's document, when it says they signed) and, once the session
// is completed, from the signed document Leegality delivers, whose
// signatures are each made with a one-time certificate the eSign service
// issued from the signer's Aadhaar record (the name and state on it). It
// attaches Leegality's audit trail of a completed document.
//
// Leegality's details and webhooks carry nothing more of the Aadhaar
// record (PROVIDERS.md): the masked Aadhaar number, gender and year of
// birth are in the audit trail only.
func (a *Adapter) Evidence(ctx context.Context, ref signing.ProviderRef) (signing.ProviderEvidence, error) {
	var ev signing.ProviderEvidence
	kept := make([]map[string]string, len(ref.Signers))
	for i, sg := range ref.Signers {
		ev.Signers = append(ev.Signers, signing.SignerIdentity{})
		if sg.Status != signing.SignerSigned {
			continue
		}
		_ = json.Unmarshal(sg.Evidence, &kept[i]) // unreadable: no facts of it
		ev.Signers[i] = signing.SignerIdentity{Method: identification, Facts: invitationFacts(kept[i])}
	}
	if !completed(ref) {
		return ev, nil
	}
	if doc, err := a.FetchDocument(ctx, ref); err == nil {
		addCertificateFacts(&ev, doc, ref.Signers, signingOrder(ref.Signers, kept))
	}
	ev.Files = append(ev.Files, a.auditTrail(ctx, ref))
	return ev, nil
}

// invitationFacts are what Leegality said of a signer's invitation when
// they signed (see evidence): its document, and when they signed.
func invitationFacts(e map[string]string) []signing.Fact {
	var facts []signing.Fact
	add := func(label, v string) {
		if v = httpx.Clip(strings.TrimSpace(v), 90); v != "" {
			facts = append(facts, signing.Fact{Label: label, Value: v})
		}
	}
	add("Leegality document", e["documentId"])
	var when []string
	if t, err := time.Parse(time.RFC3339, e["signedAt"]); err == nil {
		when = append(when, t.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if ist := e["signedDate"]; ist != "" {
		when = append(when, ist+" IST")
	}
	if len(when) == 2 {
		when[1] = "(" + when[1] + ")"
	}
	add("Signed at Leegality", strings.Join(when, " "))
	return facts
}

// signingOrder lists the indexes of the signers who signed, in the order
// they signed (by the time Leegality gave, then by their place): the
// order of their signatures in the signed document, each signing the file
// the one before left.
func signingOrder(signers []signing.Signer, kept []map[string]string) []int {
	var out []int
	for i, sg := range signers {
		if sg.Status == signing.SignerSigned {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(x, y int) int { return cmp.Compare(kept[x]["signedAt"], kept[y]["signedAt"]) })
	return out
}

// addCertificateFacts adds to each signer the facts of their signature in
// the signed document: the name and state its eSign certificate carries,
// its issuer, and whether it verifies. A signature goes to the signer
// whose name it carries when only one has it, else to the signer who
// signed in its place (order). Nothing is added unless the document holds
// exactly one signature per signer who signed: which is whose would be a
// guess.
func addCertificateFacts(ev *signing.ProviderEvidence, doc []byte, signers []signing.Signer, order []int) {
	sigs, err := pdf.Verify(doc)
	if err != nil {
		return
	}
	sigs = slices.DeleteFunc(sigs, func(s pdf.Signature) bool { return s.SubFilter == "ETSI.RFC3161" }) // document timestamps
	if len(sigs) != len(order) {
		return
	}
	owner := make([]int, len(sigs))
	taken := map[int]bool{}
	for k, s := range sigs {
		owner[k] = -1
		var named []int
		for _, i := range order {
			if strings.EqualFold(signing.SignerName(signers[i].Details), strings.TrimSpace(s.SignerName)) {
				named = append(named, i)
			}
		}
		if len(named) == 1 && !taken[named[0]] {
			owner[k], taken[named[0]] = named[0], true
		}
	}
	for k := range sigs {
		if owner[k] < 0 && !taken[order[k]] {
			owner[k], taken[order[k]] = order[k], true
		}
	}
	for k, s := range sigs {
		if owner[k] >= 0 {
			id := &ev.Signers[owner[k]]
			id.Facts = append(id.Facts, certificateFacts(s)...)
		}
	}
}

// certificateFacts are what one signature and its eSign certificate say.
func certificateFacts(s pdf.Signature) []signing.Fact {
	facts := []signing.Fact{{Label: "Name on the eSign certificate", Value: httpx.Clip(s.SignerName, 90)}}
	if len(s.Certificates) > 0 {
		c := s.Certificates[0]
		if len(c.Subject.Province) > 0 {
			facts = append(facts, signing.Fact{Label: "State on the eSign certificate", Value: httpx.Clip(c.Subject.Province[0], 60)})
		}
		if issuer := c.Issuer.CommonName; issuer != "" {
			facts = append(facts, signing.Fact{Label: "eSign certificate issued by", Value: httpx.Clip(issuer, 90)})
		}
	}
	verdict := "valid"
	if !s.Valid {
		verdict = "does not verify"
	}
	return append(facts, signing.Fact{Label: "Aadhaar eSign signature", Value: verdict})
}

// auditTrail is Leegality's audit trail of the document, or why it could
// not be had.
func (a *Adapter) auditTrail(ctx context.Context, ref signing.ProviderRef) signing.EvidenceFile {
	f := signing.EvidenceFile{
		Name:        "Leegality audit trail",
		Description: "Leegality's record of the document: each invitee's invitation, signature, IP address and Aadhaar eSign",
		FileName:    "leegality-audit-trail.pdf",
		ContentType: "application/pdf",
	}
	b, err := a.fetchFile(ctx, ref, fileAuditTrail)
	if err != nil {
		f.Missing = "Leegality did not hand it over: " + err.Error()
		return f
	}
	f.Content = b
	return f
}

// completed reports whether the session completed: Leegality has the
// signed document and the audit trail of a completed document only.
func completed(ref signing.ProviderRef) bool {
	if ref.Session != nil {
		return ref.Session.Status == signing.StatusCompleted
	}
	for _, sg := range ref.Signers {
		if sg.Status != signing.SignerSigned {
			return false
		}
	}
	return len(ref.Signers) > 0
}
