package sim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// User is who a simulated BankID belongs to.
type User struct {
	GivenName, Surname string
}

// SetUser makes the simulated BankID of personal number pnr belong to u
// (otherwise a name is made up from the number).
func (s *Server) SetUser(pnr string, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[pnr] = u
}

var (
	givenNames = []string{"Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sofia", "Anders", "Elin", "Björn"}
	surnames   = []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson"}
)

// user is the owner of pnr's BankID; s.mu must be held.
func (s *Server) user(pnr string) User {
	if u, ok := s.users[pnr]; ok {
		return u
	}
	h := sha256.Sum256([]byte(pnr))
	return User{GivenName: givenNames[int(h[0])%len(givenNames)], Surname: surnames[int(h[1])%len(surnames)]}
}

// issuer is the simulated BankID issuing CA: it issues each simulated
// user's certificate and signs the OCSP responses about them. (BankID's
// real chain has a root and a bank's CA between; one CA is enough to
// verify against.)
type issuer struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newIssuer() (*issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	cert, _, err := issue(&x509.Certificate{
		Subject:               pkix.Name{CommonName: "Signet sandbox BankID Customer CA", Organization: []string{"Signet sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLife),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, key.Public(), nil, key)
	if err != nil {
		return nil, fmt.Errorf("bankid sim: issuing CA: %w", err)
	}
	return &issuer{key: key, cert: cert}, nil
}

// identity is one simulated user's BankID: their key and certificate.
type identity struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

// UserCA is the certificate of the simulated CA that issues the users'
// certificates and signs the OCSP responses: what a verifier of the
// simulator's signatures trusts.
func (s *Server) UserCA() *x509.Certificate { return s.ca.cert }

// identity returns pnr's BankID, issuing it on first use; s.mu must be
// held. The certificate names the person as BankID's do: their name as
// the common name, given name and surname, and the personal number as
// the serial number.
func (s *Server) identity(pnr string) (*identity, error) {
	if id, ok := s.identities[pnr]; ok {
		return id, nil
	}
	u := s.user(pnr)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	cert, _, err := issue(&x509.Certificate{
		Subject: pkix.Name{CommonName: u.GivenName + " " + u.Surname, SerialNumber: pnr, Country: []string{"SE"},
			ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: oidGivenName, Value: u.GivenName},
				{Type: oidSurname, Value: u.Surname},
			}},
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(certLife),
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, key.Public(), s.ca.cert, s.ca.key)
	if err != nil {
		return nil, fmt.Errorf("bankid sim: user certificate: %w", err)
	}
	id := &identity{key: key, cert: cert}
	s.identities[pnr] = id
	return id, nil
}

// The X.520 name attributes BankID's certificates carry besides the
// common name.
var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
	// oidOCSPNonce is the OCSP nonce extension (RFC 8954).
	oidOCSPNonce = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
)

// complete finishes o as signed by its person on a device at deviceIP.
// s.mu must be held. Only a failure of the machine's random source can
// keep it from signing; the order then fails as BankID's would on an
// internal error (failed/certificateErr would blame the signer).
func (s *Server) complete(o *order, deviceIP string, now time.Time) {
	pnr := o.pnr
	if pnr == "" {
		pnr = "199001011239" // an order open to anyone: the sandbox's test person
	}
	u := s.user(pnr)
	h := sha256.Sum256([]byte(pnr + "/device"))
	issued := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(binary.BigEndian.Uint16(h[2:4]))%1500)
	id, err := s.identity(pnr)
	var sig, ocspDER []byte
	if err == nil {
		sig, err = s.signatureXML(o, id, h[4:22], now)
	}
	if err == nil {
		ocspDER, err = s.ocspResponse(id, base64.StdEncoding.EncodeToString(sig), now)
	}
	if err != nil {
		o.finish(statusFailed, "internalError", now)
		return
	}
	o.completion = &completionData{
		User: completionUser{
			PersonalNumber: pnr,
			Name:           u.GivenName + " " + u.Surname,
			GivenName:      u.GivenName,
			Surname:        u.Surname,
		},
		Device:          completionDevice{IPAddress: deviceIP, UHI: base64.StdEncoding.EncodeToString(h[4:22])},
		BankIDIssueDate: issued.Format("2006-01-02"),
		Signature:       base64.StdEncoding.EncodeToString(sig),
		OCSPResponse:    base64.StdEncoding.EncodeToString(ocspDER),
	}
	o.finish(statusComplete, "", now)
}

// ocspResponse is the issuing CA's OCSP response saying id's certificate
// is good, as BankID hands one out with every signature. Its nonce binds
// it to the signature as BankID's does: the SHA-1 of the base64
// signature, then 12 random bytes.
func (s *Server) ocspResponse(id *identity, signatureB64 string, now time.Time) ([]byte, error) {
	sum := sha1.Sum([]byte(signatureB64))
	nonce, err := asn1.Marshal(append(sum[:], randomBytes(12)...))
	if err != nil {
		return nil, err
	}
	produced := now.UTC().Truncate(time.Second)
	return ocsp.CreateResponse(s.ca.cert, s.ca.cert, ocsp.Response{
		Status:          ocsp.Good,
		SerialNumber:    id.cert.SerialNumber,
		ProducedAt:      produced,
		ThisUpdate:      produced,
		NextUpdate:      produced.Add(24 * time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: oidOCSPNonce, Value: nonce}},
	}, s.ca.key)
}

