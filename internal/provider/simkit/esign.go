package simkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/pki"
)

// ESignCAName names the sandbox eSign CA the Aadhaar eSign simulators sign
// with. Like the real eSign service providers' CAs it issues a short-lived
// certificate per signature naming the signer; unlike them it is generated
// at start and trusted by no one.
const ESignCAName = "Sandbox Aadhaar eSign CA (not publicly trusted)"

// ESigner signs a document the way an Aadhaar eSign service provider does:
// a one-time key and certificate for the signer (name, state, country IN,
// issued by the eSign CA), then a PAdES signature by incremental update,
// so that earlier signers' signatures stay valid. One per simulator.
type ESigner struct {
	// Provider names the eSign service provider in the certificate's
	// organization, e.g. "Signzy Sandbox eSign".
	Provider string
	// Now is the simulator's clock; nil: time.Now.
	Now func() time.Time

	once sync.Once
	ca   *pki.CA
	err  error
}

// ESignature is who signs and why, as the eSign request and the signer's
// Aadhaar data give them.
type ESignature struct {
	Name     string // the name on the signer's Aadhaar record
	State    string // the signer's state, when known
	Reason   string // e.g. "Aadhaar eSign for contract X"
	Location string // e.g. "India"
}

// Sign returns doc with one more signature, by a certificate naming sig.Name.
func (e *ESigner) Sign(ctx context.Context, doc []byte, sig ESignature) ([]byte, error) {
	if strings.TrimSpace(sig.Name) == "" {
		return nil, errors.New("esign: the signer has no name")
	}
	ca, err := e.CA()
	if err != nil {
		return nil, err
	}
	now := e.now()
	cred, err := ca.Issue(pki.Request{
		Name:         sig.Name,
		Organization: e.Provider,
		Country:      "IN",
		Province:     sig.State,
		Validity:     30 * time.Minute, // eSign certificates live for the one signature
	}, now)
	if err != nil {
		return nil, fmt.Errorf("esign: %w", err)
	}
	signer := &pdf.PAdES{Key: cred.Key, Chain: cred.Chain, Now: e.Now}
	location := sig.Location
	if location == "" {
		location = "India"
	}
	return signer.Sign(ctx, doc, pdf.SignInfo{Name: sig.Name, Reason: sig.Reason, Location: location})
}

// CA returns the sandbox eSign CA, made on first use; tests check the
// chain against it.
func (e *ESigner) CA() (*pki.CA, error) {
	e.once.Do(func() {
		e.ca, e.err = pki.NewCA(ESignCAName, pki.ECDSAP256, e.now().Add(-time.Hour))
		if e.err != nil {
			e.err = fmt.Errorf("esign: sandbox CA: %w", e.err)
		}
	})
	return e.ca, e.err
}

func (e *ESigner) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
