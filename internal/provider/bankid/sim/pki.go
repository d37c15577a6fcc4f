package sim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// DefaultRPCommonName is the common name of the sandbox relying party's
// client certificate.
const DefaultRPCommonName = "Signet sandbox relying party"

// certLife is how long the throwaway certificates are valid. They are
// made at start-up and never leave the process.
const certLife = 2 * 365 * 24 * time.Hour

// PKI is a throwaway certificate authority with a server certificate for
// the simulator and a client certificate for the adapter, so that the
// sandbox speaks real mutual TLS like BankID.
type PKI struct {
	// CA is the authority's certificate; CAPEM is it in PEM.
	CA    *x509.Certificate
	CAPEM []byte
	// ServerTLS serves the simulator: its certificate is valid for the
	// hosts given to NewTestPKI, and it requires and verifies a client
	// certificate issued by CA.
	ServerTLS *tls.Config
	// ClientTLS is the adapter's: the relying party's client certificate,
	// trusting only CA.
	ClientTLS *tls.Config
	// ClientCommonName is the client certificate's common name (the
	// simulator's Config.RPCommonName).
	ClientCommonName string
	// ClientCertPEM and ClientKeyPEM are the client certificate and its
	// key in PEM, for configuring the adapter from files
	// (bankid.LoadClientPEM).
	ClientCertPEM, ClientKeyPEM []byte

	caKey crypto.Signer
}

// NewTestPKI makes a CA, a server certificate for hosts (IP addresses or
// DNS names; 127.0.0.1, ::1 and localhost if none) and a client
// certificate with DefaultRPCommonName.
func NewTestPKI(hosts []string) (*PKI, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Signet sandbox BankID CA", Organization: []string{"Signet sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLife),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caCert, _, err := issue(caTmpl, caKey.Public(), nil, caKey)
	if err != nil {
		return nil, fmt.Errorf("sim: CA: %w", err)
	}
	p := &PKI{CA: caCert, CAPEM: pemBlock("CERTIFICATE", caCert.Raw), ClientCommonName: DefaultRPCommonName, caKey: caKey}

	srvTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "BankID RP API (sandbox)", Organization: []string{"Signet sandbox"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certLife),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			srvTmpl.IPAddresses = append(srvTmpl.IPAddresses, ip)
		} else if h != "" {
			srvTmpl.DNSNames = append(srvTmpl.DNSNames, h)
		}
	}
	srvCert, err := p.leaf(srvTmpl)
	if err != nil {
		return nil, fmt.Errorf("sim: server certificate: %w", err)
	}
	cliCert, err := p.IssueClient(DefaultRPCommonName)
	if err != nil {
		return nil, err
	}
	p.ClientCertPEM = pemBlock("CERTIFICATE", cliCert.Certificate[0])
	der, err := x509.MarshalPKCS8PrivateKey(cliCert.PrivateKey)
	if err != nil {
		return nil, err
	}
	p.ClientKeyPEM = pemBlock("PRIVATE KEY", der)

	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	p.ServerTLS = &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
	p.ClientTLS = &tls.Config{
		Certificates: []tls.Certificate{cliCert},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
	}
	return p, nil
}

// IssueClient issues another client certificate from p's CA, with the
// common name cn (a relying party the simulator does not know, in tests).
func (p *PKI) IssueClient(cn string) (tls.Certificate, error) {
	now := time.Now()
	c, err := p.leaf(&x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: []string{"Signet sandbox"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(certLife),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sim: client certificate: %w", err)
	}
	return c, nil
}

// leaf issues a certificate for a new key from p's CA.
func (p *PKI) leaf(tmpl *x509.Certificate) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, der, err := issue(tmpl, key.Public(), p.CA, p.caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, nil
}

// issue signs tmpl for pub with parent's key (self-signed if parent is
// nil), giving it a random serial number.
func issue(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, key crypto.Signer) (*x509.Certificate, []byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, der, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
