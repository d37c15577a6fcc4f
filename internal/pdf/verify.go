package pdf

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signet-dev/signet/internal/cms"
)

// Signature describes one signature found in a PDF, as Verify reports it.
// Valid is about integrity only: whether the signed bytes are unchanged and
// the signature verifies with the certificate it carries. Whether that
// certificate is trusted is a separate question for VerifyChain.
type Signature struct {
	Field              string    // the signature field's name (/T)
	SignerName         string    // the signer certificate's common name, else /Name
	CertificateSubject string    // the signer certificate's subject (RFC 2253)
	CertificateIssuer  string    // and its issuer
	SigningTime        time.Time // the timestamp's time when Timestamped, else /M; zero if neither
	ClaimedTime        time.Time // /M, the time the signer's clock claims; zero if absent
	SubFilter          string    // e.g. ETSI.CAdES.detached, adbe.pkcs7.detached, ETSI.RFC3161
	// Valid: the digest over the /ByteRange matches the signed one and the
	// signature verifies with the embedded signer certificate.
	Valid bool
	// CoversWholeDocument: the /ByteRange runs from the start to the end
	// of the file, leaving out only this signature's /Contents.
	CoversWholeDocument bool
	// Timestamped: an RFC 3161 token on the signature value (or, for a
	// document timestamp, the token itself) is present and verifies.
	Timestamped bool
	// Problems says why Valid or Timestamped is false, or what else is off.
	Problems []string
	// Certificates holds the embedded certificates, the signer's first.
	Certificates []*x509.Certificate
	ByteRange    []int64
}

// VerifyChain checks that the signer's certificate chains to one of roots
// through the certificates embedded in the signature, at SigningTime (now
// when that is zero). It says nothing about the signature's integrity.
func (s Signature) VerifyChain(roots *x509.CertPool) error {
	if len(s.Certificates) == 0 {
		return errors.New("verify chain: no signer certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range s.Certificates[1:] {
		inter.AddCert(c)
	}
	at := s.SigningTime
	if at.IsZero() {
		at = time.Now()
	}
	_, err := s.Certificates[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("verify chain: %w", err)
	}
	return nil
}

// Limits on what Verify walks, against hostile files.
const (
	maxFormDepth  = 32
	maxSignatures = 1000
)

// Verify returns the signatures of the PDF b in file order (by where their
// signed range ends), checking each on its own: the PDF's form fields name
// the signature dictionaries; each one's /ByteRange and the CMS in the gap
// it leaves are read from the file's bytes, so a signature dictionary
// changed by a later update cannot mislead it. It needs no trust store and
// fetches nothing. A PDF without signatures gives none and no error; an
// error means b does not parse as a PDF.
func Verify(b []byte) (sigs []Signature, err error) {
	if !headerRE.Match(b) {
		return nil, ErrNotPDF
	}
	ctx, err := readRaw(b)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			sigs, err = nil, malformed(fmt.Errorf("parser failure: %v", r))
		}
	}()
	for _, f := range signatureFields(ctx) {
		s := verifySignature(ctx, b, f)
		sigs = append(sigs, s)
	}
	slices.SortStableFunc(sigs, func(x, y Signature) int { return compareInt64(rangeEnd(x), rangeEnd(y)) })
	return sigs, nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func rangeEnd(s Signature) int64 {
	if len(s.ByteRange) == 4 {
		return s.ByteRange[2] + s.ByteRange[3]
	}
	return 1 << 62
}

// sigField is a signature field with its value, the signature dictionary.
type sigField struct {
	name string
	sig  types.Dict
}

// signatureFields walks the AcroForm's field tree for signature fields
// (/FT /Sig, inheritable) that have a value.
func signatureFields(ctx *model.Context) []sigField {
	catalog, err := ctx.DereferenceDict(*ctx.Root)
	if err != nil || catalog == nil {
		return nil
	}
	form, err := ctx.DereferenceDict(catalog["AcroForm"])
	if err != nil || form == nil {
		return nil
	}
	var out []sigField
	seen := map[int]bool{}
	var walk func(kids types.Object, parentName, parentFT string, depth int)
	walk = func(kids types.Object, parentName, parentFT string, depth int) {
		arr, err := ctx.DereferenceArray(kids)
		if err != nil || depth > maxFormDepth {
			return
		}
		for _, k := range arr {
			if ref, ok := k.(types.IndirectRef); ok {
				if seen[ref.ObjectNumber.Value()] {
					continue
				}
				seen[ref.ObjectNumber.Value()] = true
			}
			d, err := ctx.DereferenceDict(k)
			if err != nil || d == nil || len(out) >= maxSignatures {
				continue
			}
			name := parentName
			if t, err := types.StringOrHexLiteral(d["T"]); err == nil {
				name = strings.TrimPrefix(parentName+"."+*t, ".")
			}
			ft := parentFT
			if n := d.NameEntry("FT"); n != nil {
				ft = *n
			}
			if ft == "Sig" {
				if sig, err := ctx.DereferenceDict(d["V"]); err == nil && sig != nil {
					out = append(out, sigField{name: name, sig: sig})
				}
			}
			if d["Kids"] != nil {
				walk(d["Kids"], name, ft, depth+1)
			}
		}
	}
	walk(form["Fields"], "", "", 0)
	return out
}

