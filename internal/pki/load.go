package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"software.sslmate.com/src/go-pkcs12"
)

// ErrNoKey and friends describe why LoadCredential refused its input.
var (
	ErrNoKey         = errors.New("pki: no private key")
	ErrNoCertificate = errors.New("pki: no certificate for the private key")
	ErrKeyType       = errors.New("pki: only RSA and ECDSA keys can sign PDFs")
)

// LoadCredential reads a signing key with its certificate chain from
// PKCS#12 data (decrypted with password) or from PEM data: CERTIFICATE
// blocks and exactly one unencrypted private key block (PKCS#8, PKCS#1 or
// SEC 1). The chain starts with the certificate of the key and continues
// with those of the given certificates that issued it; others are dropped.
// A certificate whose key usage excludes both digitalSignature and
// nonRepudiation is refused.
func LoadCredential(data []byte, password string) (*Credential, error) {
	var (
		certs []*x509.Certificate
		keys  []any
		err   error
	)
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		certs, keys, err = parsePEM(data)
	} else {
		certs, keys, err = parsePKCS12(data, password)
	}
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, ErrNoKey
	}
	if len(keys) > 1 {
		return nil, fmt.Errorf("pki: %d private keys, expected one", len(keys))
	}
	return credential(keys[0], certs)
}

// credential pairs key with its certificate among certs and orders the chain.
func credential(key any, certs []*x509.Certificate) (*Credential, error) {
	signer, err := signingKey(key)
	if err != nil {
		return nil, err
	}
	leaf := -1
	for i, c := range certs {
		if samePublicKey(signer.Public(), c.PublicKey) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return nil, ErrNoCertificate
	}
	cert := certs[leaf]
	if ku := cert.KeyUsage; ku != 0 && ku&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return nil, fmt.Errorf("pki: certificate %q may not sign documents (key usage %#x)", cert.Subject.CommonName, ku)
	}
	others := append(append([]*x509.Certificate{}, certs[:leaf]...), certs[leaf+1:]...)
	return &Credential{Key: signer, Chain: orderChain(cert, others)}, nil
}

func signingKey(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%w (got %T)", ErrKeyType, key)
}

func parsePKCS12(data []byte, password string) ([]*x509.Certificate, []any, error) {
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: read PKCS#12: %w", err)
	}
	return append([]*x509.Certificate{cert}, cas...), []any{key}, nil
}

// parsePEM returns the certificates and private keys in data, in order.
func parsePEM(data []byte) ([]*x509.Certificate, []any, error) {
	var (
		certs []*x509.Certificate
		keys  []any
	)
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(block.Bytes); err == nil {
				certs = append(certs, c)
			}
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			err = errors.New("encrypted PEM keys are not supported: use PKCS#12 with a password")
		default:
			continue // e.g. EC PARAMETERS
		}
		if err != nil {
			return nil, nil, fmt.Errorf("pki: PEM block %q: %w", block.Type, err)
		}
		if key != nil {
			keys = append(keys, key)
		}
	}
	if len(certs) == 0 && len(keys) == 0 {
		return nil, nil, errors.New("pki: no PEM certificate or key found")
	}
	return certs, keys, nil
}

// MarshalPEM encodes the chain as CERTIFICATE blocks followed by the key as
// an unencrypted PKCS#8 PRIVATE KEY block: the PEM form LoadCredential reads.
// The output holds a private key: store it as a secret.
func (c *Credential) MarshalPEM() ([]byte, error) {
	return encodePEM(c.Chain, c.Key)
}

// MarshalPEM encodes the CA certificate and its key like Credential.MarshalPEM.
func (ca *CA) MarshalPEM() ([]byte, error) {
	return encodePEM([]*x509.Certificate{ca.Cert}, ca.Key)
}

// ParseCA reads a CA written by CA.MarshalPEM.
func ParseCA(data []byte) (*CA, error) {
	certs, keys, err := parsePEM(data)
	if err != nil {
		return nil, err
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("pki: CA: %d private keys, expected one", len(keys))
	}
	return caFor(keys[0], certs)
}

func caFor(key any, certs []*x509.Certificate) (*CA, error) {
	signer, err := signingKey(key)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if c.IsCA && samePublicKey(signer.Public(), c.PublicKey) {
			return &CA{Key: signer, Cert: c}, nil
		}
	}
	return nil, errors.New("pki: no CA certificate for the private key")
}

// MarshalPEM encodes the sandbox (the seal's chain, the seal's key, the
// CA's key) for keeping in a database; ParseSandbox reads it back. It holds
// private keys: store it as a secret.
func (s *Sandbox) MarshalPEM() ([]byte, error) {
	b, err := s.Seal.MarshalPEM()
	if err != nil {
		return nil, err
	}
	ca, err := encodePEM(nil, s.CA.Key)
	if err != nil {
		return nil, err
	}
	return append(b, ca...), nil
}

// ParseSandbox reads a sandbox written by Sandbox.MarshalPEM. Keys are told
// apart by the certificates they match, so block order does not matter.
func ParseSandbox(data []byte) (*Sandbox, error) {
	certs, keys, err := parsePEM(data)
	if err != nil {
		return nil, err
	}
	if len(keys) != 2 {
		return nil, fmt.Errorf("pki: sandbox: %d private keys, expected two", len(keys))
	}
	for i := range keys {
		ca, err := caFor(keys[i], certs)
		if err != nil {
			continue
		}
		seal, err := credential(keys[1-i], certs)
		if err != nil {
			return nil, fmt.Errorf("pki: sandbox seal: %w", err)
		}
		if len(seal.Chain) < 2 || !seal.Chain[len(seal.Chain)-1].Equal(ca.Cert) {
			return nil, errors.New("pki: sandbox seal was not issued by the sandbox CA")
		}
		return &Sandbox{CA: ca, Seal: seal}, nil
	}
	return nil, errors.New("pki: sandbox: no CA certificate for either private key")
}

func encodePEM(certs []*x509.Certificate, key crypto.Signer) ([]byte, error) {
	var buf bytes.Buffer
	for _, c := range certs {
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
			return nil, err
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode private key: %w", err)
	}
	if err := pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