// The XMLDSig algorithms of the signature XML.
const (
	dsigNS        = "http://www.w3.org/2000/09/xmldsig#"
	bankIDTypesNS = "http://www.bankid.com/signature/v1.0.0/types"
	algC14N       = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	algECDSA256   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	algSHA256     = "http://www.w3.org/2001/04/xmlenc#sha256"
)

// signatureXML is a BankID-shaped XML signature: XMLDSig enveloping
// bankIdSignedData (the texts the signer approved, the relying party,
// the device) and KeyInfo (the signer's certificate and its issuer), both
// referenced from SignedInfo, which is signed with the signer's own key.
// Every signed part is written in its canonical form (inclusive C14N
// 1.0: namespaces declared where a subtree starts, attributes in order,
// no empty-element tags), so that digests computed over the bytes as
// written are the canonical digests and any XMLDSig verifier agrees.
func (s *Server) signatureXML(o *order, id *identity, uhi []byte, now time.Time) ([]byte, error) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	var data bytes.Buffer
	fmt.Fprintf(&data, `<bankIdSignedData xmlns="%s" Id="bidSignedData">`, bankIDTypesNS)
	fmt.Fprintf(&data, `<usrVisibleData charset="UTF-8" visible="wysiwys">%s</usrVisibleData>`, esc(o.visibleData))
	if o.nonVisibleData != "" {
		fmt.Fprintf(&data, `<usrNonVisibleData>%s</usrNonVisibleData>`, esc(o.nonVisibleData))
	}
	fmt.Fprintf(&data, `<srvInfo><name>%s</name><nonce>%s</nonce><displayName>%s</displayName></srvInfo>`,
		b64("cn="+DefaultRPCommonName+",o=Signet sandbox"), base64.StdEncoding.EncodeToString(randomBytes(20)), b64("Signet"))
	fmt.Fprintf(&data, `<clientInfo><funcId>Signing</funcId><version>%s</version><env><ai><type>%s</type><deviceInfo>%s</deviceInfo>`+
		`<uhi>%s</uhi><fsib>0</fsib><utb>cs1</utb><requirement><condition><type>CertificatePolicies</type><value>1.2.3.4.25</value></condition></requirement>`+
		`<uauth>pw</uauth><tls><sessionid>%x</sessionid></tls></ai></env></clientInfo>`,
		b64("Personal=10.3.0.0&BankID_exe=10.3.0.0"), b64("SIMULATOR"), b64(now.UTC().Format(time.RFC3339)),
		base64.StdEncoding.EncodeToString(uhi), randomBytes(16))
	data.WriteString(`</bankIdSignedData>`)

	// KeyInfo as written inside Signature, and canonical (its namespace
	// from Signature declared on it) for its digest.
	certs := fmt.Sprintf(`<X509Data><X509Certificate>%s</X509Certificate><X509Certificate>%s</X509Certificate></X509Data>`,
		base64.StdEncoding.EncodeToString(id.cert.Raw), base64.StdEncoding.EncodeToString(s.ca.cert.Raw))
	keyInfo := `<KeyInfo Id="bidKeyInfo">` + certs + `</KeyInfo>`
	keyInfoC14N := `<KeyInfo xmlns="` + dsigNS + `" Id="bidKeyInfo">` + certs + `</KeyInfo>`

	digest := func(b []byte) string { sum := sha256.Sum256(b); return base64.StdEncoding.EncodeToString(sum[:]) }
	reference := func(typ, uri, value string) string {
		t := ""
		if typ != "" {
			t = ` Type="` + typ + `"`
		}
		return `<Reference` + t + ` URI="` + uri + `"><Transforms><Transform Algorithm="` + algC14N + `"></Transform></Transforms>` +
			`<DigestMethod Algorithm="` + algSHA256 + `"></DigestMethod><DigestValue>` + value + `</DigestValue></Reference>`
	}
	signedInfo := `<SignedInfo xmlns="` + dsigNS + `">` +
		`<CanonicalizationMethod Algorithm="` + algC14N + `"></CanonicalizationMethod>` +
		`<SignatureMethod Algorithm="` + algECDSA256 + `"></SignatureMethod>` +
		reference(bankIDTypesNS, "#bidSignedData", digest(data.Bytes())) +
		reference("", "#bidKeyInfo", digest([]byte(keyInfoC14N))) +
		`</SignedInfo>`
	sum := sha256.Sum256([]byte(signedInfo))
	r, sv, err := ecdsa.Sign(rand.Reader, id.key, sum[:])
	if err != nil {
		return nil, fmt.Errorf("bankid sim: signing: %w", err)
	}
	sig := append(r.FillBytes(make([]byte, 32)), sv.FillBytes(make([]byte, 32))...) // XMLDSig's ECDSA value: r || s

	var out bytes.Buffer
	out.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>`)
	out.WriteString(`<Signature xmlns="` + dsigNS + `">`)
	out.WriteString(signedInfo)
	fmt.Fprintf(&out, `<SignatureValue>%s</SignatureValue>`, base64.StdEncoding.EncodeToString(sig))
	out.WriteString(keyInfo)
	out.WriteString(`<Object>`)
	out.Write(data.Bytes())
	out.WriteString(`</Object></Signature>`)
	return out.Bytes(), nil
}

// esc escapes text as canonical XML writes it (C14N 1.0: &, <, > and
// carriage returns; quotes and line feeds stay as they are).
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;").Replace(s)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
