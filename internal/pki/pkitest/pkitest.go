// Package pkitest gives tests throwaway CAs and signing credentials and a
// local RFC 3161 time-stamping authority over HTTP. Import it only from
// _test.go files.
package pkitest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/signet-dev/signet/internal/pki"
)

// CA returns a new ECDSA CA named name, valid from now.
func CA(t testing.TB, name string) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(name, pki.ECDSAP256, time.Now())
	if err != nil {
		t.Fatalf("pkitest: new CA: %v", err)
	}
	return ca
}

// Credential returns an ECDSA signing credential for name from a new CA
// named "<name> Test CA".
func Credential(t testing.TB, name string) *pki.Credential {
	t.Helper()
	return Issue(t, CA(t, name+" Test CA"), pki.Request{Name: name})
}

// Issue issues r from ca, failing the test on error.
func Issue(t testing.TB, ca *pki.CA, r pki.Request) *pki.Credential {
	t.Helper()
	c, err := ca.Issue(r, time.Now())
	if err != nil {
		t.Fatalf("pkitest: issue %q: %v", r.Name, err)
	}
	return c
}

// TestPolicy is the TSA policy OID in the local TSA's tokens.
var TestPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1, 1}

// TSA is a local RFC 3161 time-stamping authority. Its certificate is
// issued by its own CA with the critical timeStamping extended key usage.
type TSA struct {
	URL  string            // where to POST time-stamp queries
	CA   *pki.CA           // the issuer of Cert
	Cert *x509.Certificate // the TSA's signing certificate
	// Now is the time put in tokens; nil: time.Now.
	Now func() time.Time

	key      crypto.Signer
	requests atomic.Int64
}

// NewTSA starts a TSA on loopback, stopped when the test ends.
func NewTSA(t testing.TB) *TSA {
	t.Helper()
	ca := CA(t, "Test TSA CA")
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatalf("pkitest: TSA key: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "Test TSA", Organization: []string{"Signet tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatalf("pkitest: TSA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("pkitest: TSA certificate: %v", err)
	}
	tsa := &TSA{CA: ca, Cert: cert, key: key}
	srv := httptest.NewServer(tsa)
	t.Cleanup(srv.Close)
	tsa.URL = srv.URL
	return tsa
}

// Requests returns how many time-stamp queries the TSA has answered.
func (a *TSA) Requests() int64 { return a.requests.Load() }

// ServeHTTP answers an RFC 3161 query posted as application/timestamp-query.
func (a *TSA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a time-stamp query", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              now().UTC().Truncate(time.Second),
		Accuracy:          time.Second,
		Nonce:             req.Nonce,
		Policy:            TestPolicy,
		AddTSACertificate: req.Certificates,
		Certificates:      []*x509.Certificate{a.CA.Cert},
	}
	resp, err := ts.CreateResponseWithOpts(a.Cert, a.key, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	a.requests.Add(1)
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}
