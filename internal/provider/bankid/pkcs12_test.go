package bankid_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/bankid/sim"
)

// TestLoadClientPKCS12 loads the relying party's certificate the way
// BankID issues it (an AES-encrypted .p12) and speaks mutual TLS with it.
func TestLoadClientPKCS12(t *testing.T) {
	pki, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(pki.ClientCertPEM, pki.ClientKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.Encode(pair.PrivateKey, pair.Leaf, nil, "qwerty123")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p12File, caFile := filepath.Join(dir, "rp.p12"), filepath.Join(dir, "ca.pem")
	os.WriteFile(p12File, p12, 0o600)
	os.WriteFile(caFile, pki.CAPEM, 0o600)

	if _, err := bankid.LoadClientPKCS12(p12File, "wrong", caFile); err == nil {
		t.Error("a wrong password was accepted")
	}
	cfg, err := bankid.LoadClientPKCS12(p12File, "qwerty123", caFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sim.Config{BaseURL: "http://127.0.0.1:1/sandbox/bankid", RPCommonName: pki.ClientCommonName})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	apiURL, err := s.ListenTLS("127.0.0.1:0", pki.ServerTLS)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", apiURL+"/cancel", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("mutual TLS with the PKCS#12 certificate failed: %v", err)
	}
	resp.Body.Close()
}
