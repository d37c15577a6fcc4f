package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAdminCreate(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	admin := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runIO(context.Background(), append([]string{"admin", "create", "--database", db}, args...), noEnv,
			strings.NewReader(stdin), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, errOut := admin("elevenchars\n", "--email", "ops@example.com"); code != 1 ||
		!strings.Contains(errOut, "at least 12 characters") {
		t.Errorf("a short password: exit %d, %q; want 1 and why", code, errOut)
	}
	if code, out, errOut := admin("a perfectly fine password\n", "--email", "Ops@Example.com"); code != 0 ||
		out != "created operator ops@example.com; sign in at /console/\n" {
		t.Errorf("admin create: exit %d, %q, %q", code, out, errOut)
	}
	if code, _, errOut := admin("another fine password", "--email", "ops@example.com"); code != 1 ||
		!strings.Contains(errOut, "already an operator ops@example.com") {
		t.Errorf("the same e-mail again: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{{}, {"--email", "not-an-address"}, {"--email", "a@example.com", "extra"}} {
		if code, _, errOut := admin("a perfectly fine password\n", args...); code != 2 {
			t.Errorf("admin create %v: exit %d (%s), want 2", args, code, errOut)
		}
	}
	if code, _, _ := admin("", "--email", "b@example.com"); code != 1 {
		t.Errorf("no password at all: exit %d, want 1", code)
	}
}

// TestAPIKeyListAndRevoke lists and revokes keys from the command line
// while a server runs on the same database; the revoked key, and the
// bearer tokens it obtained, are refused from the next request on.
func TestAPIKeyListAndRevoke(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	db := h.main.Config.Database
	cli := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(args, "--database", db), noEnv, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	globex := h.apiKey("globex")
	// The server caches keys once it watches for revocations (PostgreSQL
	// by NOTIFY, SQLite by reading a mark of them every 250 ms).
	want := "signet_api_key_cache_enabled 1"
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(metrics(t, h.base), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the server's /metrics lack %q", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.expect(h.do("GET", "/auth/ping", h.key, nil), 200) // now cached where the server caches
	pair := h.expect(h.do("POST", "/auth/token", h.key, nil), 200).json(t)
	bearer := "Bearer " + str(pair["accessToken"])
	h.expect(h.do("GET", "/auth/ping", "", nil, "Authorization", bearer), 200)

	code, out, errOut := cli("apikey", "list", "--json")
	if code != 0 {
		t.Fatalf("apikey list --json: exit %d: %s", code, errOut)
	}
	var list struct{ Data []keyJSON }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("apikey list --json: %v\n%s", err, out)
	}
	var acme keyJSON
	for _, k := range list.Data {
		if k.Tenant == "acme" {
			acme = k
		}
	}
	if len(list.Data) != 3 || acme.Prefix != h.key[:11]+"…" || acme.CreatedAt.IsZero() || acme.RevokedAt != nil {
		t.Fatalf("apikey list --json = %s; want default's, acme's and globex's keys, acme's as %s…", out, h.key[:11])
	}

	code, out, _ = cli("apikey", "list", "--tenant", "globex")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], globex[:11]+"…") ||
		!strings.Contains(lines[1], "globex") || strings.Contains(out, "acme") {
		t.Errorf("apikey list --tenant globex: exit %d\n%s", code, out)
	}
	if code, _, errOut := cli("apikey", "list", "--tenant", "nobody"); code != 1 || !strings.Contains(errOut, `no tenant "nobody"`) {
		t.Errorf("apikey list --tenant nobody: exit %d, %q", code, errOut)
	}

	code, out, errOut = cli("apikey", "revoke", acme.ID)
	if code != 0 || out != "revoked "+acme.ID+" ("+acme.Prefix+", tenant acme)\n" {
		t.Fatalf("apikey revoke: exit %d, %q, %q", code, out, errOut)
	}
	// The server hears of the revocation by NOTIFY (PostgreSQL) or within
	// 250 ms (SQLite): until then (well under the cache's 30 s) it may
	// still take the key.
	revoked := time.Now()
	for what, hdr := range map[string][]string{"the key": {"X-API-Key", h.key}, "its bearer token": {"Authorization", bearer}} {
		early := 0
		for h.do("GET", "/auth/ping", "", nil, hdr...).status != http.StatusUnauthorized {
			early++
			if time.Since(revoked) > 5*time.Second {
				t.Fatalf("%s still works 5 s after its revocation", what)
			}
			time.Sleep(time.Millisecond)
		}
		t.Logf("%s refused %v after the revocation (%d requests before)", what, time.Since(revoked).Round(time.Millisecond), early)
	}
	r := h.do("POST", "/auth/refresh", "", map[string]any{"refreshToken": pair["refreshToken"]})
	if r.status != http.StatusUnauthorized {
		t.Errorf("its refresh token after revocation: %d, want 401", r.status)
	}
	h.expect(h.do("GET", "/auth/ping", globex, nil), 200)

	if code, out, _ := cli("apikey", "revoke", acme.ID); code != 0 || !strings.Contains(out, "already revoked") {
		t.Errorf("revoking again: exit %d, %q", code, out)
	}
	if code, out, _ := cli("apikey", "list", "--tenant", "acme"); code != 0 || !strings.Contains(out, acme.ID) ||
		strings.HasSuffix(strings.TrimSpace(out), "-") {
		t.Errorf("apikey list after revoking: exit %d; want the key with its revocation time\n%s", code, out)
	}
	for _, args := range [][]string{{"apikey", "revoke", "key_0123456789abcdef0123456789abcdef"}, {"apikey", "revoke", "sk_wrong"}} {
		if code, _, errOut := cli(args...); code != 1 || !strings.Contains(errOut, "there is no API key") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	for _, args := range [][]string{{"apikey", "revoke"}, {"apikey", "revoke", "a", "b"}, {"apikey", "nothing"}, {"admin"}} {
		if code := run(context.Background(), args, noEnv, io.Discard, io.Discard); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestDeliveriesPaging pages GET /webhooks/{id}/deliveries.
func TestDeliveriesPaging(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	r := newReceiver(t, 0)
	ep := h.registerWebhook(h.key, r.srv.URL, "signing.created")
	for i := range 5 {
		h.create("page-" + string(rune('a'+i)))
	}
	r.waitFor(t, 5)
	path := "/webhooks/" + str(ep["id"]) + "/deliveries"
	var all []any
	deadline := time.Now().Add(10 * time.Second)
	for len(all) < 5 && time.Now().Before(deadline) { // the attempts are recorded just after the answers
		all = h.expect(h.do("GET", path, h.key, nil), 200).json(t)["data"].([]any)
	}
	if len(all) != 5 {
		t.Fatalf("%d attempts listed, want 5", len(all))
	}
	var paged []any
	cursor := ""
	for range 5 {
		q := "?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		page := h.expect(h.do("GET", path+q, h.key, nil), 200).json(t)
		data := page["data"].([]any)
		if len(data) > 2 {
			t.Fatalf("limit=2 gave %d", len(data))
		}
		paged = append(paged, data...)
		next, ok := page["nextCursor"].(string)
		if !ok {
			break
		}
		cursor = next
	}
	if len(paged) != 5 {
		t.Fatalf("paging gave %d attempts, want 5", len(paged))
	}
	for i := range all {
		if paged[i].(map[string]any)["id"] != all[i].(map[string]any)["id"] {
			t.Errorf("attempt %d: paged %v, listed %v", i, paged[i], all[i])
		}
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?cursor=nope", "?cursor=" + cursor + "x", "?other=1"} {
		h.expect(h.do("GET", path+q, h.key, nil), 400)
	}
}
