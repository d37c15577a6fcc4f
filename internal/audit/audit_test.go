package audit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/evidence"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/signing"
)

var (
	created = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	signed1 = created.Add(10 * time.Minute)
	ended   = created.Add(25 * time.Minute)
)

// twoSigners is a completed two-signer session: Ann identified by the
// provider's evidence, Ben by his own recorded evidence (local's way).
func twoSigners() *signing.Session {
	benEvidence, _ := json.Marshal(SignerEvidence{Method: "E-mail one-time code", Name: "Ben Roy", IP: "192.0.2.7",
		Details: []evidence.Detail{{Label: "Code sent to", Value: "ben@example.com"}}, TypedSignature: "Ben", SignatureImage: []byte{1}})
	return &signing.Session{
		ID: "0193f000-0000-7000-8000-000000000001", OrderID: "loan-7", Status: signing.StatusCompleted, Provider: "signzy",
		SigningOrder: signing.Sequential, CreatedAt: created, UpdatedAt: ended, CompletedAt: &ended, ExpiresAt: created.Add(72 * time.Hour),
		Signers: []signing.Signer{
			{ID: "s-ann", Details: json.RawMessage(`{"name":" Ann Iyer ","email":"ann@example.com"}`), Status: signing.SignerSigned, SignedAt: &signed1},
			{ID: "s-ben", Details: json.RawMessage(`{"name":"B. Roy","email":"ben@example.com"}`), Status: signing.SignerSigned, SignedAt: &ended, Evidence: benEvidence},
		},
	}
}

func TestBuild(t *testing.T) {
	s := twoSigners()
	in := Input{
		Session: s, Provider: signing.ProviderInfo{Name: "signzy", DisplayName: "Signzy"},
		Original: signing.Document{Filename: "loan.pdf", SHA256: strings.Repeat("a", 64)}, Pages: 3, SignedSHA256: strings.Repeat("b", 64),
		Events: []signing.AuditEntry{
			{Type: "signing.created", CreatedAt: created},
			{Type: "signing.signer_signed", SignerID: "s-ann", CreatedAt: signed1, Detail: "first"},
			{Type: "signing.signer_signed", SignerID: "s-ben", CreatedAt: ended},
		},
		Evidence: signing.ProviderEvidence{
			Signers: []signing.SignerIdentity{{Method: "Aadhaar eSign (OTP)", Facts: []signing.Fact{{Label: "Aadhaar", Value: "XXXX XXXX 1234"}}}},
			Files:   []signing.EvidenceFile{{Name: "Audit trail", FileName: "audit.pdf", ContentType: "application/pdf", Content: []byte("%PDF")}, {Name: "OCSP", Missing: "expired at the provider"}},
		},
		Issuer: "Signet at https://sign.example.com", Now: ended.Add(time.Hour),
	}
	c := Build(in)
	if c.Session.ID != s.ID || c.Session.OrderID != "loan-7" || c.Session.ProviderName != "Signzy" || c.Session.Status != "COMPLETED" ||
		!c.Session.EndedAt.Equal(ended) || c.Session.SigningOrder != "sequential" {
		t.Errorf("session %+v", c.Session)
	}
	if c.Document.Name != "loan.pdf" || c.Document.Pages != 3 || c.Document.SHA256 != in.Original.SHA256 || c.Document.SignedSHA256 != in.SignedSHA256 {
		t.Errorf("document %+v", c.Document)
	}
	if len(c.Signers) != 2 {
		t.Fatalf("signers %+v", c.Signers)
	}
	ann, ben := c.Signers[0], c.Signers[1]
	if ann.Name != "Ann Iyer" || ann.Email != "ann@example.com" || ann.Identification != "Aadhaar eSign (OTP)" || !ann.SignedAt.Equal(signed1) ||
		len(ann.IdentityDetails) != 1 || ann.IdentityDetails[0].Value != "XXXX XXXX 1234" {
		t.Errorf("Ann: %+v", ann)
	}
	// Ben's recorded evidence wins over his details; the provider has no
	// identity for him, so his own method stands.
	if ben.Name != "Ben Roy" || ben.Identification != "E-mail one-time code" || ben.IP != "192.0.2.7" || len(ben.IdentityDetails) != 3 ||
		ben.IdentityDetails[1].Value != "Ben" || ben.IdentityDetails[2].Label != "Drawn signature" {
		t.Errorf("Ben: %+v", ben)
	}
	if len(c.Events) != 3 || c.Events[1].Signer != "Ann Iyer" || c.Events[2].Signer != "Ben Roy" || c.Events[0].Signer != "" {
		t.Errorf("events %+v", c.Events)
	}
	if len(c.Evidence) != 2 || string(c.Evidence[0].Attached) != "%PDF" || c.Evidence[1].Note != "Not available: expired at the provider" {
		t.Errorf("evidence %+v", c.Evidence)
	}
	if c.Issuer != in.Issuer || !c.GeneratedAt.Equal(in.Now) {
		t.Errorf("issuer %q at %v", c.Issuer, c.GeneratedAt)
	}
}

