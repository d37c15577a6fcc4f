package main

import (
	"encoding/base64"
	"testing"

	"github.com/signet-dev/signet/internal/pdf"
)

// signerFor builds signerDetails from the examples GET /signing/providers
// publishes for a provider, as a client reading the docs would.
func (h *harness) signerFor(provider string) map[string]any {
	h.t.Helper()
	list := h.expect(h.do("GET", "/signing/providers", h.key, nil), 200).json(h.t)["providers"].([]any)
	for _, p := range list {
		p := p.(map[string]any)
		if p["name"] != provider {
			continue
		}
		details := map[string]any{}
		props := p["signerDetailsSchema"].(map[string]any)["properties"].(map[string]any)
		for name, prop := range props {
			details[name] = prop.(map[string]any)["examples"].([]any)[0]
		}
		return details
	}
	h.t.Fatalf("provider %s is not listed", provider)
	return nil
}

func (h *harness) createAt(provider, orderID string) map[string]any {
	h.t.Helper()
	body := map[string]any{
		"orderId": orderID, "provider": provider, "signerDetails": h.signerFor(provider),
		"document":  map[string]any{"filename": "contract.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		"returnUrl": "https://app.example.com/done",
	}
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(h.t)
	if s["redirectUrl"] == nil {
		h.t.Fatalf("%s session has no redirectUrl: %v", provider, s)
	}
	return s
}

// sandboxProviders are the providers whose whole flow the sandbox serves.
var sandboxProviders = []string{"signzy", "leegality", "digio", "bankid"}

// TestEveryProviderThroughItsSandbox is the black-box check of issue 3:
// sign → COMPLETED with a PDF (then cancel → 409); decline → FAILED with
// a reason; cancel before the signer acts → CANCELLED, and it stays so.
func TestEveryProviderThroughItsSandbox(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	listed := map[string]bool{}
	for _, p := range h.expect(h.do("GET", "/signing/providers", h.key, nil), 200).json(t)["providers"].([]any) {
		listed[str(p.(map[string]any)["name"])] = true
	}
	for _, provider := range sandboxProviders {
		t.Run(provider, func(t *testing.T) {
			if !listed[provider] {
				t.Fatalf("%s not in GET /signing/providers", provider)
			}
			h.t = t
			signed := h.createAt(provider, provider+"-sign")
			id := str(signed["signingSessionId"])
			h.signAtProvider(str(signed["redirectUrl"]), "sign")
			h.waitStatus(id, "COMPLETED")
			doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200)
			if _, err := pdf.Validate(doc.body); err != nil {
				t.Errorf("signed document: %v", err)
			}
			h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 409)

			declined := h.createAt(provider, provider+"-decline")
			h.signAtProvider(str(declined["redirectUrl"]), "decline")
			failed := h.waitStatus(str(declined["signingSessionId"]), "FAILED")
			if r, _ := failed["failureReason"].(string); r == "" {
				t.Errorf("FAILED without a reason: %v", failed)
			}

			cancelled := h.createAt(provider, provider+"-cancel")
			cid := str(cancelled["signingSessionId"])
			h.expect(h.do("DELETE", "/signing/"+cid, h.key, nil), 200)
			h.expect(h.do("POST", "/signing/"+cid+"/refresh", h.key, nil), 200)
			if got := h.get(cid)["status"]; got != "CANCELLED" {
				t.Errorf("cancelled session is %v", got)
			}
		})
	}
}

func TestBankIDRequiresAValidPersonnummer(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	for _, identity := range []any{"199001011238", "19900101123", "199013011239", "abc", 199001011239.0} {
		body := map[string]any{
			"orderId": "bankid-bad", "provider": "bankid", "signerDetails": map[string]any{"identity": identity},
			"document": map[string]any{"filename": "c.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		}
		p := h.expect(h.do("POST", "/signing", h.key, body), 400).json(t)
		if !containsField(p, "signerDetails.identity") {
			t.Errorf("identity %v: errors %v do not name signerDetails.identity", identity, p["errors"])
		}
	}
	body := map[string]any{"orderId": "bankid-missing", "provider": "bankid", "signerDetails": map[string]any{"name": "A"},
		"document": map[string]any{"filename": "c.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)}}
	if p := h.expect(h.do("POST", "/signing", h.key, body), 400).json(t); !containsField(p, "signerDetails.identity") {
		t.Errorf("missing identity: %v", p["errors"])
	}
}

func containsField(problem map[string]any, field string) bool {
	list, _ := problem["errors"].([]any)
	for _, e := range list {
		if e.(map[string]any)["field"] == field {
			return true
		}
	}
	return false
}
