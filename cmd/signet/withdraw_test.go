package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestExpiryWithdrawsAtTheProvider is issue 11's "expiry withdraws at
// Leegality and Digio", black-box: a session Signet expires is withdrawn
// at the provider's sandbox (Leegality deletes the document, Digio
// cancels it), so that the signer's page there, opened before, no longer
// lets them sign. The sandboxes' own invitations run for days: what
// closes them is Signet's withdrawal.
func TestExpiryWithdrawsAtTheProvider(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	for _, tt := range []struct {
		provider string
		status   int    // the provider page's answer once withdrawn (0: any)
		says     string // and what it tells the signer
	}{
		{"leegality", http.StatusGone, "The sender has deleted this document"},
		{"digio", 0, "This signing request was cancelled by its sender"},
	} {
		t.Run(tt.provider, func(t *testing.T) {
			h.t = t
			body := map[string]any{
				"orderId": tt.provider + "-expires", "provider": tt.provider, "signerDetails": h.signerFor(tt.provider),
				"document":  map[string]any{"filename": "contract.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
				"returnUrl": "https://app.example.com/done",
				"expiresAt": h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano),
			}
			s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
			id := str(s["signingSessionId"])
			page := h.providerPage(str(s["redirectUrl"])) // the signer keeps the provider's page
			if status, html := openPage(t, page); status != http.StatusOK || !strings.Contains(html, `value="sign"`) {
				t.Fatalf("%s page before expiry: %d, want its signing form\n%s", tt.provider, status, html)
			}

			h.clock.Advance(time.Hour + time.Second)
			if got := h.get(id)["status"]; got != "EXPIRED" {
				t.Fatalf("after expiresAt the session is %v", got)
			}
			withdrawn := h.waitEvent(id, "provider.cancel")
			if d := str(withdrawn["detail"]); d != "withdrawn at the provider" {
				t.Fatalf("provider.cancel: %q, want the request withdrawn", d)
			}

			// The sandbox's state: the request is gone there.
			status, html := openPage(t, page)
			if (tt.status != 0 && status != tt.status) || !strings.Contains(html, tt.says) || strings.Contains(html, `value="sign"`) {
				t.Errorf("%s page after Signet's expiry: %d, want %d saying %q and no signing form\n%s", tt.provider, status, tt.status, tt.says, html)
			}
		})
	}
}

// openPage GETs a provider's signing page as a browser would, following
// redirects, and returns its status and text.
func openPage(t *testing.T, page string) (int, string) {
	t.Helper()
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
