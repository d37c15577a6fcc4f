package sim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"
)

// The simulator's signature XML is checked here as an XMLDSig verifier
// checks one, independently of how the simulator wrote it: each
// Reference's element is found by its Id and put in canonical form
// (inclusive C14N 1.0, which the signature names), its SHA-256 compared
// with the DigestValue; SignedInfo, canonical too, must verify under the
// certificate in KeyInfo, which must be issued by the simulated CA.

// signatureDoc is what the verifier reads of a signature XML.
type signatureDoc struct {
	SignedInfo struct {
		C14N       algorithm `xml:"CanonicalizationMethod"`
		Method     algorithm `xml:"SignatureMethod"`
		References []struct {
			URI        string      `xml:"URI,attr"`
			Transforms []algorithm `xml:"Transforms>Transform"`
			Digest     algorithm   `xml:"DigestMethod"`
			Value      string      `xml:"DigestValue"`
		} `xml:"Reference"`
	}
	SignatureValue string   `xml:"SignatureValue"`
	Certificates   []string `xml:"KeyInfo>X509Data>X509Certificate"`
	VisibleData    string   `xml:"Object>bankIdSignedData>usrVisibleData"`
}

type algorithm struct {
	Algorithm string `xml:"Algorithm,attr"`
}

// verifyXMLDSig verifies doc and returns the signer's certificate and
// the text the signer saw (usrVisibleData, decoded).
func verifyXMLDSig(doc []byte, ca *x509.Certificate) (*x509.Certificate, string, error) {
	var sig signatureDoc
	if err := xml.Unmarshal(doc, &sig); err != nil {
		return nil, "", err
	}
	si := sig.SignedInfo
	if si.C14N.Algorithm != algC14N || si.Method.Algorithm != algECDSA256 {
		return nil, "", fmt.Errorf("algorithms %q, %q", si.C14N.Algorithm, si.Method.Algorithm)
	}
	var uris []string
	for _, ref := range si.References {
		if ref.Digest.Algorithm != algSHA256 || len(ref.Transforms) != 1 || ref.Transforms[0].Algorithm != algC14N || !strings.HasPrefix(ref.URI, "#") {
			return nil, "", fmt.Errorf("reference %s: unexpected algorithms", ref.URI)
		}
		id := ref.URI[1:]
		c, err := canonical(doc, func(e xml.StartElement) bool { return attr(e, "Id") == id })
		if err != nil {
			return nil, "", fmt.Errorf("reference %s: %w", ref.URI, err)
		}
		sum := sha256.Sum256(c)
		if base64.StdEncoding.EncodeToString(sum[:]) != ref.Value {
			return nil, "", fmt.Errorf("reference %s: digest mismatch", ref.URI)
		}
		uris = append(uris, ref.URI)
	}
	if !slices.Equal(uris, []string{"#bidSignedData", "#bidKeyInfo"}) {
		return nil, "", fmt.Errorf("references %v: want the signed data and the key info", uris)
	}
	if len(sig.Certificates) == 0 {
		return nil, "", errors.New("no certificate")
	}
	der, err := base64.StdEncoding.DecodeString(sig.Certificates[0])
	if err != nil {
		return nil, "", err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", err
	}
	if err := cert.CheckSignatureFrom(ca); err != nil {
		return nil, "", fmt.Errorf("the signer's certificate is not the CA's: %w", err)
	}
	signedInfo, err := canonical(doc, func(e xml.StartElement) bool { return e.Name.Local == "SignedInfo" })
	if err != nil {
		return nil, "", err
	}
	value, err := base64.StdEncoding.DecodeString(sig.SignatureValue)
	if err != nil || len(value) != 64 {
		return nil, "", fmt.Errorf("SignatureValue is not an r||s pair: %v", err)
	}
	key, ok := cert.PublicKey.(*ecdsa.PublicKey)
	sum := sha256.Sum256(signedInfo)
	if !ok || !ecdsa.Verify(key, sum[:], new(big.Int).SetBytes(value[:32]), new(big.Int).SetBytes(value[32:])) {
		return nil, "", errors.New("SignatureValue does not verify under the certificate")
	}
	text, err := base64.StdEncoding.DecodeString(sig.VisibleData)
	return cert, string(text), err
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// canonical is the inclusive C14N 1.0 form (without comments) of the
// first element of doc that match accepts, for documents with default
// namespaces only (as BankID's): the namespace in scope declared where
// it changes (on the subtree's top element if it has one), attributes
// sorted, no empty-element tags, text and attribute values escaped as
// C14N escapes them.
func canonical(doc []byte, match func(xml.StartElement) bool) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var (
		scope    = []string{""} // the default namespace in scope, per open element
		rendered []string       // the default namespace rendered, per open element of the subset
		out      bytes.Buffer
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil, errors.New("no such element")
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != "" {
				return nil, fmt.Errorf("prefixed element %s:%s", t.Name.Space, t.Name.Local)
			}
			ns := scope[len(scope)-1]
			var attrs []xml.Attr
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					ns = a.Value
				case a.Name.Space != "":
					return nil, fmt.Errorf("prefixed attribute %s:%s", a.Name.Space, a.Name.Local)
				default:
					attrs = append(attrs, a)
				}
			}
			scope = append(scope, ns)
			if rendered == nil && !match(t) {
				continue
			}
			parent := ""
			if len(rendered) > 0 {
				parent = rendered[len(rendered)-1]
			}
			rendered = append(rendered, ns)
			out.WriteString("<" + t.Name.Local)
			if ns != parent {
				out.WriteString(` xmlns="` + c14nAttr(ns) + `"`)
			}
			slices.SortFunc(attrs, func(a, b xml.Attr) int { return strings.Compare(a.Name.Local, b.Name.Local) })
			for _, a := range attrs {
				out.WriteString(" " + a.Name.Local + `="` + c14nAttr(a.Value) + `"`)
			}
			out.WriteString(">")
		case xml.EndElement:
			scope = scope[:len(scope)-1]
			if len(rendered) == 0 {
				continue
			}
			out.WriteString("</" + t.Name.Local + ">")
			if rendered = rendered[:len(rendered)-1]; len(rendered) == 0 {
				return out.Bytes(), nil
			}
		case xml.CharData:
			if len(rendered) > 0 {
				out.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;").Replace(string(t)))
			}
		}
	}
}

