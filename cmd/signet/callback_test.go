package main

import (
	"context"
	"testing"
)

// TestSignzyCallbackVerified: a callback must carry the Authorization
// header Signet configured at Signzy; a forged one is refused with 401 and
// changes nothing, and a genuine one is acted on after re-pulling.
func TestSignzyCallbackVerified(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.create("callback-order")
	id := str(s["signingSessionId"])
	secret, err := h.main.store.Secret(context.Background(), "sandbox-signzy-callback", nil)
	if err != nil {
		t.Fatal(err)
	}
	events := func() int {
		return len(h.expect(h.do("GET", "/signing/"+id+"/events", h.key, nil), 200).json(t)["data"].([]any))
	}
	before := events()
	body := `{"contractId":"` + contractID(t, h, id) + `","isCompleted":true}`

	for _, auth := range []string{"", "wrong-secret", "Bearer " + string(secret)} {
		h.expect(h.do("POST", "/callbacks/signzy", "", body, "Authorization", auth), 401)
	}
	if got := h.get(id); got["status"] != "PENDING" || events() != before {
		t.Fatalf("a forged callback changed the session: %v", got["status"])
	}
	h.expect(h.do("POST", "/callbacks/signzy", "", `{"contractId":"00000000-0000-4000-8000-000000000000"}`, "Authorization", string(secret)), 404)
	h.expect(h.do("POST", "/callbacks/signzy", "", `{not json`, "Authorization", string(secret)), 400)
	h.expect(h.do("POST", "/callbacks/docusign", "", body, "Authorization", string(secret)), 404)

	// A genuine callback makes Signet re-pull: the contract is not signed
	// at Signzy, whatever the body claims, so nothing changes.
	h.expect(h.do("POST", "/callbacks/signzy", "", body, "Authorization", string(secret)), 200)
	if got := h.get(id); got["status"] != "PENDING" {
		t.Errorf("an unsigned contract's callback moved the session to %v", got["status"])
	}
}

// contractID reads the provider reference of a session from the store.
func contractID(t *testing.T, h *harness, id string) string {
	t.Helper()
	s, err := h.main.store.SessionByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.ProviderRef
}
