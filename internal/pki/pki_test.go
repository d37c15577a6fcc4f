package pki_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/pki/pkitest"
)

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestIssue(t *testing.T) {
	for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048} {
		ca, err := pki.NewCA("Sandbox eSign CA", kt, now)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ca.Issue(pki.Request{Name: "Asha Rao", Organization: "Acme", Country: "IN", Province: "Karnataka", Email: "asha@example.com", KeyType: kt}, now)
		if err != nil {
			t.Fatal(err)
		}
		leaf := c.Leaf()
		if got, want := leaf.Subject.CommonName, "Asha Rao"; got != want {
			t.Errorf("CN = %q, want %q", got, want)
		}
		if got, want := leaf.Subject.String(), "CN=Asha Rao,O=Acme,ST=Karnataka,C=IN"; got != want {
			t.Errorf("subject = %q, want %q", got, want)
		}
		if got, want := leaf.KeyUsage, x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment; got != want {
			t.Errorf("key usage = %#x, want %#x", got, want)
		}
		wantEKU := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
		if len(leaf.UnknownExtKeyUsage) != 1 || !leaf.UnknownExtKeyUsage[0].Equal(wantEKU) {
			t.Errorf("unknown EKUs = %v, want documentSigning %v", leaf.UnknownExtKeyUsage, wantEKU)
		}
		if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageEmailProtection {
			t.Errorf("EKUs = %v, want emailProtection", leaf.ExtKeyUsage)
		}
		if leaf.IsCA {
			t.Error("signer certificate is a CA")
		}
		if len(leaf.SubjectKeyId) == 0 {
			t.Error("no subject key identifier")
		}
		if got := leaf.EmailAddresses; len(got) != 1 || got[0] != "asha@example.com" {
			t.Errorf("emails = %v", got)
		}
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("chain does not verify: %v", err)
		}
		if !leaf.NotBefore.Before(now) || leaf.NotAfter.After(ca.Cert.NotAfter) {
			t.Errorf("validity %v..%v outside now %v and CA expiry %v", leaf.NotBefore, leaf.NotAfter, now, ca.Cert.NotAfter)
		}
		if len(c.Chain) != 2 || !c.Chain[1].Equal(ca.Cert) {
			t.Errorf("chain = %d certificates, want leaf and CA", len(c.Chain))
		}
	}
}

func TestIssueErrors(t *testing.T) {
	ca := pkitest.CA(t, "CA")
	if _, err := ca.Issue(pki.Request{Name: " "}, now); err == nil {
		t.Error("Issue without a name: no error")
	}
	if _, err := ca.Issue(pki.Request{Name: "x", KeyType: 99}, now); err == nil {
		t.Error("Issue with an unknown key type: no error")
	}
	if _, err := pki.NewCA("", pki.ECDSAP256, now); err == nil {
		t.Error("NewCA without a name: no error")
	}
}

func TestLoadCredential(t *testing.T) {
	ca := pkitest.CA(t, "Seal CA")
	c := pkitest.Issue(t, ca, pki.Request{Name: "Acme Seal"})
	pemBytes, err := c.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.Encode(c.Key, c.Leaf(), []*x509.Certificate{ca.Cert}, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	// A PEM file with the CA first, the key in PKCS#1/SEC 1 form, and an
	// unrelated certificate: the chain must still come out leaf first.
	other := pkitest.CA(t, "Unrelated")
	ecDER, err := x509.MarshalECPrivateKey(c.Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	shuffled := pemJoin(
		&pem.Block{Type: "CERTIFICATE", Bytes: other.Cert.Raw},
		&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw},
		&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER},
		&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf().Raw},
	)
	tests := []struct {
		name, password string
		in             []byte
	}{
		{"PEM", "", pemBytes},
		{"PEM shuffled", "", shuffled},
		{"PKCS#12", "s3cret", p12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pki.LoadCredential(tt.in, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Chain) != 2 || !got.Chain[0].Equal(c.Leaf()) || !got.Chain[1].Equal(ca.Cert) {
				t.Errorf("chain = %v, want [leaf, CA]", subjects(got.Chain))
			}
			if !sameKey(got.Key, c.Key) {
				t.Error("loaded key differs")
			}
		})
	}
}