// TestBuildFallbacks: one signer, open, nothing from the provider: the
// method says where it comes from, and a failed evidence fetch is named.
func TestBuildFallbacks(t *testing.T) {
	s := &signing.Session{ID: "x", OrderID: "o", Status: signing.StatusFailed, Provider: "leegality", UpdatedAt: ended, FailureReason: "declined",
		Signers: []signing.Signer{{ID: "a", Details: json.RawMessage(`{"name":"Ann"}`), Status: signing.SignerFailed, FailureReason: "declined"}}}
	c := Build(Input{Session: s, Provider: signing.ProviderInfo{Name: "leegality", DisplayName: "Leegality"},
		EvidenceErr: &signing.ProviderError{Message: "Leegality answered 503"}})
	if c.Session.SigningOrder != "" || !c.Session.EndedAt.Equal(ended) || c.Session.FailureReason != "declined" {
		t.Errorf("session %+v", c.Session)
	}
	if got := c.Signers[0]; got.Identification != "As reported by Leegality" || got.Status != "FAILED" || got.FailureReason != "declined" {
		t.Errorf("signer %+v", got)
	}
	if len(c.Evidence) != 1 || !strings.Contains(c.Evidence[0].Note, "Leegality answered 503") || !strings.Contains(c.Evidence[0].Name, "Leegality") {
		t.Errorf("evidence %+v", c.Evidence)
	}
	c = Build(Input{Session: s, Provider: signing.ProviderInfo{Name: "leegality", Identification: "Aadhaar eSign"}, EvidenceErr: errors.New("boom")})
	if c.Signers[0].Identification != "Aadhaar eSign" || !strings.Contains(c.Evidence[0].Note, "Ask for the certificate again later") {
		t.Errorf("with the provider's identification: %+v, %+v", c.Signers[0], c.Evidence)
	}
}

func TestReadEvidence(t *testing.T) {
	for _, raw := range []string{"", "null", "[1]", `{"method":5}`, "{"} {
		_ = ReadEvidence(json.RawMessage(raw)) // never panics; unreadable reads as none
	}
	if e := ReadEvidence(json.RawMessage(`{"method":"m","email":"a@b"}`)); e.Method != "m" || e.Email != "a@b" {
		t.Errorf("%+v", e)
	}
}

// TestCertificate: the certificate is a PDF with one valid signature by
// the seal over the whole file; a seal that fails is a 503, not a 500.
func TestCertificate(t *testing.T) {
	sb, err := pki.NewSandbox(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	seal := &pdf.PAdES{Key: sb.Seal.Key, Chain: sb.Seal.Chain}
	original := pdf.Sample(2, "Loan")
	rec := &signing.Record{Session: twoSigners(), Original: signing.Document{Filename: "loan.pdf", Content: original, SHA256: signing.SHA256Hex(original)},
		Provider: signing.ProviderInfo{Name: "signzy", DisplayName: "Signzy"}}
	out, err := Certifier{Seal: seal, Issuer: "Signet test"}.Certificate(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := pdf.Verify(out)
	if err != nil || len(sigs) != 1 || !sigs[0].Valid || !sigs[0].CoversWholeDocument || sigs[0].SignerName != pki.SandboxSealName {
		t.Fatalf("certificate signatures %+v, %v", sigs, err)
	}
	if _, err := (Certifier{}).Certificate(context.Background(), rec); err == nil {
		t.Error("a certificate without a seal")
	}
	_, err = Certifier{Seal: failingSeal{}}.Certificate(context.Background(), rec)
	if !errors.Is(err, signing.ErrUnavailable) {
		t.Errorf("a failing seal gave %v, want ErrUnavailable", err)
	}
}

type failingSeal struct{}

func (failingSeal) Sign(context.Context, []byte, pdf.SignInfo) ([]byte, error) {
	return nil, errors.New("TSA down")
}
