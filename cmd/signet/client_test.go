package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/provider/providertest"
)

var update = flag.Bool("update", false, "rewrite the golden files of the client commands' tables")

func TestParseSigner(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string // want "" means an error
	}{
		{"name=Asha Rao,email=asha@example.com", `{"email":"asha@example.com","name":"Asha Rao"}`},
		{`name=Rao\, Asha,email=asha@example.com`, `{"email":"asha@example.com","name":"Rao, Asha"}`},
		{`note=a\=b,path=C:\\x`, `{"note":"a=b","path":"C:\\x"}`},
		{`k\,1=v`, `{"k,1":"v"}`},
		{"formula=a=b", `{"formula":"a=b"}`},
		{"name=", `{"name":""}`},
		{"name=Å Ö", `{"name":"Å Ö"}`},
		{`{"name":"Asha","address":{"city":"Pune"}}`, `{"address":{"city":"Pune"},"name":"Asha"}`},
		{"name", ""},
		{"=x", ""},
		{"name=a,,email=b", ""},
		{"name=a,name=b", ""},
		{`name=a\`, ""},
		{`name=a\b`, ""},
		{"", ""},
		{"name=\xff", ""},
		{`{"name":`, ""},
		{`{"name":"a"} x`, ""},
	} {
		got, err := parseSigner(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("parseSigner(%q) = %s, want an error", c.in, got)
		case c.want != "" && (err != nil || string(got) != c.want):
			t.Errorf("parseSigner(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// escapeSigner is the inverse of parseSigner's escaping, for the fuzz test.
func escapeSigner(s string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`).Replace(s)
}

// FuzzParseSigner: any key and value, escaped as documented, come back as
// they were; no input panics.
func FuzzParseSigner(f *testing.F) {
	f.Add("name", "Rao, Asha", "email", "a=b@example.com")
	f.Add(`we\ird`, `C:\path,x=y`, "k", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		parseSigner(k1 + "=" + v1) // raw input: any result, no panic
		if k1 == "" || k2 == "" || k1 == k2 || strings.HasPrefix(strings.TrimSpace(escapeSigner(k1)), "{") ||
			!utf8.ValidString(k1+v1+k2+v2) {
			return
		}
		got, err := parseSigner(escapeSigner(k1) + "=" + escapeSigner(v1) + "," + escapeSigner(k2) + "=" + escapeSigner(v2))
		if err != nil {
			t.Fatalf("escaped pairs refused: %v", err)
		}
		var m map[string]string
		if err := json.Unmarshal(got, &m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 2 || m[k1] != v1 || m[k2] != v2 {
			t.Fatalf("parsed %v, want %q=%q and %q=%q", m, k1, v1, k2, v2)
		}
	})
}

// TestCreateRequestShape: one --signer sends signerDetails, several send
// signers in order (CONTRACT.md §8); the other flags land in their fields.
func TestCreateRequestShape(t *testing.T) {
	t.Parallel()
	doc := filepath.Join(t.TempDir(), "loan.pdf")
	if err := os.WriteFile(doc, []byte("%PDF-1.7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	one, err := createRequest(doc, "o-1", []string{"name=Asha,email=a@example.com"}, []string{"segment=retail", "note=a=b"}, "7d", now)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(one)
	want := `{"orderId":"o-1","signerDetails":{"email":"a@example.com","name":"Asha"},"document":{"filename":"loan.pdf","content":"JVBERi0xLjcK"},` +
		`"expiresAt":"2024-01-22T10:00:00Z","metadata":{"note":"a=b","segment":"retail"}}`
	if string(got) != want {
		t.Errorf("one signer:\n got %s\nwant %s", got, want)
	}
	two, err := createRequest(doc, "o-1", []string{"name=Asha", `{"name":"Björn","identity":"199001011234"}`}, nil, "", now)
	if err != nil {
		t.Fatal(err)
	}
	two.SigningOrder = api.SigningOrderParallel
	got, _ = json.Marshal(two)
	want = `{"orderId":"o-1","document":{"filename":"loan.pdf","content":"JVBERi0xLjcK"},` +
		`"signers":[{"signerDetails":{"name":"Asha"}},{"signerDetails":{"identity":"199001011234","name":"Björn"}}],"signingOrder":"parallel"}`
	if string(got) != want {
		t.Errorf("two signers:\n got %s\nwant %s", got, want)
	}
	for _, bad := range []struct {
		doc, order string
		signers    []string
		metadata   []string
		expires    string
	}{
		{"", "o", []string{"name=a"}, nil, ""},
		{doc, "", []string{"name=a"}, nil, ""},
		{doc, "o", nil, nil, ""},
		{doc + ".missing", "o", []string{"name=a"}, nil, ""},
		{doc, "o", []string{"name"}, nil, ""},
		{doc, "o", []string{"name=a"}, []string{"novalue"}, ""},
		{doc, "o", []string{"name=a"}, []string{"k=1", "k=2"}, ""},
		{doc, "o", []string{"name=a"}, nil, "soon"},
		{doc, "o", []string{"name=a"}, nil, "-1h"},
	} {
		if _, err := createRequest(bad.doc, bad.order, bad.signers, bad.metadata, bad.expires, now); err == nil {
			t.Errorf("createRequest(%+v) succeeded", bad)
		}
	}
}

// TestClientTables compares each table with its golden file in
// testdata/cli (go test -run TestClientTables -update rewrites them).
func TestClientTables(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	later := at.Add(90 * time.Minute)
	session := api.Session{
		SigningSessionID: "f7d2295f-0dd4-4ebe-8ec5-de2d0f41be7e", OrderID: "order-1001", Status: api.StatusCompleted,
		SignerDetails: json.RawMessage(`{"name":"Asha Rao","email":"asha@example.com"}`), CreatedAt: at, UpdatedAt: later,
		Provider: "signzy", Language: "en", RedirectURL: "http://127.0.0.1:8080/s/tok1", ReturnURL: "https://example.com/done",
		DocumentURL: "http://127.0.0.1:8080/signing/f7d2295f-0dd4-4ebe-8ec5-de2d0f41be7e/document", CompletedAt: &later,
		ExpiresAt: at.Add(24 * time.Hour), Metadata: map[string]string{"segment": "retail", "branch": "pune"},
	}
	multi := session
	multi.Status, multi.CompletedAt, multi.DocumentURL, multi.FailureReason = api.StatusFailed, nil, "", "Björn Berg declined: wrong amount"
	multi.SigningOrder = api.SigningOrderSequential
	multi.Signers = []api.Signer{
		{SignerID: "s1", SignerDetails: json.RawMessage(`{"name":"Asha Rao"}`), Status: api.SignerSigned, RedirectURL: "http://127.0.0.1:8080/s/tok1", SignedAt: &later},
		{SignerID: "s2", SignerDetails: json.RawMessage(`{"name":"Björn Berg"}`), Status: api.SignerFailed, RedirectURL: "http://127.0.0.1:8080/s/tok2", FailureReason: "wrong amount"},
	}
	for _, c := range []struct {
		name  string
		table func(w io.Writer)
	}{
		{"session", func(w io.Writer) { sessionTable(w, &session) }},
		{"session-multi", func(w io.Writer) { sessionTable(w, &multi) }},
		{"sessions", func(w io.Writer) { sessionsTable(w, []api.Session{session, multi}) }},
		{"events", func(w io.Writer) {
			eventsTable(w, []api.Event{
				{ID: 1, Type: api.EventCreated, Status: api.StatusPending, Detail: "created for provider signzy", CreatedAt: at},
				{ID: 2, Type: "provider.accepted", Detail: "provider reference\nabc", CreatedAt: at},
				{ID: 3, Type: api.EventCompleted, FromStatus: api.StatusPending, Status: api.StatusCompleted, CreatedAt: later},
			})
		}},
		{"webhook-created", func(w io.Writer) {
			webhookTable(w, &api.WebhookEndpoint{ID: "ep_1", URL: "https://example.com/hooks", Events: []string{api.EventCompleted, api.EventFailed}, CreatedAt: at, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
		}},
		{"webhooks", func(w io.Writer) {
			webhooksTable(w, []api.WebhookEndpoint{{ID: "ep_1", URL: "https://example.com/hooks", Events: []string{api.EventCompleted}, CreatedAt: at}})
		}},
		{"deliveries", func(w io.Writer) {
			deliveriesTable(w, []api.DeliveryAttempt{
				{ID: "2", WebhookID: "msg_1", EventType: api.EventCompleted, Attempt: 2, AttemptedAt: later, Succeeded: true, ResponseStatus: 204, DurationMs: 12},
				{ID: "1", WebhookID: "msg_1", EventType: api.EventCompleted, Attempt: 1, AttemptedAt: at, ResponseStatus: 503, Error: "endpoint answered 503", DurationMs: 84},
				{ID: "0", WebhookID: "msg_0", EventType: api.EventCreated, Attempt: 1, AttemptedAt: at, Error: "dial tcp: connection refused", DurationMs: 1},
			})
		}},
		{"providers", func(w io.Writer) {
			providersTable(w, []api.Provider{{Name: "bankid", DisplayName: "Swedish BankID", Languages: []string{"sv", "en"}, RequiredSignerFields: []string{"identity"}}})
		}},
	} {
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
		c.table(tw)
		tw.Flush()
		golden := filepath.Join("testdata", "cli", c.name+".golden")
		if *update {
			if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to write it)", err)
		}
		if buf.String() != string(want) {
			t.Errorf("%s table:\n%s\nwant (%s):\n%s", c.name, buf.String(), golden, want)
		}
	}
}

// TestClientCommandUsage: usage errors exit 2 before any request, help
// exits 0 and lists the command's own flags with the common ones.
func TestClientCommandUsage(t *testing.T) {
	t.Parallel()
	env := func(k string) string {
		if k == "SIGNET_API_KEY" {
			return "sk_test"
		}
		return ""
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sessions"}, 2, "signet sessions create"},
		{[]string{"sessions", "-h"}, 0, "signet webhooks deliveries ID"},
		{[]string{"sessions", "bogus"}, 2, `unknown command "sessions bogus"`},
		{[]string{"sessions", "get"}, 2, "want signet sessions get ID"},
		{[]string{"sessions", "get", "a", "b"}, 2, "want signet sessions get ID"},
		{[]string{"sessions", "get", "--nope", "a"}, 2, "flag provided but not defined"},
		{[]string{"sessions", "list", "--limit", "0"}, 2, "--limit"},
		{[]string{"sessions", "create", "--order", "o"}, 2, "--document is required"},
		{[]string{"sessions", "create", "-h"}, 0, `\, for a comma`},
		{[]string{"sessions", "wait", "-h"}, 0, "-timeout"},
		{[]string{"sessions", "document", "-h"}, 0, "-o string"},
		{[]string{"webhooks", "create", "-h"}, 0, "-event type"},
		{[]string{"providers", "-h"}, 0, "-api-key"},
		{[]string{"providers", "extra"}, 2, "want signet providers"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, env, &out, &errOut)
		if code != c.code || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errOut.String(), c.code, c.want)
		}
	}
	// No API key anywhere: a usage error that says where to put one.
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"providers"}, noEnv, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "SIGNET_API_KEY") {
		t.Errorf("no key: exit %d, %q", code, errOut.String())
	}
	// The key from the environment is not shown by -h.
	errOut.Reset()
	run(context.Background(), []string{"providers", "-h"}, env, io.Discard, &errOut)
	if strings.Contains(errOut.String(), "sk_test") {
		t.Errorf("-h shows the API key: %s", errOut.String())
	}
}

