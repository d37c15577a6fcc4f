package main

import (
	"strings"
	"testing"
	"time"
)

// TestSignerLink is CONTRACT.md §6.1 through every provider's sandbox: the
// session's redirectUrl is Signet's own link; opening it makes the session
// IN_PROGRESS (once) and forwards to the provider with 303; once the
// session ends it answers 410 with a page saying what happened; an unknown
// token is a 404.
func TestSignerLink(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	for _, provider := range sandboxProviders {
		t.Run(provider, func(t *testing.T) {
			h.t = t
			s := h.createAt(provider, provider+"-link")
			id, link := str(s["signingSessionId"]), str(s["redirectUrl"])
			signers := s["signers"].([]any)
			if !strings.HasPrefix(link, h.base+"/s/") || len(signers) != 1 || signers[0].(map[string]any)["redirectUrl"] != link {
				t.Fatalf("redirectUrl %q, signers %v: want Signet's signer link, the first signer's", link, signers)
			}
			if s["status"] != "PENDING" || signers[0].(map[string]any)["status"] != "PENDING" {
				t.Fatalf("new session %v", s)
			}
			first := h.providerPage(link)
			if strings.HasPrefix(first, h.base+"/s/") {
				t.Fatalf("the link forwards to itself: %s", first)
			}
			got := h.get(id)
			if got["status"] != "IN_PROGRESS" || got["signers"].([]any)[0].(map[string]any)["status"] != "IN_PROGRESS" {
				t.Errorf("after opening the link: %v", got)
			}
			updated := got["updatedAt"]
			if again := h.providerPage(link); again != first {
				t.Errorf("a second opening forwards to %s, the first to %s", again, first)
			}
			if h.get(id)["updatedAt"] != updated {
				t.Error("a second opening changed the session")
			}
			events := h.expect(h.do("GET", "/signing/"+id+"/events", h.key, nil), 200).json(t)["data"].([]any)
			n := 0
			for _, e := range events {
				if e.(map[string]any)["type"] == "signing.in_progress" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d signing.in_progress events, want 1", n)
			}
			h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 200)
			r := h.do("GET", strings.TrimPrefix(link, h.base), "", nil)
			if r.status != 410 || !strings.Contains(string(r.body), "cancelled") || r.header.Get("Location") != "" {
				t.Errorf("link of a cancelled session: %d %q", r.status, r.body)
			}
		})
	}
	h.t = t
	if r := h.do("GET", "/s/not-a-token", "", nil); r.status != 404 {
		t.Errorf("unknown token: %d, want 404", r.status)
	}

	// Expired and signed sessions answer 410 with their own words.
	body := createBody("link-expiring")
	body["expiresAt"] = h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	exp := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	h.clock.Advance(2 * time.Hour)
	if r := h.do("GET", strings.TrimPrefix(str(exp["redirectUrl"]), h.base), "", nil); r.status != 410 || !strings.Contains(string(r.body), "expired") {
		t.Errorf("link of an expired session: %d", r.status)
	}
	signed := h.create("link-signed")
	h.signAtProvider(str(signed["redirectUrl"]), "sign")
	h.waitStatus(str(signed["signingSessionId"]), "COMPLETED")
	if r := h.do("GET", strings.TrimPrefix(str(signed["redirectUrl"]), h.base), "", nil); r.status != 410 || !strings.Contains(string(r.body), "You have signed") {
		t.Errorf("link of a signed session: %d", r.status)
	}
}
