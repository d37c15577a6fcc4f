package bankid

import (
	"context"
	"fmt"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

var _ signing.Evidencer = (*Adapter)(nil)

// Evidence describes, for the audit certificate, what BankID established
// of each signer who signed (the name BankID returned, the personal
// number masked but for the birth date, the order) and attaches their
// signature XML and OCSP response, all from what Signet stored when it
// collected the orders: BankID hands a completed order out only once.
func (a *Adapter) Evidence(_ context.Context, ref signing.ProviderRef) (signing.ProviderEvidence, error) {
	var ev signing.ProviderEvidence
	for i, sg := range ref.Signers {
		ev.Signers = append(ev.Signers, signing.SignerIdentity{})
		if sg.Status != signing.SignerSigned {
			continue
		}
		c, err := readEvidence(sg.Evidence)
		if err != nil {
			ev.Files = append(ev.Files, signing.EvidenceFile{Name: fmt.Sprintf("BankID completion of signer %d", i+1),
				Missing: "the stored completion data is unreadable: " + err.Error()})
			continue
		}
		cd := c.data
		name := strings.TrimSpace(cd.User.Name)
		if name == "" {
			name = strings.TrimSpace(cd.User.GivenName + " " + cd.User.Surname)
		}
		facts := []signing.Fact{
			{Label: "Name (from BankID)", Value: httpx.Clip(name, 90)},
			{Label: "Personal identity number", Value: maskPersonnummer(cd.User.PersonalNumber)},
			{Label: "BankID order", Value: httpx.Clip(c.orderRef, 80)},
			{Label: "Collected by Signet", Value: httpx.Clip(c.collectedAt, 30)},
		}
		if d := httpx.Clip(cd.BankIDIssueDate, 20); d != "" {
			facts = append(facts, signing.Fact{Label: "BankID issued", Value: d})
		}
		if ip := httpx.Clip(cd.Device.IPAddress, 45); ip != "" {
			facts = append(facts, signing.Fact{Label: "Device IP address", Value: ip})
		}
		ev.Signers[i] = signing.SignerIdentity{Method: "Swedish BankID", Facts: facts}
		sigName, ocspName := AttachmentNames(i, len(ref.Signers))
		ev.Files = append(ev.Files, signing.EvidenceFile{Name: fmt.Sprintf("BankID signature of signer %d (XML)", i+1),
			Description: "BankID's XML signature over the text the signer approved, made with their BankID certificate",
			FileName:    sigName, ContentType: "application/xml", Content: c.signature})
		ocsp := signing.EvidenceFile{Name: fmt.Sprintf("OCSP response for signer %d's certificate", i+1),
			Description: "The issuer's statement that the signer's BankID certificate was valid when they signed",
			FileName:    ocspName, ContentType: "application/ocsp-response", Content: c.ocsp}
		if c.ocsp == nil {
			ocsp.Missing = "BankID sent none"
		}
		ev.Files = append(ev.Files, ocsp)
	}
	return ev, nil
}
