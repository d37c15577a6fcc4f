package evidence

import (
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

// fuzzCertificate puts the strings into every text field of a
// certificate, in turn, with n events.
func fuzzCertificate(strs [4]string, n uint8) Certificate {
	k := 0
	next := func() string {
		k++
		return strs[k%len(strs)]
	}
	when := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	c := Certificate{
		Title: next(),
		Session: Session{
			ID: next(), OrderID: next(), Provider: next(), ProviderName: next(), Status: next(),
			SigningOrder: next(), FailureReason: next(), CreatedAt: when, EndedAt: when, ExpiresAt: when,
		},
		Document:    Document{Name: next(), Pages: int(n), SHA256: next(), SignedSHA256: next()},
		GeneratedAt: when,
		Issuer:      next(),
	}
	for range 2 {
		c.Signers = append(c.Signers, Signer{
			Name: next(), Email: next(), Status: next(), SignedAt: when, Identification: next(),
			IdentityDetails: []Detail{{next(), next()}}, IP: next(), UserAgent: next(), FailureReason: next(),
		})
	}
	c.Evidence = []Item{
		{Name: next(), Description: next(), SHA256: next(), Note: next()},
		{Name: next(), Description: next(), FileName: next(), ContentType: next(), Attached: []byte(next()), Note: next()},
	}
	for range n % 64 {
		c.Events = append(c.Events, Event{Time: when, Type: next(), Signer: next(), Detail: next()})
	}
	return c
}

// FuzzRender feeds arbitrary text to every field: Render and AppendAudit
// must not fail or panic, and their output must pass pdf.Validate. The
// seeds are in testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	in := pdf.Sample(1, "Contract")
	f.Fuzz(func(t *testing.T, a, b, c, d string, n uint8) {
		cert := fuzzCertificate([4]string{a, b, c, d}, n)
		out, err := Render(cert)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if info, err := pdf.Validate(out); err != nil || info.Pages < 1 {
			t.Fatalf("Validate(Render) = %+v, %v", info, err)
		}
		out, err = AppendAudit(in, cert)
		if err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		if info, err := pdf.Validate(out); err != nil || info.Pages < 2 {
			t.Fatalf("Validate(AppendAudit) = %+v, %v", info, err)
		}
	})
}
