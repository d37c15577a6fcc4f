package simkit

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/signet-dev/signet/internal/pdf"
)

// TestESignerSignsPerSigner: two signers sign one after the other; both
// signatures verify, each names its signer and chains to the eSign CA.
func TestESignerSignsPerSigner(t *testing.T) {
	e := &ESigner{Provider: "Test Sandbox eSign"}
	doc := pdf.Sample(2, "contract")
	one, err := e.Sign(context.Background(), doc, ESignature{Name: "Asha Rao", State: "Karnataka", Reason: "Aadhaar eSign"})
	if err != nil {
		t.Fatal(err)
	}
	two, err := e.Sign(context.Background(), one, ESignature{Name: "Vikram Shah"})
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := pdf.Verify(two)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 2 || !sigs[1].CoversWholeDocument {
		t.Fatalf("%d signatures, want 2", len(sigs))
	}
	ca, _ := e.CA()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for i, want := range []string{"Asha Rao", "Vikram Shah"} {
		s := sigs[i]
		if !s.Valid || s.SignerName != want || len(s.Certificates) == 0 {
			t.Errorf("signature %d: %+v, want intact and by %s", i, s, want)
			continue
		}
		if err := s.VerifyChain(roots); err != nil {
			t.Errorf("signature %d does not chain to the eSign CA: %v", i, err)
		}
	}
	if _, err := e.Sign(context.Background(), doc, ESignature{}); err == nil {
		t.Error("a signature without a name was made")
	}
}
