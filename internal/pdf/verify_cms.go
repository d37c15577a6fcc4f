package pdf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha1" // digests of older signatures
	_ "crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// This file verifies CMS SignedData (RFC 5652) as PDF signatures use it.
// It is its own parser rather than digitorus/pkcs7 because that library
// re-encodes (and so re-sorts) the signed attributes before checking the
// signature, cannot find a signer named by subject key identifier, has no
// RSASSA-PSS, ignores the content-type attribute and drops ASN.1 errors; a
// verification report must not call a good foreign signature bad, or a bad
// one good. It shares no code with the signer in sign_cms.go.

// More object identifiers (the rest are in sign_cms.go).
var (
	oidSHA1             = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA384           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSAEncryption    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidECPublicKey      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidEd25519          = asn1.ObjectIdentifier{1, 3, 101, 112}
	rsaPKCS1Prefix      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1} // .1, .5, .11 to .13
	ecdsaWithSHA2Prefix = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3}  // .2 to .4
	oidECDSAWithSHA1    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
)

// signedData is the part of a CMS SignedData a PDF verifier needs, for its
// one signer.
type signedData struct {
	contentType    asn1.ObjectIdentifier // eContentType
	content        []byte                // eContent, nil when detached
	certs          []*x509.Certificate
	signer         *x509.Certificate // nil if not among certs
	digest         crypto.Hash
	signedAttrs    []byte // the DER of the signed attributes as a SET OF, or nil
	attrs          map[string][][]byte
	sigAlg         asn1.ObjectIdentifier
	sigParams      []byte
	signature      []byte
	timestampToken []byte // from the unsigned attributes, if any
}

