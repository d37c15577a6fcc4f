package evidence

import (
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

// Fixed values the tests look for in the rendered text.
const (
	testSessionID = "0196a3c2-7d4e-7f10-9a3b-5c2d1e0f4a6b"
	testOrderID   = "order-1001"
	testOriginal  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	testSigned    = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
)

var t0 = time.Date(2026, 11, 21, 9, 58, 12, 0, time.UTC)

// eventTypes are the types the sample's events cycle through.
var eventTypes = []string{
	"signing.created", "provider.accepted", "signer.link_opened", "signer.code_sent",
	"signer.code_verified", "signing.in_progress", "provider.callback", "signing.signer_signed",
}

// sample returns a completed three-signer session with evidence files and
// n events.
func sample(n int) Certificate {
	c := Certificate{
		Session: Session{
			ID: testSessionID, OrderID: testOrderID, Provider: "bankid", ProviderName: "Swedish BankID",
			Status: "COMPLETED", SigningOrder: "sequential",
			CreatedAt: t0, EndedAt: t0.Add(47 * time.Minute), ExpiresAt: t0.Add(7 * 24 * time.Hour),
		},
		Signers: []Signer{
			{
				Name: "Åsa Öberg", Email: "asa.oberg@example.se", Status: "SIGNED", SignedAt: t0.Add(12 * time.Minute),
				Identification: "Swedish BankID",
				IdentityDetails: []Detail{
					{"Name (BankID)", "Åsa Märta Öberg"},
					{"Personal number", "19850412-XXXX"},
					{"BankID order", "131daac9-16c6-4618-beb0-365768f37288"},
				},
				IP:        "203.0.113.24",
				UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
			},
			{
				Name: "Asha Rao (आशा राव)", Email: "asha.rao@example.in", Status: "SIGNED", SignedAt: t0.Add(31 * time.Minute),
				Identification: "Aadhaar eSign (OTP)",
				IdentityDetails: []Detail{
					{"Name (Aadhaar)", "आशा राव"},
					{"Aadhaar", "XXXX XXXX 4821"},
					{"Year of birth", "1990"},
					{"Certificate", "CN=Asha Rao, O=Sandbox eSign CA, C=IN"},
				},
				IP:        "198.51.100.7",
				UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			},
			{
				Name: "Jörgen Lindqvist", Email: "jorgen@example.com", Status: "SIGNED", SignedAt: t0.Add(47 * time.Minute),
				Identification:  "E-mail one-time code",
				IdentityDetails: []Detail{{"Code sent to", "jorgen@example.com"}},
				IP:              "2001:db8::1f",
				UserAgent:       "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			},
		},
		Document: Document{Name: "Loan agreement 2026-11.pdf", Pages: 3, SHA256: testOriginal, SignedSHA256: testSigned},
		Evidence: []Item{
			{
				Name: "BankID signature", Description: "The XML signature BankID returned with the completed order.",
				FileName: "bankid-signature.xml", ContentType: "application/xml",
				Attached: []byte(`<?xml version="1.0" encoding="UTF-8"?><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>`),
			},
			{
				Name: "BankID OCSP response", Description: "The OCSP response for the signer's certificate at signing time.",
				FileName: "bankid-ocsp.der", ContentType: "application/ocsp-response",
				Attached: []byte{0x30, 0x82, 0x01, 0x0a, 0x0a, 0x01, 0x00},
			},
			{
				Name: "Signzy audit certificate", Description: "Fetched from the provider's auditCertificateUrl.",
				FileName: "signzy-audit.pdf", ContentType: "application/pdf",
				Attached: pdf.Sample(1, "Signzy audit trail"),
				Note:     "https://signzy.example/api/v3/contract/auditcertificate/6f1c2d3e4b5a69788796a5b4c3d2e1f0?token=abcdefghijklmnopqrstuvwxyz0123456789",
			},
		},
		GeneratedAt: t0.Add(48 * time.Minute),
		Issuer:      "Signet at https://sign.example.com",
	}
	signers := []string{"", "Åsa Öberg", "Asha Rao (आशा राव)", "Jörgen Lindqvist"}
	for i := range n {
		c.Events = append(c.Events, Event{
			Time:   t0.Add(time.Duration(i) * 53 * time.Second),
			Type:   eventTypes[i%len(eventTypes)],
			Signer: signers[i%len(signers)],
			Detail: fmt.Sprintf("Event %d: the provider answered 200 with status %q after %d ms", i+1, "ACCEPTED", 120+i),
		})
	}
	return c
}
