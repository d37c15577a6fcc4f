// Package cms verifies CMS SignedData (RFC 5652) as PDF signatures and
// RFC 3161 time-stamp tokens use it: one signer, its certificate among
// those embedded. It checks signatures, not trust: whether a certificate
// chains to a trusted root is the caller's question.
//
// It is its own parser rather than digitorus/pkcs7 because that library
// re-encodes (and so re-sorts) the signed attributes before checking the
// signature, cannot find a signer named by subject key identifier, has no
// RSASSA-PSS, ignores the content-type attribute and drops ASN.1 errors; a
// verification report must not call a good foreign signature bad, or a bad
// one good. digitorus/pkcs7 also imports package testing from a non-test
// file, which would put test code into the binary. It shares no code with
// the PAdES signer in internal/pdf/sign_cms.go, so a bug in one cannot
// hide in the other.
package cms

import (
	"encoding/asn1"

	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers and tags of the structures this package reads.
var (
	oidSignedData         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidAttrContentType    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSHA1               = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA384             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSAPSS             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidECPublicKey        = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidEd25519            = asn1.ObjectIdentifier{1, 3, 101, 112}
	rsaPKCS1Prefix        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1} // .1, .5, .11 to .13
	ecdsaWithSHA2Prefix   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3}  // .2 to .4
	oidECDSAWithSHA1      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidSHA256             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

	signedAttrsTag         = cbasn1.Tag(0).ContextSpecific().Constructed()
	unsignedAttrsTag       = cbasn1.Tag(1).ContextSpecific().Constructed()
	explicitContentTag     = cbasn1.Tag(0).ContextSpecific().Constructed()
	implicitCertificateTag = cbasn1.Tag(0).ContextSpecific().Constructed()
)
