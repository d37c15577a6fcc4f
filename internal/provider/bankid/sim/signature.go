package sim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"time"
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

// signatureKey stands in for BankID's signing key and the signer's
// certificate in the signature XML.
type signatureKey struct {
	key  *ecdsa.PrivateKey
	cert []byte // DER
}

func newSignatureKey() (*signatureKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	_, der, err := issue(&x509.Certificate{
		Subject:   pkix.Name{CommonName: "Simulated BankID user certificate", Organization: []string{"Signet sandbox"}},
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(certLife),
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, key.Public(), nil, key)
	if err != nil {
		return nil, fmt.Errorf("bankid sim: signature key: %w", err)
	}
	return &signatureKey{key: key, cert: der}, nil
}

// complete finishes o as signed by its person on a device at deviceIP.
// s.mu must be held.
func (s *Server) complete(o *order, deviceIP string, now time.Time) {
	pnr := o.pnr
	if pnr == "" {
		pnr = "199001011239" // an order open to anyone: the sandbox's test person
	}
	u := s.user(pnr)
	h := sha256.Sum256([]byte(pnr + "/device"))
	issued := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(binary.BigEndian.Uint16(h[2:4]))%1500)
	o.completion = &completionData{
		User: completionUser{
			PersonalNumber: pnr,
			Name:           u.GivenName + " " + u.Surname,
			GivenName:      u.GivenName,
			Surname:        u.Surname,
		},
		Device:          completionDevice{IPAddress: deviceIP, UHI: base64.StdEncoding.EncodeToString(h[4:22])},
		BankIDIssueDate: issued.Format("2006-01-02"),
		Signature:       base64.StdEncoding.EncodeToString(s.signatureXML(o, h[4:22], now)),
		OCSPResponse:    base64.StdEncoding.EncodeToString(randomBytes(1400)),
	}
	o.finish(statusComplete, "", now)
}

// signatureXML is a BankID-shaped XML signature (XMLDSig enveloping
// bankIdSignedData, which holds the texts the signer approved). It is
// signed with the simulator's own key: plausible, not verifiable against
// BankID.
func (s *Server) signatureXML(o *order, uhi []byte, now time.Time) []byte {
	var data bytes.Buffer
	data.WriteString(`<bankIdSignedData xmlns="http://www.bankid.com/signature/v1.0.0/types" Id="bidSignedData">`)
	fmt.Fprintf(&data, `<usrVisibleData charset="UTF-8" visible="wysiwys">%s</usrVisibleData>`, esc(o.visibleData))
	if o.nonVisibleData != "" {
		fmt.Fprintf(&data, `<usrNonVisibleData>%s</usrNonVisibleData>`, esc(o.nonVisibleData))
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	fmt.Fprintf(&data, `<srvInfo><name>%s</name><nonce>%s</nonce><displayName>%s</displayName></srvInfo>`,
		b64("cn="+DefaultRPCommonName+",o=Signet sandbox"), base64.StdEncoding.EncodeToString(randomBytes(20)), b64("Signet"))
	fmt.Fprintf(&data, `<clientInfo><funcId>Signing</funcId><version>%s</version><env><ai><type>%s</type><deviceInfo>%s</deviceInfo>`+
		`<uhi>%s</uhi><fsib>0</fsib><utb>cs1</utb><requirement><condition><type>CertificatePolicies</type><value>1.2.3.4.25</value></condition></requirement>`+
		`<uauth>pw</uauth><tls><sessionid>%x</sessionid></tls></ai></env></clientInfo>`,
		b64("Personal=10.3.0.0&BankID_exe=10.3.0.0"), b64("SIMULATOR"), b64(now.UTC().Format(time.RFC3339)),
		base64.StdEncoding.EncodeToString(uhi), randomBytes(16))
	data.WriteString(`</bankIdSignedData>`)
	digest := sha256.Sum256(data.Bytes())

	signedInfo := fmt.Sprintf(`<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#">`+
		`<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"></CanonicalizationMethod>`+
		`<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"></SignatureMethod>`+
		`<Reference Type="http://www.bankid.com/signature/v1.0.0/types" URI="#bidSignedData"><Transforms>`+
		`<Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"></Transform></Transforms>`+
		`<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></DigestMethod><DigestValue>%s</DigestValue></Reference>`+
		`</SignedInfo>`, base64.StdEncoding.EncodeToString(digest[:]))
	sum := sha256.Sum256([]byte(signedInfo))
	r, sv, err := ecdsa.Sign(rand.Reader, s.signer.key, sum[:])
	var sig []byte
	if err == nil {
		sig = append(r.FillBytes(make([]byte, 32)), sv.FillBytes(make([]byte, 32))...)
	}

	var out bytes.Buffer
	out.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>`)
	out.WriteString(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`)
	out.WriteString(signedInfo)
	fmt.Fprintf(&out, `<SignatureValue>%s</SignatureValue>`, base64.StdEncoding.EncodeToString(sig))
	fmt.Fprintf(&out, `<KeyInfo Id="bidKeyInfo"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo>`,
		base64.StdEncoding.EncodeToString(s.signer.cert))
	out.WriteString(`<Object>`)
	out.Write(data.Bytes())
	out.WriteString(`</Object></Signature>`)
	return out.Bytes()
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
