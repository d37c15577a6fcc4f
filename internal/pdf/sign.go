package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Signer signs PDFs. *PAdES implements it; code that signs documents
// depends on this interface.
type Signer interface {
	// Sign returns b with one more signature, appended by incremental
	// update so that earlier signatures stay valid; it covers the whole
	// returned file.
	Sign(ctx context.Context, b []byte, info SignInfo) ([]byte, error)
}

// SignInfo holds the optional, unsigned-by-convention descriptions a
// signature dictionary carries for viewers.
type SignInfo struct {
	Name        string // /Name: who signed, when the certificate does not say it well
	Reason      string // /Reason, e.g. "Sealed by Signet after all signers signed"
	Location    string // /Location
	ContactInfo string // /ContactInfo
}

// Timestamper returns an RFC 3161 TimeStampToken (DER) over data.
// *pki.TSA implements it.
type Timestamper interface {
	Timestamp(ctx context.Context, data []byte) ([]byte, error)
}

// PAdES signs PDFs with a PAdES baseline signature: an approval signature
// field whose signature dictionary has /SubFilter /ETSI.CAdES.detached and
// a detached CMS SignedData over the /ByteRange with SHA-256, holding the
// content-type, message-digest and ESS signing-certificate-v2 attributes.
// The claimed signing time is /M, never a CMS signing-time attribute (ETSI
// EN 319 142-1). With a TSA the signature value gets an RFC 3161 signature
// timestamp as an unsigned attribute (PAdES B-T); without one it is B-B.
//
// This is Signet's own incremental-update writer rather than
// digitorus/pdfsign: pdfsign hard-codes /SubFilter /adbe.pkcs7.detached,
// and its CMS library (digitorus/pkcs7) always adds a signing-time
// attribute, which PAdES baseline signatures must not carry. Both would
// have to be patched after the fact, and pdfsign also defaults to a
// certification signature that forbids later signatures, fetches
// timestamps with an HTTP client without timeout, and logs to the standard
// logger. Reading the existing document (catalog, AcroForm, last page, classic
// or stream cross-reference sections) is pdfcpu's job; see update.go.
type PAdES struct {
	Key   crypto.Signer       // RSA or ECDSA
	Chain []*x509.Certificate // Key's certificate first, then its issuers; all are embedded
	TSA   Timestamper         // nil: PAdES B-B; otherwise B-T
	Now   func() time.Time    // the signing time written to /M; nil: time.Now
}

var _ Signer = (*PAdES)(nil)

// ErrCertified is returned when the document carries a certification
// signature that permits no changes: signing it would break that one.
var ErrCertified = errors.New("pdf: document is certified with no changes allowed")

// contentsReserve is the room kept in /Contents beyond the certificates and
// the signature value, in bytes: the CMS structure and attributes need about
// 400, and an RFC 3161 token typically 1.5 to 6 KB.
const (
	cmsOverhead = 2048
	tsaReserve  = 8192
)

// Sign returns b with a new PAdES signature covering the whole result. b
// must pass Validate. Existing signatures stay valid: nothing before the end
// of b changes.
func (p *PAdES) Sign(ctx context.Context, b []byte, info SignInfo) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if _, err := Validate(b); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	doc, err := readForUpdate(b)
	if err != nil {
		// A file whose cross-reference table the check had to repair
		// cannot take an incremental update as it is. Written out again
		// (as the stamps do) it can, and a file that carries no signature
		// yet loses nothing by that.
		if sigs, verr := Verify(b); len(sigs) > 0 || verr != nil && bytes.Contains(b, []byte("/ByteRange")) {
			return nil, fmt.Errorf("sign: %w", err) // signatures a rewrite would break
		}
		clean, rerr := DefaultLimits().modify(ctx, b, model.ADDATTACHMENTS, func(*model.Context) error { return nil })
		if rerr != nil {
			return nil, fmt.Errorf("sign: %w (and writing it out again: %v)", err, rerr)
		}
		b = clean
		if doc, err = readForUpdate(b); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	sig := sigDict{info: info, time: now(), reserve: p.reserve()}
	// A CMS larger than the reservation (a TSA token bigger than expected)
	// means laying out the update again with room for it.
	for range 2 {
		out, contents, err := doc.appendSignature(b, sig)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		h := sha256.New()
		h.Write(out[:contents[0]])
		h.Write(out[contents[1]:])
		cms, err := p.signedData(ctx, h.Sum(nil))
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		if room := (contents[1] - contents[0] - 2) / 2; len(cms) > room {
			sig.reserve = len(cms) + 512
			continue
		}
		hex.Encode(out[contents[0]+1:], cms)
		return out, nil
	}
	return nil, errors.New("sign: signature does not fit its reserved space")
}

func (p *PAdES) check() error {
	if p.Key == nil || len(p.Chain) == 0 || p.Chain[0] == nil {
		return errors.New("sign: PAdES needs a key and its certificate")
	}
	switch p.Key.Public().(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return fmt.Errorf("sign: unsupported key type %T", p.Key.Public())
	}
	pub, ok := p.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(p.Chain[0].PublicKey) {
		return errors.New("sign: the key does not belong to the first certificate of the chain")
	}
	return nil
}

// reserve estimates the size of the CMS in bytes.
func (p *PAdES) reserve() int {
	n := cmsOverhead
	for _, c := range p.Chain {
		n += len(c.Raw)
	}
	switch k := p.Key.Public().(type) {
	case *rsa.PublicKey:
		n += k.Size()
	case *ecdsa.PublicKey:
		n += 2*(k.Curve.Params().BitSize+7)/8 + 16
	}
	if p.TSA != nil {
		n += tsaReserve
	}
	return n
}
