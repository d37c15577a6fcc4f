package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SignedData is a parsed CMS SignedData with its one signer.
type SignedData struct {
	ContentType    asn1.ObjectIdentifier // eContentType
	Content        []byte                // eContent, nil when detached
	Certificates   []*x509.Certificate   // all embedded certificates
	Signer         *x509.Certificate     // the signer's, nil if not among Certificates
	Digest         crypto.Hash           // the SignerInfo's digest algorithm
	Signature      []byte                // the signature value
	TimestampToken []byte                // RFC 3161 token from the unsigned attributes, if any

	signedAttrs []byte // the DER of the signed attributes as a SET OF, or nil
	attrs       map[string][][]byte
	sigAlg      asn1.ObjectIdentifier
	sigParams   []byte
}

// Parse parses a DER (or BER) ContentInfo holding a SignedData with
// exactly one SignerInfo, as PDF signatures and time-stamp tokens have. Bytes after the
// ContentInfo (the zero padding of /Contents) are ignored.
func Parse(der []byte) (*SignedData, error) {
	der, err := berToDER(der)
	if err != nil {
		return nil, fmt.Errorf("CMS: %w", err)
	}
	in := cryptobyte.String(der)
	var ci, sdSeq, encap, signerInfos cryptobyte.String
	var ctype asn1.ObjectIdentifier
	var version int64
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ctype) {
		return nil, errors.New("CMS: not a ContentInfo")
	}
	if !ctype.Equal(oidSignedData) {
		return nil, fmt.Errorf("CMS: content type %v is not signedData", ctype)
	}
	if !ci.ReadASN1(&sdSeq, explicitContentTag) || !sdSeq.ReadASN1(&sdSeq, cbasn1.SEQUENCE) ||
		!sdSeq.ReadASN1Integer(&version) || !sdSeq.SkipASN1(cbasn1.SET) ||
		!sdSeq.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, errors.New("CMS: malformed SignedData")
	}
	sd := &SignedData{attrs: map[string][][]byte{}}
	if !encap.ReadASN1ObjectIdentifier(&sd.ContentType) {
		return nil, errors.New("CMS: malformed EncapsulatedContentInfo")
	}
	if encap.PeekASN1Tag(explicitContentTag) {
		var e cryptobyte.String
		if !encap.ReadASN1(&e, explicitContentTag) || !e.ReadASN1((*cryptobyte.String)(&sd.Content), cbasn1.OCTET_STRING) {
			return nil, errors.New("CMS: malformed eContent")
		}
		if sd.Content == nil {
			sd.Content = []byte{}
		}
	}
	if sdSeq.PeekASN1Tag(implicitCertificateTag) {
		var certs cryptobyte.String
		sdSeq.ReadASN1(&certs, implicitCertificateTag)
		for !certs.Empty() {
			var c cryptobyte.String
			var tag cbasn1.Tag
			if !certs.ReadAnyASN1Element(&c, &tag) {
				return nil, errors.New("CMS: malformed certificates")
			}
			if tag != cbasn1.SEQUENCE {
				continue // attribute or other certificate formats
			}
			cert, err := x509.ParseCertificate(c)
			if err != nil {
				return nil, fmt.Errorf("CMS: certificate: %w", err)
			}
			sd.Certificates = append(sd.Certificates, cert)
		}
	}
	sdSeq.SkipOptionalASN1(cbasn1.Tag(1).ContextSpecific().Constructed()) // crls
	if !sdSeq.ReadASN1(&signerInfos, cbasn1.SET) {
		return nil, errors.New("CMS: malformed signerInfos")
	}
	var si cryptobyte.String
	if !signerInfos.ReadASN1(&si, cbasn1.SEQUENCE) {
		return nil, errors.New("CMS: no SignerInfo")
	}
	if !signerInfos.Empty() {
		return nil, errors.New("CMS: more than one SignerInfo")
	}
	if err := sd.parseSignerInfo(si); err != nil {
		return nil, fmt.Errorf("CMS: SignerInfo: %w", err)
	}
	return sd, nil
}

