package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha1" // digests of older signatures
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Verify checks the signature over content (the detached content, or nil
// to use the encapsulated one) with the signer's certificate, and that the
// signed attributes, if any, name that content and its type.
func (sd *SignedData) Verify(content []byte) error {
	if sd.Signer == nil {
		return errors.New("the signer's certificate is not in the signature")
	}
	if content == nil {
		content = sd.Content
	}
	h := sd.Digest.New()
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
		if _, err := asn1.Unmarshal(ct[0], &got); err != nil || !got.Equal(sd.ContentType) {
			return errors.New("content-type attribute does not match the content")
		}
		signed = sd.signedAttrs
		h := sd.Digest.New()
		h.Write(signed)
		digest = h.Sum(nil)
	}
	if err := checkSignature(sd.Signer.PublicKey, sd.sigAlg, sd.sigParams, sd.Digest, signed, digest, sd.Signature); err != nil {
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
