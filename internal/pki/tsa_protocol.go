package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// This file speaks RFC 3161's messages: the TimeStampReq Signet sends and
// the TimeStampResp it reads. It is Signet's own rather than
// digitorus/timestamp, the one maintained Go library, because that
// library's CMS dependency (digitorus/pkcs7) imports package testing from a
// non-test file and so would put test code into the signet binary. The
// token's signature is checked by internal/cms, the verifier PDF
// validation uses too: one CMS parser rather than a second one here, and
// the client still hands out only tokens that verify, whoever calls it,
// instead of leaving that check to PDF signing.

var oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

// timeStampReq is RFC 3161's TimeStampReq, without reqPolicy and
// extensions, which Signet does not send.
type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	Nonce          *big.Int
	CertReq        bool
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

// timeStampQuery encodes a request for a timestamp on a SHA-256 digest,
// asking the TSA to include its certificate in the token.
func timeStampQuery(sha256Digest []byte, nonce *big.Int) ([]byte, error) {
	return asn1.Marshal(timeStampReq{
		Version: 1,
		MessageImprint: messageImprint{
			// Parameters NULL, as OpenSSL sends it; TSAs accept both forms.
			HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue},
			HashedMessage: sha256Digest,
		},
		Nonce:   nonce,
		CertReq: true,
	})
}

// PKIStatus values (RFC 3161 §2.4.2). Only the first two carry a token.
const (
	statusGranted         = 0
	statusGrantedWithMods = 1
)

var statusNames = []string{"granted", "grantedWithMods", "rejection", "waiting", "revocationWarning", "revocationNotification"}

// failureNames are PKIFailureInfo's named bits.
var failureNames = map[int]string{
	0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable",
	15: "unacceptedPolicy", 16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure",
}

// statusError is a TSA's refusal, in its own words.
type statusError struct {
	status   int64
	text     []string // statusString
	failInfo []string // named bits of failInfo
}

func (e *statusError) Error() string {
	name := "unknown status"
	if e.status >= 0 && e.status < int64(len(statusNames)) {
		name = statusNames[e.status]
	}
	msg := fmt.Sprintf("request not granted: status %d (%s)", e.status, name)
	if len(e.failInfo) > 0 {
		msg += ", failure " + strings.Join(e.failInfo, ", ")
	}
	if len(e.text) > 0 {
		msg += fmt.Sprintf(": %q", strings.Join(e.text, "; "))
	}
	return msg
}

// parseTimeStampResp reads a TimeStampResp and returns its token, the DER
// of the TimeStampToken ContentInfo, if the status grants one.
func parseTimeStampResp(der []byte) ([]byte, error) {
	in := cryptobyte.String(der)
	var resp, statusInfo cryptobyte.String
	var status int64
	if !in.ReadASN1(&resp, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("not a TimeStampResp")
	}
	if !resp.ReadASN1(&statusInfo, cbasn1.SEQUENCE) || !statusInfo.ReadASN1Integer(&status) {
		return nil, errors.New("malformed PKIStatusInfo")
	}
	if status != statusGranted && status != statusGrantedWithMods {
		// The reason is best effort: a refusal is an error either way.
		e := &statusError{status: status}
		var texts cryptobyte.String
		if statusInfo.ReadOptionalASN1(&texts, nil, cbasn1.SEQUENCE) {
			for !texts.Empty() {
				var t cryptobyte.String
				if !texts.ReadASN1(&t, cbasn1.UTF8String) {
					break
				}
				e.text = append(e.text, string(t))
			}
		}
		var bits asn1.BitString
		if statusInfo.ReadASN1BitString(&bits) {
			for i := range bits.BitLength {
				if bits.At(i) == 1 {
					name, ok := failureNames[i]
					if !ok {
						name = fmt.Sprintf("bit %d", i)
					}
					e.failInfo = append(e.failInfo, name)
				}
			}
		}
		return nil, e
	}
	var token cryptobyte.String
	if !resp.ReadASN1Element(&token, cbasn1.SEQUENCE) {
		return nil, errors.New("granted, but no token")
	}
	if !resp.Empty() {
		return nil, errors.New("data after the token")
	}
	return token, nil
}