// cliServer is a `signet serve` binary and the environment that points
// the client commands at it.
type cliServer struct {
	bin string
	env []string
}

// signet runs the binary as a client command and returns its output and
// exit status.
func (s cliServer) signet(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), s.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// ok runs a command that must succeed and decodes its --json output into v.
func (s cliServer) ok(t *testing.T, v any, args ...string) string {
	t.Helper()
	out, errOut, code := s.signet(t, args...)
	if code != 0 {
		t.Fatalf("signet %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("signet %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return out
}

// fails runs a command that must exit 1 with a problem of status on
// stderr (as JSON when the command has --json).
func (s cliServer) fails(t *testing.T, status int, args ...string) {
	t.Helper()
	_, errOut, code := s.signet(t, args...)
	if code != 1 {
		t.Fatalf("signet %s: exit %d, want 1\n%s", strings.Join(args, " "), code, errOut)
	}
	var p api.Problem
	if json.Unmarshal([]byte(errOut), &p) == nil {
		if p.Status != status || p.Detail == "" {
			t.Fatalf("signet %s: problem %+v, want status %d", strings.Join(args, " "), p, status)
		}
		return
	}
	if !strings.HasPrefix(errOut, fmt.Sprintf("signet: %d ", status)) {
		t.Fatalf("signet %s: stderr %q is not a %d problem", strings.Join(args, " "), errOut, status)
	}
}

// TestClientCommands runs the client commands, as a user would, against a
// running `signet serve`: exit statuses, --json output and problems.
func TestClientCommands(t *testing.T) {
	t.Parallel()
	bin := signetBinary(t)
	_, base, key := serveBinary(t, bin, "--database", testDatabase(t), "--sandbox", "--poll-interval", "1s")
	s := cliServer{bin: bin, env: []string{"SIGNET_URL=" + base, "SIGNET_API_KEY=" + key}}
	doc := filepath.Join(t.TempDir(), "loan.pdf")
	if err := os.WriteFile(doc, contractPDF, 0o600); err != nil {
		t.Fatal(err)
	}

	var providers api.ProviderList
	s.ok(t, &providers, "providers", "--json")
	if len(providers.Providers) == 0 || !strings.Contains(s.ok(t, nil, "providers"), "signzy") {
		t.Fatalf("providers: %+v", providers)
	}

	// Create, with a comma escaped in a signer's value.
	var created api.Session
	s.ok(t, &created, "sessions", "create", "--json", "--document", doc, "--order", "cli-1", "--provider", "signzy",
		"--signer", `name=Rao\, Asha,email=asha@example.com`, "--metadata", "segment=retail", "--return-url", "https://example.com/done", "--expires-in", "2d")
	if created.Status != api.StatusPending || created.OrderID != "cli-1" || created.Metadata["segment"] != "retail" ||
		!jsonEqual(created.SignerDetails, `{"email":"asha@example.com","name":"Rao, Asha"}`) || created.ExpiresAt.Sub(created.CreatedAt) < 47*time.Hour {
		t.Fatalf("created %+v", created)
	}
	id := created.SigningSessionID

	var got api.Session
	s.ok(t, &got, "sessions", "get", id, "--json")
	if got.SigningSessionID != id {
		t.Errorf("get: %+v", got)
	}
	if table := s.ok(t, nil, "sessions", "get", id); !regexp.MustCompile(`(?m)^STATUS +PENDING$`).MatchString(table) || !strings.Contains(table, id) {
		t.Errorf("get table:\n%s", table)
	}
	var list api.SessionList
	s.ok(t, &list, "sessions", "list", "--order", "cli-1", "--json")
	if len(list.Data) != 1 || list.Data[0].SigningSessionID != id {
		t.Errorf("list --order: %+v", list)
	}
	// --url wins over SIGNET_URL.
	bad := cliServer{bin: bin, env: []string{"SIGNET_URL=http://127.0.0.1:1", "SIGNET_API_KEY=" + key}}
	bad.ok(t, &list, "sessions", "list", "--url", base, "--status", "PENDING", "--limit", "1", "--json")
	if len(list.Data) != 1 {
		t.Errorf("list --limit 1: %d sessions", len(list.Data))
	}
	var refreshed api.Session
	s.ok(t, &refreshed, "sessions", "refresh", id, "--json")
	var events api.EventList
	s.ok(t, &events, "sessions", "events", id, "--json")
	if len(events.Data) == 0 || events.Data[0].Type != api.EventCreated {
		t.Errorf("events: %+v", events)
	}

	// The signer signs; wait sees it, the document downloads.
	providertest.SubmitForm(t, created.RedirectURL, "sign")
	var done api.Session
	s.ok(t, &done, "sessions", "wait", id, "--timeout", "30s", "--json")
	if done.Status != api.StatusCompleted {
		t.Fatalf("wait: %+v", done)
	}
	file := filepath.Join(t.TempDir(), "signed.pdf")
	s.ok(t, nil, "sessions", "document", id, "-o", file)
	if pdfBytes, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(pdfBytes, []byte("%PDF-")) {
		t.Errorf("document -o: %v, %.10q", err, pdfBytes)
	}
	if out := s.ok(t, nil, "sessions", "document", id); !strings.HasPrefix(out, "%PDF-") {
		t.Errorf("document to stdout: %.10q", out)
	}
	auditFile := filepath.Join(t.TempDir(), "audit.pdf")
	s.ok(t, nil, "sessions", "audit-certificate", id, "-o", auditFile)
	if cert, err := os.ReadFile(auditFile); err != nil || !bytes.HasPrefix(cert, []byte("%PDF-")) {
		t.Errorf("audit-certificate -o: %v, %.10q", err, cert)
	}

	// Errors the API answers: exit 1, the problem on stderr.
	s.fails(t, 409, "sessions", "cancel", id, "--json")
	s.fails(t, 409, "sessions", "cancel", id)
	s.fails(t, 404, "sessions", "get", "0196f0c2-0000-7000-8000-000000000000")
	s.fails(t, 400, "sessions", "create", "--document", doc, "--order", "cli-2", "--provider", "nope", "--signer", "name=A")
	wrongKey := cliServer{bin: bin, env: []string{"SIGNET_URL=" + base, "SIGNET_API_KEY=sk_wrong"}}
	wrongKey.fails(t, 401, "providers")
	if _, _, code := s.signet(t, "sessions", "get"); code != 2 {
		t.Errorf("missing ID: exit %d, want 2", code)
	}

	// create --wait prints the session once it has ended.
	cmd := exec.Command(bin, "sessions", "create", "--wait", "--timeout", "60s", "--document", doc, "--order", "cli-3",
		"--provider", "signzy", "--signer", "name=Asha Rao,email=asha@example.com")
	cmd.Env = append(os.Environ(), s.env...)
	stderr, _ := cmd.StderrPipe()
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stderr).ReadString('\n')
	m := regexp.MustCompile(`signs at (\S+)\)`).FindStringSubmatch(line)
	if m == nil {
		cmd.Process.Kill()
		t.Fatalf("create --wait said %q", line)
	}
	providertest.SubmitForm(t, m[1], "decline")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("create --wait: %v", err)
	}
	if !regexp.MustCompile(`(?m)^STATUS +FAILED$`).MatchString(out.String()) || !strings.Contains(out.String(), "FAILURE ") {
		t.Errorf("create --wait printed:\n%s", out.String())
	}
}