// parseSignedData parses a DER (or BER) ContentInfo holding a SignedData
// with exactly one SignerInfo, as PDF signatures have. Bytes after the
// ContentInfo (the zero padding of /Contents) are ignored.
func parseSignedData(der []byte) (*signedData, error) {
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
	sd := &signedData{attrs: map[string][][]byte{}}
	if !encap.ReadASN1ObjectIdentifier(&sd.contentType) {
		return nil, errors.New("CMS: malformed EncapsulatedContentInfo")
	}
	if encap.PeekASN1Tag(explicitContentTag) {
		var e cryptobyte.String
		if !encap.ReadASN1(&e, explicitContentTag) || !e.ReadASN1((*cryptobyte.String)(&sd.content), cbasn1.OCTET_STRING) {
			return nil, errors.New("CMS: malformed eContent")
		}
		if sd.content == nil {
			sd.content = []byte{}
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
			sd.certs = append(sd.certs, cert)
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

func (sd *signedData) parseSignerInfo(si cryptobyte.String) error {
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
		for _, c := range sd.certs {
			if bytes.Equal(c.RawIssuer, issuer) && c.SerialNumber.Cmp(serial) == 0 {
				sd.signer = c
				break
			}
		}
	} else {
		var ski cryptobyte.String
		if !si.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) {
			return errors.New("malformed signer identifier")
		}
		for _, c := range sd.certs {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, ski) {
				sd.signer = c
				break
			}
		}
	}
	digestAlg, _, err := readAlgorithm(&si)
	if err != nil {
		return fmt.Errorf("digest algorithm: %w", err)
	}
	if sd.digest = hashFor(digestAlg); sd.digest == 0 {
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
	if !si.ReadASN1Bytes(&sd.signature, cbasn1.OCTET_STRING) {
		return errors.New("malformed signature value")
	}
	if si.PeekASN1Tag(unsignedAttrsTag) {
		var attrs cryptobyte.String
		unsigned := map[string][][]byte{}
		if !si.ReadASN1(&attrs, unsignedAttrsTag) || readAttributes(attrs, unsigned) != nil {
			return errors.New("malformed unsigned attributes")
		}
		if v := unsigned[oidAttrTimeStampToken.String()]; len(v) > 0 {
			sd.timestampToken = v[0]
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

// verify checks the signature over content (the detached content, or nil
// to use the encapsulated one) with the signer's certificate.
func (sd *signedData) verify(content []byte) error {
	if sd.signer == nil {
		return errors.New("the signer's certificate is not in the signature")
	}
	if content == nil {
		content = sd.content
	}
	h := sd.digest.New()
	h.Write(content)
	digest := h.Sum(nil)
	signed := content
	if sd.signedAttrs != nil {
		md := sd.attrs[oidAttrMessageDigest.String()]
		var want []byte
		if len(md) != 1 {
			return errors.New("no single message-digest attribute")
		}
		if _, err := asn1.Unmarshal(md[0], &want); err != nil {
			return fmt.Errorf("message-digest attribute: %w", err)
		}
		if subtle.ConstantTimeCompare(want, digest) != 1 {
			return errors.New("document digest does not match the signed digest: the signed bytes changed")
		}
		ct := sd.attrs[oidAttrContentType.String()]
		var got asn1.ObjectIdentifier
		if len(ct) != 1 {
			return errors.New("no single content-type attribute")
		}
		if _, err := asn1.Unmarshal(ct[0], &got); err != nil || !got.Equal(sd.contentType) {
			return errors.New("content-type attribute does not match the content")
		}
		signed = sd.signedAttrs
		h := sd.digest.New()
		h.Write(signed)
		digest = h.Sum(nil)
	}
	if err := checkSignature(sd.signer.PublicKey, sd.sigAlg, sd.sigParams, sd.digest, signed, digest, sd.signature); err != nil {
		return fmt.Errorf("signature does not verify with the signer's certificate: %w", err)
	}
	return nil
}

// checkSignature verifies sig over signed (whose digest under the
// SignerInfo's digest algorithm is digest) with pub.
func checkSignature(pub crypto.PublicKey, alg asn1.ObjectIdentifier, params []byte, hash crypto.Hash, signed, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch {
		case alg.Equal(oidRSAPSS):
			pssHash, err := pssHashFor(params)
			if err != nil {
				return err
			}
			h := pssHash.New()
			h.Write(signed)
			return rsa.VerifyPSS(k, pssHash, h.Sum(nil), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		case len(alg) == len(rsaPKCS1Prefix)+1 && alg[:len(rsaPKCS1Prefix)].Equal(rsaPKCS1Prefix):
			// rsaEncryption or shaNWithRSAEncryption: PKCS #1 v1.5 with the SignerInfo's digest.
			return rsa.VerifyPKCS1v15(k, hash, digest, sig)
		}
	case *ecdsa.PublicKey:
		if alg.Equal(oidECPublicKey) || alg.Equal(oidECDSAWithSHA1) ||
			(len(alg) == len(ecdsaWithSHA2Prefix)+1 && alg[:len(ecdsaWithSHA2Prefix)].Equal(ecdsaWithSHA2Prefix)) {
			if !ecdsa.VerifyASN1(k, digest, sig) {
				return errors.New("ECDSA verification failed")
			}
			return nil
		}
	case ed25519.PublicKey:
		if alg.Equal(oidEd25519) {
			if !ed25519.Verify(k, signed, sig) {
				return errors.New("Ed25519 verification failed")
			}
			return nil
		}
	default:
		return fmt.Errorf("unsupported public key %T", pub)
	}
	return fmt.Errorf("signature algorithm %v does not fit a %T", alg, pub)
}

// pssHashFor reads the hash of RSASSA-PSS parameters (SHA-1 by default).
func pssHashFor(params []byte) (crypto.Hash, error) {
	s := cryptobyte.String(params)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return crypto.SHA1, nil
	}
	var h cryptobyte.String
	if seq.ReadOptionalASN1(&h, nil, cbasn1.Tag(0).ContextSpecific().Constructed()) && len(h) > 0 {
		oid, _, err := readAlgorithm(&h)
		if err != nil {
			return 0, fmt.Errorf("RSASSA-PSS parameters: %w", err)
		}
		if hh := hashFor(oid); hh != 0 {
			return hh, nil
		}
		return 0, fmt.Errorf("RSASSA-PSS with unsupported hash %v", oid)
	}
	return crypto.SHA1, nil
}

// timestampToken is a verified RFC 3161 token.
type timestampToken struct {
	sd      *signedData
	genTime time.Time
}

// tstInfo is RFC 3161's TSTInfo, as far as a verifier reads it.
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	SerialNumber *big.Int
	GenTime      time.Time `asn1:"generalized"`
	// Accuracy, ordering, nonce, tsa and extensions follow; not needed.
}

// parseTimestampToken verifies an RFC 3161 TimeStampToken and that its
// message imprint is the digest of data.
func parseTimestampToken(der, data []byte) (*timestampToken, error) {
	sd, err := parseSignedData(der)
	if err != nil {
		return nil, err
	}
	ts := &timestampToken{sd: sd}
	if !sd.contentType.Equal(oidTSTInfo) || sd.content == nil {
		return ts, errors.New("token does not hold a TSTInfo")
	}
	if err := sd.verify(nil); err != nil {
		return ts, err
	}
	var info tstInfo
	if _, err := asn1.Unmarshal(sd.content, &info); err != nil {
		return ts, fmt.Errorf("TSTInfo: %w", err)
	}
	hash := hashFor(info.MessageImprint.HashAlgorithm.Algorithm)
	if hash == 0 {
		return ts, fmt.Errorf("unsupported imprint algorithm %v", info.MessageImprint.HashAlgorithm.Algorithm)
	}
	h := hash.New()
	h.Write(data)
	if !bytes.Equal(h.Sum(nil), info.MessageImprint.HashedMessage) {
		return ts, errors.New("token timestamps other data")
	}
	ts.genTime = info.GenTime.UTC()
	return ts, nil
}

// maxBERDepth bounds nesting in berToDER.
const maxBERDepth = 48

// berToDER returns the first element of b in definite-length form, with
// constructed OCTET STRINGs joined into primitive ones: the BER liberties
// some signers take in the outer CMS structure. Trailing bytes are dropped.
func berToDER(b []byte) ([]byte, error) {
	out, _, err := berElement(b, 0)
	return out, err
}

func berElement(b []byte, depth int) (der, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, errors.New("nested too deeply")
	}
	if len(b) < 2 {
		return nil, nil, errors.New("truncated element")
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number form
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return nil, nil, errors.New("truncated tag")
	}
	tag := b[:i]
	constructed := b[0]&0x20 != 0
	lb := b[i]
	i++
	var body []byte
	indefinite := lb == 0x80
	switch {
	case indefinite:
		if !constructed {
			return nil, nil, errors.New("indefinite length on a primitive element")
		}
		body = b[i:]
	case lb < 0x80:
		if int(lb) > len(b)-i {
			return nil, nil, errors.New("length past the end")
		}
		body, rest = b[i:i+int(lb)], b[i+int(lb):]
	default:
		n := int(lb & 0x7f)
		if n > 4 || n > len(b)-i {
			return nil, nil, errors.New("bad length")
		}
		l := 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
		if l < 0 || l > len(b)-i {
			return nil, nil, errors.New("length past the end")
		}
		body, rest = b[i:i+l], b[i+l:]
	}
	if !constructed {
		return encodeTLV(tag, body), rest, nil
	}
	var children [][]byte
	for {
		if indefinite {
			if len(body) >= 2 && body[0] == 0 && body[1] == 0 {
				rest = body[2:]
				break
			}
			if len(body) == 0 {
				return nil, nil, errors.New("missing end-of-contents")
			}
		} else if len(body) == 0 {
			break
		}
		var child []byte
		if child, body, err = berElement(body, depth+1); err != nil {
			return nil, nil, err
		}
		children = append(children, child)
	}
	if len(tag) == 1 && tag[0] == 0x24 { // constructed OCTET STRING
		var joined []byte
		for _, c := range children {
			s := cryptobyte.String(c)
			var part cryptobyte.String
			if !s.ReadASN1(&part, cbasn1.OCTET_STRING) {
				return nil, nil, errors.New("constructed OCTET STRING with a non-OCTET STRING part")
			}
			joined = append(joined, part...)
		}
		return encodeTLV([]byte{0x04}, joined), rest, nil
	}
	return encodeTLV(tag, bytes.Join(children, nil)), rest, nil
}

func encodeTLV(tag, body []byte) []byte {
	out := append([]byte{}, tag...)
	switch n := len(body); {
	case n < 0x80:
		out = append(out, byte(n))
	default:
		var l []byte
		for ; n > 0; n >>= 8 {
			l = append([]byte{byte(n)}, l...)
		}
		out = append(append(out, 0x80|byte(len(l))), l...)
	}
	return append(out, body...)
}
