package main

import (
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/pdf"
)

// TestSignzySigningEndToEnd takes one contract from create to signed PDF
// through the Signzy sandbox, as the README's walk-through does.
func TestSignzySigningEndToEnd(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.create("order-1")
	id := str(s["signingSessionId"])
	if s["status"] != "PENDING" || s["provider"] != "signzy" || s["language"] != "en" {
		t.Fatalf("created session %v", s)
	}
	for _, absent := range []string{"documentUrl", "completedAt", "failureReason"} {
		if _, ok := s[absent]; ok {
			t.Errorf("new session has %s", absent)
		}
	}
	redirect := str(s["redirectUrl"])
	if !strings.HasPrefix(redirect, h.base+"/s/") {
		t.Fatalf("redirectUrl = %q, want Signet's signer link", redirect)
	}
	if page := h.providerPage(redirect); !strings.HasPrefix(page, h.base+"/sandbox/signzy/") {
		t.Fatalf("the signer link forwards to %q, want the Signzy sandbox", page)
	}
	if got := h.get(id)["status"]; got != "IN_PROGRESS" {
		t.Errorf("after the signer opened the link the session is %v, want IN_PROGRESS", got)
	}

	resp := h.signAtProvider(redirect, "sign")
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "https://app.example.com/orders/order-1/done") {
		t.Errorf("after signing the signer is sent to %q, want the returnUrl", loc)
	}
	done := h.waitStatus(id, "COMPLETED")
	if done["documentUrl"] != h.base+"/signing/"+id+"/document" || done["completedAt"] == nil {
		t.Errorf("completed session %v", done)
	}

	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200)
	if ct := doc.header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("document Content-Type = %q", ct)
	}
	if _, err := pdf.Validate(doc.body); err != nil {
		t.Errorf("signed document is not a PDF: %v", err)
	}
	if string(doc.body) == string(contractPDF) {
		t.Error("signed document is the unsigned original")
	}

	events := h.expect(h.do("GET", "/signing/"+id+"/events", h.key, nil), 200).json(t)["data"].([]any)
	var types []string
	for _, e := range events {
		types = append(types, str(e.(map[string]any)["type"]))
	}
	if got := strings.Join(types, ","); !strings.HasPrefix(got, "signing.created,provider.accepted") || !strings.HasSuffix(got, "signing.completed") {
		t.Errorf("audit trail = %s", got)
	}

	p := h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 409).json(t)
	if p["status"] != float64(409) {
		t.Errorf("cancel of COMPLETED answered %v", p)
	}
}

func TestSignzyDeclineFails(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.create("order-2")
	h.signAtProvider(str(s["redirectUrl"]), "decline")
	failed := h.waitStatus(str(s["signingSessionId"]), "FAILED")
	if r, _ := failed["failureReason"].(string); r == "" {
		t.Errorf("FAILED session without failureReason: %v", failed)
	}
	h.expect(h.do("GET", "/signing/"+str(s["signingSessionId"])+"/document", h.key, nil), 409)
}
