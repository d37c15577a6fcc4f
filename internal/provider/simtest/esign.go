package simtest

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// ESignSim is a simulator that signs for its signers with a sandbox eSign
// service (simkit.ESigner).
type ESignSim interface {
	ESignCA() (*pki.CA, error)
}

// WantESigned checks that doc holds one intact signature per name, in
// order, each by a certificate that names that signer and the eSign
// service (provider) and chains to the simulator's sandbox eSign CA, the
// last one covering the whole file. It returns the signatures for the
// caller's own checks.
func WantESigned(t testing.TB, doc []byte, s ESignSim, provider string, names ...string) []pdf.Signature {
	t.Helper()
	sigs, err := pdf.Verify(doc)
	if err != nil {
		t.Fatalf("signed PDF: %v", err)
	}
	if len(sigs) != len(names) {
		t.Fatalf("%d signatures, want %d (%v): %+v", len(sigs), len(names), names, sigs)
	}
	ca, err := s.ESignCA()
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for i, sig := range sigs {
		if !sig.Valid || sig.SignerName != names[i] || !strings.Contains(sig.CertificateIssuer, simkit.ESignCAName) {
			t.Errorf("signature %d: valid %v by %q issued by %q (%v), want a valid one by %q from the eSign CA",
				i, sig.Valid, sig.SignerName, sig.CertificateIssuer, sig.Problems, names[i])
		}
		if !strings.Contains(sig.CertificateSubject, provider) {
			t.Errorf("signature %d: certificate %q does not name the eSign service %q", i, sig.CertificateSubject, provider)
		}
		if err := sig.VerifyChain(roots); err != nil {
			t.Errorf("signature %d does not chain to the eSign CA: %v", i, err)
		}
	}
	if !sigs[len(sigs)-1].CoversWholeDocument {
		t.Error("the last signature does not cover the whole file")
	}
	return sigs
}