func TestWebhookCommands(t *testing.T) {
	t.Parallel()
	bin := signetBinary(t)
	_, base, key := serveBinary(t, bin, "--database", testDatabase(t), "--sandbox")
	s := cliServer{bin: bin, env: []string{"SIGNET_URL=" + base, "SIGNET_API_KEY=" + key}}
	var mu sync.Mutex
	hits := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	defer receiver.Close()

	var hook api.WebhookEndpoint
	s.ok(t, &hook, "webhooks", "create", receiver.URL, "--event", "signing.created", "--event", "signing.cancelled", "--json")
	if hook.ID == "" || !strings.HasPrefix(hook.Secret, "whsec_") || len(hook.Events) != 2 {
		t.Fatalf("webhooks create: %+v", hook)
	}
	var list api.WebhookEndpointList
	s.ok(t, &list, "webhooks", "list", "--json")
	if len(list.Data) != 1 || list.Data[0].ID != hook.ID || list.Data[0].Secret != "" {
		t.Errorf("webhooks list: %+v", list)
	}
	if table := s.ok(t, nil, "webhooks", "list"); !strings.Contains(table, hook.ID) || !strings.HasPrefix(table, "ID ") {
		t.Errorf("webhooks list table:\n%s", table)
	}

	doc := filepath.Join(t.TempDir(), "loan.pdf")
	os.WriteFile(doc, contractPDF, 0o600)
	s.ok(t, nil, "sessions", "create", "--document", doc, "--order", "hook-1", "--provider", "signzy", "--signer", "name=A")
	var deliveries api.DeliveryList
	for deadline := time.Now().Add(20 * time.Second); len(deliveries.Data) == 0 && time.Now().Before(deadline); {
		s.ok(t, &deliveries, "webhooks", "deliveries", hook.ID, "--json")
		time.Sleep(50 * time.Millisecond)
	}
	if len(deliveries.Data) != 1 || !deliveries.Data[0].Succeeded || deliveries.Data[0].EventType != api.EventCreated {
		t.Fatalf("deliveries: %+v", deliveries)
	}
	if out := s.ok(t, nil, "webhooks", "delete", hook.ID); !strings.Contains(out, hook.ID) {
		t.Errorf("delete said %q", out)
	}
	s.fails(t, 404, "webhooks", "delete", hook.ID)
	s.fails(t, 400, "webhooks", "create", "not a url", "--json")
}

func jsonEqual(a json.RawMessage, b string) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}
