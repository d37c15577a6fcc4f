package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers of the CMS structures PAdES signatures use.
var (
	oidData                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidAttrContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidAttrSigningCertV2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidAttrTimeStampToken  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSHA256              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA256WithRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	asn1NULL               = []byte{5, 0}
	directoryNameTag       = cbasn1.Tag(4).ContextSpecific().Constructed()
	signedAttrsTag         = cbasn1.Tag(0).ContextSpecific().Constructed()
	unsignedAttrsTag       = cbasn1.Tag(1).ContextSpecific().Constructed()
	explicitContentTag     = cbasn1.Tag(0).ContextSpecific().Constructed()
	implicitCertificateTag = cbasn1.Tag(0).ContextSpecific().Constructed()
)

// signedData returns a DER CMS ContentInfo holding a detached SignedData
// whose one SignerInfo signs digest (the SHA-256 of the byte ranges).
func (p *PAdES) signedData(ctx context.Context, digest []byte) ([]byte, error) {
	leaf := p.Chain[0]
	essCertID, err := signingCertificateV2(leaf)
	if err != nil {
		return nil, err
	}
	signedAttrs, err := attributeSet(
		attribute(oidAttrContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }),
		attribute(oidAttrMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }),
		attribute(oidAttrSigningCertV2, func(b *cryptobyte.Builder) { b.AddBytes(essCertID) }),
	)
	if err != nil {
		return nil, err
	}
	// The signature is over the DER of the attributes as a SET OF.
	h := sha256.Sum256(signedAttrs)
	sigValue, err := p.Key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign with key: %w", err)
	}
	sigAlg := oidECDSAWithSHA256
	if _, ok := p.Key.Public().(*rsa.PublicKey); ok {
		sigAlg = oidSHA256WithRSA
	} else if _, ok := p.Key.Public().(*ecdsa.PublicKey); !ok {
		return nil, fmt.Errorf("unsupported key type %T", p.Key.Public())
	}
	var unsignedAttrs []byte
	if p.TSA != nil {
		token, err := p.TSA.Timestamp(ctx, sigValue)
		if err != nil {
			return nil, fmt.Errorf("signature timestamp: %w", err)
		}
		if unsignedAttrs, err = attributeSet(attribute(oidAttrTimeStampToken, func(b *cryptobyte.Builder) { b.AddBytes(token) })); err != nil {
			return nil, err
		}
	}

	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(explicitContentTag, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, oidSHA256, nil) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // detached EncapsulatedContentInfo
					b.AddASN1ObjectIdentifier(oidData)
				})
				b.AddASN1(implicitCertificateTag, func(b *cryptobyte.Builder) {
					for _, c := range p.Chain {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(leaf.RawIssuer)
							b.AddASN1BigInt(leaf.SerialNumber)
						})
						addAlgorithm(b, oidSHA256, nil)
						b.AddASN1(signedAttrsTag, func(b *cryptobyte.Builder) { b.AddBytes(setContents(signedAttrs)) })
						if sigAlg.Equal(oidSHA256WithRSA) {
							addAlgorithm(b, sigAlg, asn1NULL)
						} else {
							addAlgorithm(b, sigAlg, nil)
						}
						b.AddASN1OctetString(sigValue)
						if unsignedAttrs != nil {
							b.AddASN1(unsignedAttrsTag, func(b *cryptobyte.Builder) { b.AddBytes(setContents(unsignedAttrs)) })
						}
					})
				})
			})
		})
	})
	return b.Bytes()
}

// signingCertificateV2 encodes the ESS SigningCertificateV2 naming the
// signer's certificate by its SHA-256 (the default algorithm, so omitted)
// and by issuer and serial number.
func signingCertificateV2(cert *x509.Certificate) ([]byte, error) {
	sum := sha256.Sum256(cert.Raw)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2
				b.AddASN1OctetString(sum[:])
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerSerial
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
						b.AddASN1(directoryNameTag, func(b *cryptobyte.Builder) { b.AddBytes(cert.RawIssuer) })
					})
					b.AddASN1BigInt(cert.SerialNumber)
				})
			})
		})
	})
	return b.Bytes()
}

func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, params []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if params != nil {
			b.AddBytes(params)
		}
	})
}

// attribute encodes an Attribute with one value.
func attribute(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) func() ([]byte, error) {
	return func() ([]byte, error) {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, value)
		})
		return b.Bytes()
	}
}

// attributeSet encodes attributes as a DER SET OF: sorted by encoding.
func attributeSet(attrs ...func() ([]byte, error)) ([]byte, error) {
	enc := make([][]byte, len(attrs))
	for i, a := range attrs {
		var err error
		if enc[i], err = a(); err != nil {
			return nil, fmt.Errorf("encode attribute: %w", err)
		}
	}
	slices.SortFunc(enc, bytes.Compare)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, e := range enc {
			b.AddBytes(e)
		}
	})
	return b.Bytes()
}

// setContents strips the SET tag and length from a DER SET, leaving what
// an IMPLICIT [n] tag wraps instead.
func setContents(set []byte) []byte {
	s := cryptobyte.String(set)
	var inner cryptobyte.String
	s.ReadASN1(&inner, cbasn1.SET)
	return inner
}
