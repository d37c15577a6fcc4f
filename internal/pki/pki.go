// Package pki makes and loads the certificates Signet signs with: a sandbox
// CA with its seal certificate, per-signer certificates from a sandbox eSign
// CA, seals loaded from PKCS#12 or PEM, and an RFC 3161 timestamp client.
//
// Nothing here is publicly trusted: a generated CA is for sandboxes and for
// deployments that bring no seal of their own.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Credential is a private key with its certificate chain: what a PDF
// signature needs.
type Credential struct {
	Key   crypto.Signer
	Chain []*x509.Certificate // the key's certificate first, then its issuers
}

// Leaf returns the credential's own certificate.
func (c *Credential) Leaf() *x509.Certificate { return c.Chain[0] }

// CA is a certificate authority's key and certificate.
type CA struct {
	Key  crypto.Signer
	Cert *x509.Certificate
}

// KeyType selects the algorithm of a generated key.
type KeyType int

// Key types. ECDSA P-256 is the default: fast to generate (one key per signer
// in the simulators) and read by every current PDF viewer. RSA keys suit
// readers that predate ECDSA.
const (
	ECDSAP256 KeyType = iota
	RSA2048
	RSA3072
)

// NewKey generates a key of type t.
func NewKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, fmt.Errorf("pki: unknown key type %d", t)
}

// Extended key usages of signing certificates. Go has no constant for
// RFC 9336's documentSigning.
var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// Validity periods of generated certificates.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 2 * 365 * 24 * time.Hour
	// backdate covers clock skew between the issuing and a verifying machine.
	backdate = 5 * time.Minute
)

// NewCA generates a self-signed CA certificate named name (its CN and
// organization) with a new key of type t, valid for ten years from now.
func NewCA(name string, t KeyType, now time.Time) (*CA, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("pki: CA needs a name")
	}
	key, err := NewKey(t)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{name}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse CA certificate: %w", err)
	}
	return &CA{Key: key, Cert: cert}, nil
}

// Request describes a signing certificate for CA.Issue. Name is required.
type Request struct {
	Name         string // the subject's common name: a person's or the seal's name
	Organization string
	Country      string // two-letter code
	Province     string // state, e.g. for Aadhaar eSign certificates
	Email        string // an rfc822Name in the subject alternative names
	KeyType      KeyType
	Validity     time.Duration // 0: two years; always cut at the CA's expiry
}

// Issue generates a key and a certificate for it that r names, signed by ca.
// The certificate is for signing documents: key usage digitalSignature and
// nonRepudiation, extended key usage documentSigning (RFC 9336) and
// emailProtection (which older readers look for).
func (ca *CA) Issue(r Request, now time.Time) (*Credential, error) {
	if strings.TrimSpace(r.Name) == "" {
		return nil, errors.New("pki: certificate request needs a name")
	}
	key, err := NewKey(r.KeyType)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	validity := r.Validity
	if validity <= 0 {
		validity = leafValidity
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	subject := pkix.Name{CommonName: r.Name}
	if r.Organization != "" {
		subject.Organization = []string{r.Organization}
	}
	if r.Country != "" {
		subject.Country = []string{r.Country}
	}
	if r.Province != "" {
		subject.Province = []string{r.Province}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidDocumentSigning},
		BasicConstraintsValid: true,
		SubjectKeyId:          keyID(key.Public()),
	}
	if r.Email != "" {
		tmpl.EmailAddresses = []string{r.Email}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue certificate for %q: %w", r.Name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse issued certificate: %w", err)
	}
	return &Credential{Key: key, Chain: []*x509.Certificate{cert, ca.Cert}}, nil
}

// Sandbox is a generated CA and the seal certificate it issued: Signet's
// signing identity when no --seal-cert is configured.
type Sandbox struct {
	CA   *CA
	Seal *Credential
}

// Names of the generated sandbox identity.
const (
	SandboxCAName   = "Signet Sandbox CA (not publicly trusted)"
	SandboxSealName = "Signet Sandbox Seal"
)

// NewSandbox generates a sandbox CA and a seal certificate issued by it.
func NewSandbox(now time.Time) (*Sandbox, error) {
	ca, err := NewCA(SandboxCAName, ECDSAP256, now)
	if err != nil {
		return nil, err
	}
	seal, err := ca.Issue(Request{Name: SandboxSealName, Organization: "Signet", Validity: caValidity}, now)
	if err != nil {
		return nil, err
	}
	return &Sandbox{CA: ca, Seal: seal}, nil
}

// newSerial returns a random positive 127-bit serial number.
func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// keyID is the SHA-1 of the public key's bit string (RFC 5280 method 1),
// the identifier Go computes for CA certificates but not for leaves.
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil
	}
	sum := sha1.Sum(spki.Key.Bytes)
	return sum[:]
}

// samePublicKey reports whether a and b are the same public key.
func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// orderChain returns leaf followed by the certificates among others that
// issued it, each the issuer of the one before; unrelated ones are dropped.
func orderChain(leaf *x509.Certificate, others []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{leaf}
	used := map[int]bool{}
	for cur := leaf; len(chain) <= len(others); {
		next := -1
		for i, c := range others {
			if !used[i] && !c.Equal(cur) && bytes.Equal(cur.RawIssuer, c.RawSubject) && cur.CheckSignatureFrom(c) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		cur = others[next]
		chain = append(chain, cur)
	}
	return chain
}
