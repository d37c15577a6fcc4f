package local

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/pki/pkitest"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
)

// local keeps its state inside Signet, so the conformance suite's
// simulator cases (faults, callbacks, a signer at an outside page) do not
// apply: it passes providertest.RunInternal, these tests hold it to the
// rest of the Provider contract, and cmd/signet's black-box tests sign
// through its page.

func TestConformance(t *testing.T) {
	providertest.RunInternal(t, newAdapter(t, nil))
}

func newAdapter(t *testing.T, tsa pdf.Timestamper) *Adapter {
	t.Helper()
	sb, err := pki.NewSandbox(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Seal: &pdf.PAdES{Key: sb.Seal.Key, Chain: sb.Seal.Chain, TSA: tsa}, Issuer: "Signet test"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestInfo(t *testing.T) {
	a := newAdapter(t, nil)
	info := a.Info()
	if info.Name != Name || info.MaxSigners != signing.MaxSigners || info.Identification != Method || !info.CancelReachesProvider || info.CallsBack ||
		!slices.Equal(info.SigningOrders, []signing.SigningOrder{signing.Sequential, signing.Parallel}) || !slices.Equal(info.Languages, []string{"en", "sv", "hi"}) {
		t.Errorf("Info %+v", info)
	}
	providertest.CheckSignerSchema(t, info, providertest.SchemaCase{
		Base: map[string]any{"name": "Asha Rao", "email": "asha@example.com"}, Properties: []string{"name", "email"}, Closed: true,
		Good: []string{`{"name":"Asha Rao","email":"asha@example.com"}`},
		Bad: []string{`{"name":"Asha Rao"}`, `{"email":"asha@example.com"}`, `{"name":"","email":"asha@example.com"}`,
			`{"name":"Asha Rao","email":"not an address"}`, `{"name":"Asha Rao","email":"asha@example.com","phone":"1"}`},
	})
	providertest.CheckInfoIsACopy(t, a)
	if _, err := New(Config{}); err == nil {
		t.Error("New without a seal")
	}
}

func TestNothingLeavesTheProcess(t *testing.T) {
	a := newAdapter(t, nil)
	started, err := a.Initiate(context.Background(), signing.InitiateRequest{SessionID: "s1"})
	if err != nil || started.Ref != "local-s1" || started.RedirectURL != "" {
		t.Errorf("Initiate = %+v, %v", started, err)
	}
	if upd, err := a.Refresh(context.Background(), signing.ProviderRef{Ref: "local-s1"}); err != nil || upd.Status != signing.StatusPending || upd.Signers != nil {
		t.Errorf("Refresh = %+v, %v; want no news", upd, err)
	}
	if err := a.Cancel(context.Background(), signing.ProviderRef{Ref: "local-s1"}); err != nil {
		t.Errorf("Cancel: %v", err)
	}
	if _, err := a.ParseCallback(http.Header{}, []byte(`{"ref":"local-s1"}`)); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("ParseCallback: %v, want ErrNotFound", err)
	}
}

// ref is a completed two-signer session as the service hands it over.
func ref(t *testing.T, original []byte, statuses ...signing.SignerStatus) signing.ProviderRef {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	sess := &signing.Session{ID: "0193f000-0000-7000-8000-0000000000aa", OrderID: "loan-1", Status: signing.StatusInProgress,
		Provider: Name, CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(24 * time.Hour), SigningOrder: signing.Sequential}
	for i, st := range statuses {
		sg := signing.Signer{ID: "sg" + string(rune('a'+i)), Status: st,
			Details: json.RawMessage(`{"name":"Signer ` + string(rune('A'+i)) + `","email":"s` + string(rune('a'+i)) + `@example.com"}`)}
		if st == signing.SignerSigned {
			when := at.Add(time.Duration(i+1) * time.Minute)
			sg.SignedAt = &when
			sg.Evidence = json.RawMessage(`{"method":"E-mail one-time code","typedSignature":"Typed ` + string(rune('A'+i)) + `","ip":"192.0.2.1"}`)
		}
		sess.Signers = append(sess.Signers, sg)
	}
	return signing.ProviderRef{SessionID: sess.ID, Ref: "local-" + sess.ID, Session: sess, Signers: sess.Signers,
		LoadOriginal: func(context.Context) (signing.Document, error) {
			return signing.Document{Filename: "loan.pdf", Content: original, SHA256: signing.SHA256Hex(original), Kind: signing.DocumentOriginal}, nil
		},
		LoadEvents: func(context.Context) ([]signing.AuditEntry, error) {
			return []signing.AuditEntry{{Type: "signing.created", CreatedAt: at}, {Type: "signing.signer_signed", SignerID: "sga", CreatedAt: at.Add(time.Minute)}}, nil
		}}
}

// TestFetchDocument: the signed document is the original with a mark per
// signer and the audit pages, under one PAdES seal over the whole file,
// timestamped when a TSA is configured.
func TestFetchDocument(t *testing.T) {
	original := pdf.Sample(2, "Loan agreement")
	tsa := pkitest.NewTSA(t)
	a := newAdapter(t, &pki.TSA{URL: tsa.URL})
	doc, err := a.FetchDocument(context.Background(), ref(t, original, signing.SignerSigned, signing.SignerSigned))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := pdf.Verify(doc)
	if err != nil || len(sigs) != 1 || !sigs[0].Valid || !sigs[0].CoversWholeDocument || !sigs[0].Timestamped ||
		sigs[0].SignerName != pki.SandboxSealName || sigs[0].SubFilter != "ETSI.CAdES.detached" {
		t.Fatalf("signatures %+v, %v", sigs, err)
	}
	info, err := pdf.Validate(doc)
	if err != nil || info.Pages <= 2 {
		t.Errorf("signed document: %+v, %v; want the audit pages after the 2 of the original", info, err)
	}
	// One changed byte inside the signed range breaks the seal.
	tampered := []byte(strings.Replace(string(doc), "Typed A", "Typed X", 1))
	if string(tampered) == string(doc) {
		tampered = append([]byte(nil), doc...)
		tampered[100] ^= 1
	}
	if s, err := pdf.Verify(tampered); err == nil && len(s) == 1 && s[0].Valid {
		t.Error("a changed document still verifies")
	}
}

func TestFetchDocumentRefuses(t *testing.T) {
	a := newAdapter(t, nil)
	original := pdf.Sample(1, "x")
	var pe *signing.ProviderError
	if _, err := a.FetchDocument(context.Background(), ref(t, original, signing.SignerSigned, signing.SignerPending)); !errors.As(err, &pe) || pe.Retryable {
		t.Errorf("with a signer still to sign: %v, want a permanent ProviderError", err)
	}
	if _, err := a.FetchDocument(context.Background(), ref(t, []byte("not a pdf"), signing.SignerSigned)); !errors.As(err, &pe) || pe.Retryable {
		t.Errorf("with a broken original: %v, want a permanent ProviderError", err)
	}
	r := ref(t, original, signing.SignerSigned)
	r.LoadEvents = func(context.Context) ([]signing.AuditEntry, error) { return nil, errors.New("database down") }
	if _, err := a.FetchDocument(context.Background(), r); !errors.As(err, &pe) || !pe.Retryable {
		t.Errorf("with the database down: %v, want a retryable ProviderError", err)
	}
	if _, err := a.FetchDocument(context.Background(), signing.ProviderRef{}); err == nil {
		t.Error("without a session")
	}
}
