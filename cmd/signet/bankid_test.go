package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

// TestBankIDPageOpenedLateStillSigns is issue 11's check: a BankID order
// must be picked up within 30 s of its start, so Signet starts it when
// the signer opens the page, not at POST /signing; a page opened a
// minute after the session was created still signs. The simulator runs
// on the server's clock.
func TestBankIDPageOpenedLateStillSigns(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.createAt("bankid", "bankid-late")
	id := str(s["signingSessionId"])
	h.clock.Advance(61 * time.Second)
	h.signAtProvider(str(s["redirectUrl"]), "sign")
	h.waitStatus(id, "COMPLETED")
	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200)
	if info, err := pdf.Validate(doc.body); err != nil || info.Pages != 3 {
		t.Errorf("signed document: %+v, %v", info, err)
	}
	started := h.waitEvent(id, "provider.accepted")
	if d := str(started["detail"]); d == "" {
		t.Errorf("the trail does not say the session was accepted: %v", started)
	}
}

// TestBankIDTwoSignersInOrder: two BankID signers, one order each, the
// second only after the first signed.
func TestBankIDTwoSignersInOrder(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := map[string]any{
		"orderId": "bankid-two", "provider": "bankid", "signingOrder": "sequential",
		"signers": []any{map[string]any{"signerDetails": map[string]any{"identity": "199001011239"}},
			map[string]any{"signerDetails": map[string]any{"identity": "201212121212"}}},
		"document": map[string]any{"filename": "c.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
	}
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id, signers := str(s["signingSessionId"]), s["signers"].([]any)
	second := str(signers[1].(map[string]any)["redirectUrl"])
	if r := h.do("GET", strings.TrimPrefix(second, h.base), "", nil); r.status != 200 || !strings.Contains(string(r.body), "turn") {
		t.Fatalf("the second signer's link before their turn: %d", r.status)
	}
	h.signAtProvider(str(signers[0].(map[string]any)["redirectUrl"]), "sign")
	deadline := time.Now().Add(20 * time.Second)
	for h.get(id)["signers"].([]any)[1].(map[string]any)["status"] != "PENDING" {
		if time.Now().After(deadline) {
			t.Fatalf("the second signer's turn never came: %v", h.get(id))
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.signAtProvider(second, "sign")
	h.waitStatus(id, "COMPLETED")
}

// TestBankIDLiveNeedsCA: without --bankid-ca Signet refuses to start, and
// says what to do: the system roots never validate BankID's server.
func TestBankIDLiveNeedsCA(t *testing.T) {
	t.Parallel()
	m, err := NewMain([]string{"--addr", "127.0.0.1:0", "--database", testDatabase(t), "--log-level", "error",
		"--bankid-cert", "rp.crt", "--bankid-key", "rp.key"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err = m.Open(context.Background())
	if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--bankid-ca is required") || !strings.Contains(err.Error(), "BankID's own root CA") {
		t.Fatalf("Open without --bankid-ca: %v", err)
	}
}
