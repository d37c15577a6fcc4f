package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/digio"
	digiosim "github.com/signet-dev/signet/internal/provider/digio/sim"
	"github.com/signet-dev/signet/internal/provider/providertest"
)

// digioAccount is a Digio simulator the test controls (faults included),
// and the flags that point a live Signet at it. It sends no webhooks:
// Signet learns everything by polling.
func digioAccount(t *testing.T) (*digiosim.Server, []string) {
	t.Helper()
	const id, secret, hook = "live-client", "live-secret", "webhook-secret"
	mux := http.NewServeMux()
	provider := httptest.NewServer(mux)
	t.Cleanup(provider.Close)
	sim, err := digiosim.New(digiosim.Config{BaseURL: provider.URL + "/digio", ClientID: id, ClientSecret: secret, WebhookSecret: hook})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	mux.Handle("/digio/", http.StripPrefix("/digio", sim))
	return sim, []string{"--sandbox=false", "--default-provider", digio.Name, "--digio-url", provider.URL + "/digio",
		"--digio-client-id", id, "--digio-client-secret", secret, "--digio-webhook-secret", hook}
}

// TestCompletionOutlivesFailingDownloads is issue 11's "a signature at
// the provider is never lost", black-box: the provider has every
// signature but its download fails for a while (and it asks Signet to
// slow down with a 429 first); the session passes its expiresAt meanwhile
// and still ends COMPLETED with the signed document, never EXPIRED.
func TestCompletionOutlivesFailingDownloads(t *testing.T) {
	t.Parallel()
	sim, flags := digioAccount(t)
	h := startServer(t, flags...)
	body := map[string]any{
		"orderId": "download-fails", "provider": digio.Name, "signerDetails": h.signerFor(digio.Name),
		"document":  map[string]any{"filename": "c.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		"expiresAt": h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano),
	}
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id := str(s["signingSessionId"])
	sim.ThrottleNext(digiosim.OpDetails, time.Second)
	for range 4 {
		sim.FailNext(digiosim.OpDownload, http.StatusServiceUnavailable)
	}
	providertest.SubmitForm(t, str(s["redirectUrl"]), "sign")
	h.waitEvent(id, "provider.completed")
	h.clock.Advance(2 * time.Hour) // past expiresAt, with the document not yet in hand
	if got := h.get(id)["status"]; got == "EXPIRED" {
		t.Fatal("a session whose signer signed at the provider expired")
	}
	// Each failed download is retried later (a quarter of the wait so
	// far, at most 10 minutes): move the clock on until it succeeds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := h.get(id)
		if got["status"] == "COMPLETED" {
			if got["completedAt"] == nil {
				t.Errorf("completed session %v", got)
			}
			break
		}
		if got["status"] != "IN_PROGRESS" || time.Now().After(deadline) {
			t.Fatalf("while the download fails the session is %v, want IN_PROGRESS until COMPLETED", got["status"])
		}
		h.clock.Advance(11 * time.Minute)
		time.Sleep(200 * time.Millisecond)
	}
	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	checkESigned(t, doc, []string{str(h.signerFor(digio.Name)["name"])})
	events := string(h.expect(h.do("GET", "/signing/"+id+"/events", h.key, nil), 200).body)
	if strings.Count(events, "fetching the signed document failed, will retry") < 4 {
		t.Errorf("the failed downloads left no trace in the events:\n%s", events)
	}
}