// verifySignature checks one signature dictionary against the file b.
func verifySignature(ctx *model.Context, b []byte, f sigField) Signature {
	s := Signature{Field: f.name}
	problem := func(format string, args ...any) { s.Problems = append(s.Problems, fmt.Sprintf(format, args...)) }
	if n := f.sig.NameEntry("SubFilter"); n != nil {
		s.SubFilter = *n
	}
	if m, err := types.StringOrHexLiteral(f.sig["M"]); err == nil {
		if t, ok := types.DateTime(*m, true); ok {
			s.ClaimedTime, s.SigningTime = t.UTC(), t.UTC()
		}
	}
	name := ""
	if n, err := types.StringOrHexLiteral(f.sig["Name"]); err == nil {
		name = *n
	}
	s.SignerName = name

	br, err := byteRange(ctx, f.sig, int64(len(b)))
	if err != nil {
		problem("%v", err)
		return s
	}
	s.ByteRange = br
	s.CoversWholeDocument = br[2]+br[3] == int64(len(b))
	der, err := gapContents(b[br[1]:br[2]])
	if err != nil {
		problem("%v", err)
		return s
	}
	signed := make([]byte, 0, br[1]+br[3])
	signed = append(append(signed, b[:br[1]]...), b[br[2]:br[2]+br[3]]...)

	switch s.SubFilter {
	case "ETSI.RFC3161":
		verifyDocTimestamp(&s, der, signed)
	case "adbe.pkcs7.detached", "ETSI.CAdES.detached", "adbe.pkcs7.sha1":
		verifyCMSSignature(&s, der, signed)
	default:
		problem("unsupported /SubFilter %q", s.SubFilter)
	}
	return s
}

// byteRange reads and checks /ByteRange: two ranges, the first from the
// start of the file, a gap between them, both inside a file of size n.
func byteRange(ctx *model.Context, sig types.Dict, n int64) ([]int64, error) {
	arr, err := ctx.DereferenceArray(sig["ByteRange"])
	if err != nil || len(arr) != 4 {
		return nil, errors.New("/ByteRange is not an array of four numbers")
	}
	br := make([]int64, 4)
	for i, o := range arr {
		v, ok := o.(types.Integer)
		if !ok || v < 0 {
			return nil, errors.New("/ByteRange is not an array of four numbers")
		}
		br[i] = int64(v)
	}
	if br[0] != 0 || br[1] >= br[2] || br[2] > n || br[3] > n-br[2] {
		return nil, fmt.Errorf("/ByteRange %v does not fit a file of %d bytes", br, n)
	}
	return br, nil
}

// gapContents decodes the bytes /ByteRange leaves out: exactly the
// /Contents hex string. Anything else there would be unsigned content.
func gapContents(gap []byte) ([]byte, error) {
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' {
		return nil, errors.New("/ByteRange gap is not the /Contents hex string")
	}
	h := gap[1 : len(gap)-1]
	if bytes.ContainsAny(h, " \t\r\n\f") {
		h = bytes.Map(func(r rune) rune {
			if strings.ContainsRune(" \t\r\n\f", r) {
				return -1
			}
			return r
		}, h)
	}
	if len(h)%2 == 1 {
		h = append(h, '0')
	}
	der := make([]byte, hex.DecodedLen(len(h)))
	if _, err := hex.Decode(der, h); err != nil {
		return nil, fmt.Errorf("/Contents: %w", err)
	}
	return der, nil
}

// verifyCMSSignature checks a CMS signature (adbe.pkcs7.detached,
// ETSI.CAdES.detached, or adbe.pkcs7.sha1 whose content is the SHA-1 of
// the signed bytes) and its signature timestamp.
func verifyCMSSignature(s *Signature, der, signed []byte) {
	sd, err := cms.Parse(der)
	if err != nil {
		s.Problems = append(s.Problems, err.Error())
		return
	}
	describeSigner(s, sd)
	content := signed
	if s.SubFilter == "adbe.pkcs7.sha1" {
		sum := sha1.Sum(signed)
		if !bytes.Equal(sd.Content, sum[:]) {
			s.Problems = append(s.Problems, "signed SHA-1 digest does not match the document")
			return
		}
		content = nil // encapsulated
	}
	if err := sd.Verify(content); err != nil {
		s.Problems = append(s.Problems, err.Error())
	} else {
		s.Valid = true
	}
	if sd.TimestampToken == nil {
		return
	}
	ts, err := verifyTimestamp(sd.TimestampToken, sd.Signature)
	if err != nil {
		s.Problems = append(s.Problems, "signature timestamp: "+err.Error())
		return
	}
	s.Timestamped = true
	s.SigningTime = ts.GenTime
}

// verifyDocTimestamp checks a document timestamp (ETSI.RFC3161): the
// /Contents is a TimeStampToken over the signed bytes.
func verifyDocTimestamp(s *Signature, der, signed []byte) {
	ts, err := verifyTimestamp(der, signed)
	if ts != nil {
		describeSigner(s, ts.SignedData)
	}
	if err != nil {
		s.Problems = append(s.Problems, "document timestamp: "+err.Error())
		return
	}
	s.Valid, s.Timestamped, s.SigningTime = true, true, ts.GenTime
}

// verifyTimestamp checks an RFC 3161 token and that it timestamps data.
// Like cms.ParseTimestamp it may return a token with an error.
func verifyTimestamp(der, data []byte) (*cms.Timestamp, error) {
	ts, err := cms.ParseTimestamp(der)
	if err == nil {
		err = ts.Covers(data)
	}
	return ts, err
}

// describeSigner fills in who signed from the signer certificate.
func describeSigner(s *Signature, sd *cms.SignedData) {
	if sd.Signer == nil {
		s.Certificates = sd.Certificates
		return
	}
	s.Certificates = append([]*x509.Certificate{sd.Signer}, slices.DeleteFunc(slices.Clone(sd.Certificates), sd.Signer.Equal)...)
	s.CertificateSubject = sd.Signer.Subject.String()
	s.CertificateIssuer = sd.Signer.Issuer.String()
	if cn := sd.Signer.Subject.CommonName; cn != "" {
		s.SignerName = cn
	}
}