func c14nAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;").Replace(s)
}

// checkSignatureXML verifies a collect answer's signature (base64) and
// that the signer saw text; it returns the signer's certificate.
func checkSignatureXML(t *testing.T, ca *x509.Certificate, b64, text string) *x509.Certificate {
	t.Helper()
	doc, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	cert, seen, err := verifyXMLDSig(doc, ca)
	if err != nil {
		t.Fatalf("the signature XML does not verify: %v\n%s", err, doc)
	}
	if seen != text {
		t.Errorf("usrVisibleData %q, want %q", seen, text)
	}
	return cert
}

// checkOCSP checks a collect answer's OCSP response (base64): a real
// response, signed by the CA, saying the signer's certificate is good,
// its nonce the SHA-1 of the base64 signature and 12 bytes more.
func checkOCSP(t *testing.T, ca, cert *x509.Certificate, b64, signatureB64 string) {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocsp.ParseResponseForCert(der, cert, ca)
	if err != nil {
		t.Fatalf("OCSP response: %v", err)
	}
	if resp.Status != ocsp.Good || resp.SerialNumber.Cmp(cert.SerialNumber) != 0 || resp.NextUpdate.Before(resp.ThisUpdate) {
		t.Errorf("OCSP response: status %d for serial %v", resp.Status, resp.SerialNumber)
	}
	var nonce []byte
	for _, ext := range resp.Extensions {
		if ext.Id.Equal(oidOCSPNonce) {
			if _, err := asn1.Unmarshal(ext.Value, &nonce); err != nil {
				t.Fatal(err)
			}
		}
	}
	sum := sha1.Sum([]byte(signatureB64))
	if len(nonce) != 32 || !bytes.Equal(nonce[:20], sum[:]) {
		t.Errorf("OCSP nonce %x does not bind the signature", nonce)
	}
}

// TestSignatureXMLTamperingDetected checks the verifier: a changed text,
// another certificate or a changed SignedInfo each fail it.
func TestSignatureXMLTamperingDetected(t *testing.T) {
	e := newEnv(t)
	ref := e.sign(signBodyFor(testPNR))
	if err := e.sim.Sign(ref, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	cd := e.collect(ref)["completionData"].(map[string]any)
	doc, _ := base64.StdEncoding.DecodeString(cd["signature"].(string))
	if _, _, err := verifyXMLDSig(doc, e.sim.UserCA()); err != nil {
		t.Fatalf("the genuine signature: %v", err)
	}
	other := e.sign(signBodyFor("201212121212"))
	if err := e.sim.Sign(other, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	otherDoc, _ := base64.StdEncoding.DecodeString(e.collect(other)["completionData"].(map[string]any)["signature"].(string))
	var otherSig signatureDoc
	if err := xml.Unmarshal(otherDoc, &otherSig); err != nil {
		t.Fatal(err)
	}
	var sig signatureDoc
	_ = xml.Unmarshal(doc, &sig)
	visible := sig.VisibleData
	forged := base64.StdEncoding.EncodeToString([]byte("# Sign\nanother.pdf"))
	for name, tamper := range map[string]func(string) string{
		"text":        func(s string) string { return strings.Replace(s, visible, forged, 1) },
		"certificate": func(s string) string { return strings.Replace(s, sig.Certificates[0], otherSig.Certificates[0], 1) },
		"algorithm":   func(s string) string { return strings.Replace(s, "xmlenc#sha256", "xmlenc#sha512", 1) },
		"value":       func(s string) string { return strings.Replace(s, sig.SignatureValue, otherSig.SignatureValue, 1) },
	} {
		if _, _, err := verifyXMLDSig([]byte(tamper(string(doc))), e.sim.UserCA()); err == nil {
			t.Errorf("tampered %s: verified", name)
		}
	}
}