func TestLoadCredentialErrors(t *testing.T) {
	ca := pkitest.CA(t, "CA")
	c := pkitest.Issue(t, ca, pki.Request{Name: "Seal"})
	other := pkitest.Issue(t, ca, pki.Request{Name: "Other"})
	p12, err := pkcs12.Modern.Encode(c.Key, c.Leaf(), nil, "right")
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(c.Key)
	otherKeyDER, _ := x509.MarshalPKCS8PrivateKey(other.Key)
	caOnly, _ := ca.MarshalPEM() // a CA certificate may not sign documents
	tests := []struct {
		name, password string
		in             []byte
		want           error  // nil: any error
		wantMsg        string // substring of the error
	}{
		{name: "wrong password", password: "wrong", in: p12, wantMsg: "PKCS#12"},
		{name: "garbage", in: []byte("not a certificate"), wantMsg: "PKCS#12"},
		{name: "no key", in: pemJoin(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf().Raw}), want: pki.ErrNoKey},
		{name: "key without certificate", in: pemJoin(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), want: pki.ErrNoCertificate},
		{name: "key of another certificate", in: pemJoin(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf().Raw}, &pem.Block{Type: "PRIVATE KEY", Bytes: otherKeyDER}), want: pki.ErrNoCertificate},
		{name: "two keys", in: pemJoin(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}, &pem.Block{Type: "PRIVATE KEY", Bytes: otherKeyDER}), wantMsg: "2 private keys"},
		{name: "encrypted PEM key", in: pemJoin(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), wantMsg: "use PKCS#12"},
		{name: "broken certificate", in: pemJoin(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2}}), wantMsg: "CERTIFICATE"},
		{name: "CA certificate", in: caOnly, wantMsg: "may not sign documents"},
		{name: "empty PEM", in: []byte("-----BEGIN nothing"), wantMsg: "no PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pki.LoadCredential(tt.in, tt.password)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestSandboxRoundTrip(t *testing.T) {
	s, err := pki.NewSandbox(now)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Seal.Leaf().Subject.CommonName; got != pki.SandboxSealName {
		t.Errorf("seal CN = %q, want %q", got, pki.SandboxSealName)
	}
	b, err := s.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	got, err := pki.ParseSandbox(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CA.Cert.Equal(s.CA.Cert) || !got.Seal.Leaf().Equal(s.Seal.Leaf()) {
		t.Error("certificates changed in the round trip")
	}
	if !sameKey(got.CA.Key, s.CA.Key) || !sameKey(got.Seal.Key, s.Seal.Key) {
		t.Error("keys changed in the round trip")
	}
	// The parsed CA can go on issuing (the simulators' eSign CA).
	if _, err := got.CA.Issue(pki.Request{Name: "Signer"}, now); err != nil {
		t.Errorf("issue from parsed CA: %v", err)
	}
	// Block order does not matter.
	blocks := splitPEM(b)
	var reversed []*pem.Block
	for i := len(blocks) - 1; i >= 0; i-- {
		reversed = append(reversed, blocks[i])
	}
	if _, err := pki.ParseSandbox(pemJoin(reversed...)); err != nil {
		t.Errorf("reversed blocks: %v", err)
	}
	// The seal's PEM alone is a credential for --seal-cert.
	sealPEM, _ := s.Seal.MarshalPEM()
	if _, err := pki.LoadCredential(sealPEM, ""); err != nil {
		t.Errorf("seal PEM as credential: %v", err)
	}
	caPEM, _ := s.CA.MarshalPEM()
	if ca, err := pki.ParseCA(caPEM); err != nil || !ca.Cert.Equal(s.CA.Cert) {
		t.Errorf("ParseCA: %v", err)
	}
	// Two unrelated halves are refused.
	other, _ := pki.NewSandbox(now)
	otherCAKey, _ := x509.MarshalPKCS8PrivateKey(other.CA.Key)
	mixed := pemJoin(append(blocks[:3:3], &pem.Block{Type: "PRIVATE KEY", Bytes: otherCAKey}, &pem.Block{Type: "CERTIFICATE", Bytes: other.CA.Cert.Raw})...)
	if _, err := pki.ParseSandbox(mixed); err == nil {
		t.Error("sandbox with another CA's key: no error")
	}
	if _, err := pki.ParseSandbox(sealPEM); err == nil {
		t.Error("sandbox with one key: no error")
	}
}

func FuzzLoadCredential(f *testing.F) {
	c, err := pki.NewSandbox(now)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := c.MarshalPEM()
	sealPEM, _ := c.Seal.MarshalPEM()
	p12, _ := pkcs12.Modern.Encode(c.Seal.Key, c.Seal.Leaf(), nil, "pw")
	f.Add(b)
	f.Add(sealPEM)
	f.Add(p12)
	f.Fuzz(func(t *testing.T, in []byte) {
		if cred, err := pki.LoadCredential(in, "pw"); err == nil && (cred.Key == nil || len(cred.Chain) == 0) {
			t.Fatal("credential without key or chain")
		}
		if s, err := pki.ParseSandbox(in); err == nil && (s.CA == nil || s.Seal == nil) {
			t.Fatal("sandbox without CA or seal")
		}
	})
}

func sameKey(a, b crypto.Signer) bool {
	return a.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(b.Public())
}

func pemJoin(blocks ...*pem.Block) []byte {
	var buf bytes.Buffer
	for _, b := range blocks {
		pem.Encode(&buf, b)
	}
	return buf.Bytes()
}

func splitPEM(b []byte) []*pem.Block {
	var out []*pem.Block
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		out = append(out, blk)
	}
}

func subjects(certs []*x509.Certificate) []string {
	var s []string
	for _, c := range certs {
		s = append(s, c.Subject.CommonName)
	}
	return s
}
