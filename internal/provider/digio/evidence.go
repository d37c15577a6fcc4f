package digio

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

var _ signing.Evidencer = (*Adapter)(nil)

// opEvidence names the details call made for an audit certificate.
const opEvidence = "evidence"

// method is how Digio identifies a signer of a sign type, for the audit
// certificate.
func method(signType string) string {
	switch signType {
	case SignTypeElectronic:
		return "Electronic signature (OTP to e-mail or mobile) via Digio"
	case SignTypeDSC:
		return "Digital signature certificate (DSC token) via Digio"
	}
	return "Aadhaar eSign (OTP) via Digio"
}

// Evidence describes, for the audit certificate, how Digio identified
// each signer who signed: the sign type and, for an Aadhaar eSign, what
// the eKYC returned (the name on the Aadhaar record, the Aadhaar number
// masked but for its last four digits, gender, year of birth, postal
// code), and when they signed. It reads the document's details from
// Digio, which keeps them; for a signer they do not describe (Digio
// unreachable, or the document gone) it uses what Signet stored when the
// signer signed, and fails only when neither has anything. Digio's
// document API offers no audit trail file, so there are no Files.
func (a *Adapter) Evidence(ctx context.Context, ref signing.ProviderRef) (signing.ProviderEvidence, error) {
	d, err := a.details(ctx, opEvidence, ref)
	byIndex := map[int]map[string]string{}
	if err == nil {
		order := signerOrder(ref)
		if len(ref.Signers) <= 1 {
			order = nil // one signer: Digio's only party is theirs
		}
		for pos := range d.SigningParties {
			p := &d.SigningParties[pos]
			if i := signerIndex(p, pos, order); i >= 0 && partySigned[p.Status.word()] {
				var e map[string]string
				_ = json.Unmarshal(partyEvidence(d, p, ""), &e)
				byIndex[i] = e
			}
		}
	}
	var ev signing.ProviderEvidence
	found := false
	for i, sg := range ref.Signers {
		ev.Signers = append(ev.Signers, signing.SignerIdentity{})
		if sg.Status != signing.SignerSigned {
			continue
		}
		facts, ok := byIndex[i]
		if !ok {
			facts = storedFacts(sg.Evidence)
		}
		if facts == nil {
			continue
		}
		ev.Signers[i], found = identity(facts), true
	}
	if err != nil && !found {
		return signing.ProviderEvidence{}, err
	}
	return ev, nil
}

// storedFacts reads the evidence Signet kept of a signer's signature
// (partyEvidence, or the document's evidence for a single signer), nil
// when it has none of Digio's facts.
func storedFacts(raw json.RawMessage) map[string]string {
	var e map[string]string
	if json.Unmarshal(raw, &e) != nil || (e["signatureType"] == "" && e["signerUpdatedAt"] == "" && e["aadhaarName"] == "") {
		return nil
	}
	return e
}

// identity turns Digio's facts of a signer into the certificate's words.
func identity(e map[string]string) signing.SignerIdentity {
	id := signing.SignerIdentity{}
	if t, ok := normalizeSignType(e["signatureType"]); ok {
		id.Method = method(t)
	}
	add := func(label, value string) {
		if value = strings.TrimSpace(value); value != "" {
			id.Facts = append(id.Facts, signing.Fact{Label: label, Value: value})
		}
	}
	add("Name (as on Aadhaar)", e["aadhaarName"])
	if s := e["aadhaarSuffix"]; aadhaarSuffixRE.MatchString(s) {
		add("Aadhaar number", "XXXX XXXX "+s)
	}
	add("Gender (Aadhaar)", genderWord(e["gender"]))
	add("Year of birth (Aadhaar)", e["yearOfBirth"])
	add("Postal code (Aadhaar)", e["postalCode"])
	add("Signed (Digio)", digioTimeUTC(e["signerUpdatedAt"]))
	add("Sign type (Digio)", e["signatureType"])
	add("Digio document", e["documentId"])
	return id
}

// genderWord spells out the eKYC's one-letter gender.
func genderWord(g string) string {
	switch strings.ToUpper(strings.TrimSpace(g)) {
	case "M":
		return "Male"
	case "F":
		return "Female"
	case "T":
		return "Transgender"
	}
	return g
}

// ist is India Standard Time, the zone of Digio's "2006-01-02 15:04:05"
// times.
var ist = time.FixedZone("IST", 5*3600+30*60)

// digioTimeUTC reads a Digio time (details: "2006-01-02 15:04:05" IST;
// webhooks: epoch milliseconds) and writes it in UTC; anything else is
// kept as Digio wrote it.
func digioTimeUTC(s string) string {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05") + " UTC"
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, ist); err == nil {
		return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
	}
	return s
}