func (sd *SignedData) parseSignerInfo(si cryptobyte.String) error {
	var version int64
	if !si.ReadASN1Integer(&version) {
		return errors.New("malformed version")
	}
	// The signer is named by issuer and serial number, or by subject key
	// identifier ([0]).
	if si.PeekASN1Tag(cbasn1.SEQUENCE) {
		var ias cryptobyte.String
		var issuer cryptobyte.String
		serial := new(big.Int)
		if !si.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !ias.ReadASN1Integer(serial) {
			return errors.New("malformed issuerAndSerialNumber")
		}
		for _, c := range sd.Certificates {
			if bytes.Equal(c.RawIssuer, issuer) && c.SerialNumber.Cmp(serial) == 0 {
				sd.Signer = c
				break
			}
		}
	} else {
		var ski cryptobyte.String
		if !si.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) {
			return errors.New("malformed signer identifier")
		}
		for _, c := range sd.Certificates {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, ski) {
				sd.Signer = c
				break
			}
		}
	}
	digestAlg, _, err := readAlgorithm(&si)
	if err != nil {
		return fmt.Errorf("digest algorithm: %w", err)
	}
	if sd.Digest = hashFor(digestAlg); sd.Digest == 0 {
		return fmt.Errorf("unsupported digest algorithm %v", digestAlg)
	}
	if si.PeekASN1Tag(signedAttrsTag) {
		var raw cryptobyte.String
		if !si.ReadASN1Element(&raw, signedAttrsTag) {
			return errors.New("malformed signed attributes")
		}
		// The signature covers the attributes re-tagged as a SET OF, in
		// the encoding the signer sent.
		sd.signedAttrs = append([]byte{0x31}, raw[1:]...)
		var attrs cryptobyte.String
		raw.ReadASN1(&attrs, signedAttrsTag)
		if err := readAttributes(attrs, sd.attrs); err != nil {
			return fmt.Errorf("signed attributes: %w", err)
		}
	}
	if sd.sigAlg, sd.sigParams, err = readAlgorithm(&si); err != nil {
		return fmt.Errorf("signature algorithm: %w", err)
	}
	if !si.ReadASN1Bytes(&sd.Signature, cbasn1.OCTET_STRING) {
		return errors.New("malformed signature value")
	}
	if si.PeekASN1Tag(unsignedAttrsTag) {
		var attrs cryptobyte.String
		unsigned := map[string][][]byte{}
		if !si.ReadASN1(&attrs, unsignedAttrsTag) || readAttributes(attrs, unsigned) != nil {
			return errors.New("malformed unsigned attributes")
		}
		if v := unsigned[oidAttrTimeStampToken.String()]; len(v) > 0 {
			sd.TimestampToken = v[0]
		}
	}
	return nil
}

// readAttributes adds each attribute's values (DER elements) to m by OID.
func readAttributes(s cryptobyte.String, m map[string][][]byte) error {
	for !s.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !s.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) || !attr.ReadASN1(&values, cbasn1.SET) {
			return errors.New("malformed attribute")
		}
		for !values.Empty() {
			var v cryptobyte.String
			if !values.ReadAnyASN1Element(&v, nil) {
				return errors.New("malformed attribute value")
			}
			m[oid.String()] = append(m[oid.String()], v)
		}
	}
	return nil
}

func readAlgorithm(s *cryptobyte.String) (asn1.ObjectIdentifier, []byte, error) {
	var alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
		return nil, nil, errors.New("malformed AlgorithmIdentifier")
	}
	return oid, alg, nil
}

func hashFor(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oidSHA1):
		return crypto.SHA1
	case oid.Equal(oidSHA256):
		return crypto.SHA256
	case oid.Equal(oidSHA384):
		return crypto.SHA384
	case oid.Equal(oidSHA512):
		return crypto.SHA512
	}
	return 0
}
