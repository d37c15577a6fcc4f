package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/mail/mailtest"
	"github.com/signet-dev/signet/internal/pki/pkitest"
	"github.com/signet-dev/signet/internal/web"
)

// syncBuffer is a log sink the server writes from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAccessLog: one structured line per request, naming the route
// pattern (never the raw path), the status, the tenant and the request
// id, which the response echoes.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := startLogged(t, &logs, "--log-level", "info", "--log-format", "json")
	s := h.create("access-log")
	id := str(s["signingSessionId"])
	got := h.do("GET", "/signing/"+id, h.key, nil, "X-Request-Id", "req-abcdef-123")
	if got.header.Get("X-Request-Id") != "req-abcdef-123" {
		t.Errorf("X-Request-Id echoed as %q", got.header.Get("X-Request-Id"))
	}
	if fresh := h.do("GET", "/healthz", "", nil).header.Get("X-Request-Id"); len(fresh) < 16 {
		t.Errorf("no request id made for a request without one: %q", fresh)
	}
	h.do("GET", "/signing/"+id+"/nope", h.key, nil)

	var lines []map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	find := func(requestID string) map[string]any {
		for _, l := range lines {
			if l["requestId"] == requestID {
				return l
			}
		}
		return nil
	}
	l := find("req-abcdef-123")
	if l == nil {
		t.Fatalf("no access-log line for the request; lines: %v", lines)
	}
	sess, err := h.main.store.SessionByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if l["method"] != "GET" || l["route"] != "GET /signing/{id}" || l["status"] != 200.0 || l["tenant"] != "acme" ||
		l["tenantId"] != sess.TenantID || l["duration"] == nil {
		t.Errorf("access-log line %v", l)
	}
	for _, l := range lines {
		if strings.Contains(str(l["route"]), id) {
			t.Errorf("a line names the raw path: %v", l)
		}
		if l["status"] == 404.0 && (l["route"] != "unmatched" || l["err"] == nil) {
			t.Errorf("404 line %v: want route unmatched and the error", l)
		}
	}
}

// logLines are the JSON lines of a log.
func logLines(log string) []map[string]any {
	var lines []map[string]any
	for _, l := range strings.Split(log, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// TestSessionLifecycleLogs: an info line for every session created, in
// progress, completed, failed, expired and cancelled, naming the session,
// its tenant, its provider and the status (and a failure's reason), and
// one for each failed attempt of a webhook delivery and its giving up.
func TestSessionLifecycleLogs(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := startLogged(t, &logs, "--log-level", "info", "--log-format", "json", "--webhook-retries", "200ms")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer receiver.Close()
	hook := h.expect(h.do("POST", "/webhooks", h.key, map[string]any{"url": receiver.URL, "events": []string{"signing.completed"}}), 201).json(t)

	signed := str(h.create("lifecycle-sign")["signingSessionId"])
	h.signAtProvider(str(h.get(signed)["redirectUrl"]), "sign")
	h.waitStatus(signed, "COMPLETED")

	declined := h.create("lifecycle-decline")
	h.signAtProvider(str(declined["redirectUrl"]), "decline")
	failed := h.waitStatus(str(declined["signingSessionId"]), "FAILED")

	opened := h.expect(h.do("POST", "/signing", h.key, localBody("lifecycle-open", "Bo Ek|bo@example.com")), 201).json(t)
	newSigner(t).open(str(opened["redirectUrl"]))
	h.waitStatus(str(opened["signingSessionId"]), "IN_PROGRESS")
	h.expect(h.do("DELETE", "/signing/"+str(opened["signingSessionId"]), h.key, nil), 200)

	body := createBody("lifecycle-expire")
	body["expiresAt"] = h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	expiring := str(h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)["signingSessionId"])
	h.clock.Advance(time.Hour + time.Second)
	h.waitStatus(expiring, "EXPIRED")

	sess, err := h.main.store.SessionByID(context.Background(), signed)
	if err != nil {
		t.Fatal(err)
	}
	tenantID := sess.TenantID // the access log names the same id beside the tenant's name
	want := []struct{ msg, session, provider, status string }{
		{"session created", signed, "signzy", "PENDING"},
		{"session completed", signed, "signzy", "COMPLETED"},
		{"session created", str(declined["signingSessionId"]), "signzy", "PENDING"},
		{"session failed", str(declined["signingSessionId"]), "signzy", "FAILED"},
		{"session created", str(opened["signingSessionId"]), "local", "PENDING"},
		{"session in progress", str(opened["signingSessionId"]), "local", "IN_PROGRESS"},
		{"session cancelled", str(opened["signingSessionId"]), "local", "CANCELLED"},
		{"session created", expiring, "signzy", "PENDING"},
		{"session expired", expiring, "signzy", "EXPIRED"},
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines := logLines(logs.String())
		var missing []string
		for _, w := range want {
			var line map[string]any
			for _, l := range lines {
				if l["msg"] == w.msg && l["session"] == w.session {
					line = l
				}
			}
			switch {
			case line == nil:
				missing = append(missing, fmt.Sprintf("no %q line for %s", w.msg, w.session))
			case line["level"] != "INFO" || line["tenantId"] != tenantID || line["provider"] != w.provider || line["status"] != w.status:
				t.Fatalf("%q line %v; want level INFO, tenantId %s, provider %s, status %s", w.msg, line, tenantID, w.provider, w.status)
			case w.status == "FAILED" && (line["reason"] == nil || line["reason"] != failed["failureReason"]):
				t.Fatalf("%q line %v; want the reason %q", w.msg, line, failed["failureReason"])
			}
		}
		var retry, gaveUp map[string]any
		for _, l := range lines {
			switch l["msg"] {
			case "webhook delivery failed; will retry":
				retry = l
			case "webhook delivery failed for good":
				gaveUp = l
			}
		}
		switch {
		case retry == nil:
			missing = append(missing, "no line for the failed webhook attempt")
		case retry["level"] != "INFO" || retry["endpoint"] != hook["id"] || retry["event"] != "signing.completed" ||
			retry["delivery"] == nil || retry["attempt"] != 1.0 || retry["status"] != 503.0 || retry["nextAttempt"] == nil:
			t.Fatalf("failed attempt line %v", retry)
		}
		switch {
		case gaveUp == nil:
			missing = append(missing, "no line for the webhook delivery given up")
		case gaveUp["level"] != "WARN" || gaveUp["endpoint"] != hook["id"] || gaveUp["event"] != "signing.completed" ||
			gaveUp["delivery"] != retry["delivery"] || gaveUp["attempts"] != 2.0 || gaveUp["status"] != 503.0:
			t.Fatalf("given-up delivery line %v", gaveUp)
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s\nlog:\n%s", strings.Join(missing, "\n"), logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLogsHoldNoSecrets runs whole signings with every credential in play
// at debug level — every sandbox provider and local (its one-time codes
// mailed through an SMTP server that wants a password), a seal given as
// a PEM file and a time-stamping authority behind a password (once
// down), a console operator signing in and making a key, refused
// requests on a signer's link, a webhook endpoint whose URL holds a token
// — and checks that no secret, key, token, code or document byte reaches
// the log. The one API key logged on purpose is the first-run key of an
// empty database, once.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	const smtpPassword, tsaPassword, operatorPassword = "smtp-pa55word-not-for-logs", "tsa-pa55word-not-for-logs", "operator pa55word not for logs"
	smtp := mailtest.Start(t, mailtest.Options{Username: "signet", Password: smtpPassword})
	mail := mailbox{t: t, srv: smtp}
	tsa := pkitest.NewTSA(t)
	var tsaDown atomic.Bool // then it answers 500, and the errors name its URL
	tsaFront := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tsaDown.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		tsa.ServeHTTP(w, r)
	}))
	defer tsaFront.Close()
	tsaURL, _ := url.Parse(tsaFront.URL)
	tsaURL.User = url.UserPassword("signet", tsaPassword)
	sealPEM, err := pkitest.Credential(t, "Signet Logs Test Seal").MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	sealFile := filepath.Join(t.TempDir(), "seal.pem")
	if err := os.WriteFile(sealFile, sealPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	h := startLogged(t, &logs, "--log-level", "debug", "--log-format", "json", "--smtp-url", smtp.URL(),
		"--mail-from", "signet@example.com", "--seal-cert", sealFile, "--tsa-url", tsaURL.String())
	if !strings.Contains(smtp.URL(), smtpPassword) {
		t.Fatalf("the SMTP URL %s holds no password", smtp.URL())
	}
	secrets := map[string]string{"SMTP password": smtpPassword, "TSA password": tsaPassword, "operator password": operatorPassword}
	if u, err := url.Parse(h.main.Config.Database); err == nil { // on PostgreSQL
		if p, _ := u.User.Password(); len(p) >= 8 {
			secrets["database password"] = p
		}
	}
	for rest := sealPEM; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if strings.Contains(block.Type, "PRIVATE KEY") {
			body := base64.StdEncoding.EncodeToString(block.Bytes)
			secrets["seal key (PEM body)"], secrets["seal key (end of PEM body)"] = body[:48], body[len(body)-48:]
		}
	}
	if secrets["seal key (PEM body)"] == "" {
		t.Fatal("the seal file holds no private key")
	}

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusServiceUnavailable) // a failed delivery is logged too
	}))
	defer receiver.Close()
	hook := h.expect(h.do("POST", "/webhooks", h.key, map[string]any{"url": receiver.URL}), 201).json(t)
	secrets["API key"], secrets["webhook secret"] = h.key, str(hook["secret"])
	secrets["webhook key"] = strings.TrimPrefix(str(hook["secret"]), "whsec_")
	// An endpoint whose URL carries the receiver's own token, where
	// nothing listens: the connection is refused.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	const urlToken = "receivers-url-token-not-for-logs"
	h.expect(h.do("POST", "/webhooks", h.key, map[string]any{"url": "http://" + closed.Addr().String() + "/hooks?token=" + urlToken}), 201)
	secrets["webhook URL token"] = urlToken

	pair := h.expect(h.do("POST", "/auth/token", h.key, nil), 200).json(t)
	secrets["access token"], secrets["refresh token"] = str(pair["accessToken"]), str(pair["refreshToken"])
	h.expect(h.do("GET", "/auth/ping", "", nil, "Authorization", "Bearer "+str(pair["accessToken"])), 200)
	again := h.expect(h.do("POST", "/auth/refresh", "", map[string]any{"refreshToken": pair["refreshToken"]}), 200).json(t)
	secrets["second refresh token"] = str(again["refreshToken"])

	for _, name := range []string{"signzy-token", "signzy-callback", "leegality-token", "leegality-salt", "digio-client-secret", "digio-webhook-secret"} {
		v, err := h.main.store.Secret(context.Background(), "sandbox-"+name, nil)
		if err != nil {
			t.Fatalf("sandbox secret %s: %v", name, err)
		}
		secrets["sandbox "+name] = string(v)
	}
	linkToken := func(what, redirectURL string) {
		if token, ok := strings.CutPrefix(redirectURL, h.base+"/s/"); ok {
			secrets[what+" signer link token"] = token
		}
	}
	for _, provider := range sandboxProviders {
		s := h.createAt(provider, "logs-"+provider)
		id := str(s["signingSessionId"])
		linkToken(provider, str(s["redirectUrl"]))
		h.signAtProvider(str(s["redirectUrl"]), "sign")
		h.waitStatus(id, "COMPLETED")
		doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
		secrets[provider+" signed document"] = base64.StdEncoding.EncodeToString(doc[len(doc)/2 : len(doc)/2+48])
		h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200)
	}
	secrets["original document (base64)"] = base64.StdEncoding.EncodeToString(contractPDF[200:248])
	secrets["original document"] = string(contractPDF[200:248])

	// Local: a wrong code, a refused form, then the code from the mail.
	s := h.expect(h.do("POST", "/signing", h.key, localBody("logs-local", "Asha Rao|asha@example.com")), 201).json(t)
	id := str(s["signingSessionId"])
	linkToken("local", str(s["redirectUrl"]))
	if secrets["local signer link token"] == "" {
		t.Fatalf("local's redirectUrl %v is not a signer link", s["redirectUrl"])
	}
	mail.srv.Wait(context.Background(), "asha@example.com") // the invitation
	sg := newSigner(t)
	sg.open(str(s["redirectUrl"]))
	sg.sendCode()
	code := mail.code("asha@example.com")
	wrong := map[bool]string{true: "111111", false: "000000"}[code == "000000"]
	if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {wrong}, "signature": {"Asha Rao"}}); status != http.StatusOK {
		t.Fatalf("wrong code: %d", status)
	}
	if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {code}, "signature": {"Asha Rao"}, web.FormTokenField: {"forged"}}); status != http.StatusForbidden {
		t.Fatalf("a forged form token: %d, want 403", status)
	}
	sg.get(sg.page + "?step=code")
	if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {code}, "signature": {"Asha Rao"}}); status != http.StatusSeeOther {
		t.Fatalf("sign: %d\n%s", status, sg.body)
	}
	h.waitStatus(id, "COMPLETED")
	// Paths holding the token that no route takes, and a cross-site post.
	link := str(s["redirectUrl"])
	for _, r := range []struct {
		method, url string
		status      int
	}{{"POST", link, 405}, {"GET", link + "/nope", 404}, {"POST", link + "/sign", 403}} {
		req, _ := http.NewRequest(r.method, r.url, strings.NewReader("action=sign"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != r.status {
			t.Errorf("%s %s: %d, want %d", r.method, r.url, resp.StatusCode, r.status)
		}
	}
	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	secrets["local signed document"] = base64.StdEncoding.EncodeToString(doc[len(doc)/2 : len(doc)/2+48])
	h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200)
	h.expect(h.do("GET", "/signing/"+id+"/verification", h.key, nil), 200)
	if tsa.Requests() == 0 {
		t.Error("nothing was time-stamped: the TSA was not in play")
	}
	tsaDown.Store(true)
	h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 503)
	tsaDown.Store(false)

	// The console: a wrong password, a sign-in, a new API key.
	var out, errOut bytes.Buffer
	if code := runIO(context.Background(), []string{"admin", "create", "--email", "ops@example.com", "--database", h.main.Config.Database},
		noEnv, strings.NewReader(operatorPassword+"\n"), &out, &errOut); code != 0 {
		t.Fatalf("admin create: %d %s", code, errOut.String())
	}
	op := newSigner(t)
	op.page = h.base + "/console/login"
	op.get(op.page)
	if status, _ := op.post(url.Values{"email": {"ops@example.com"}, "password": {"wrong " + operatorPassword}}); status != http.StatusUnauthorized {
		t.Fatalf("a wrong password: %d", status)
	}
	if status, loc := op.post(url.Values{"email": {"ops@example.com"}, "password": {operatorPassword}}); status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %q", status, loc)
	}
	console, _ := url.Parse(h.base + "/console/")
	for _, c := range op.browser.Jar.Cookies(console) {
		secrets["console cookie "+c.Name] = c.Value
	}
	if secrets["console cookie signet_console"] == "" {
		t.Fatal("no console cookie after signing in")
	}
	op.page = h.base + "/console/keys"
	if status := op.get(op.page); status != http.StatusOK {
		t.Fatalf("console keys: %d", status)
	}
	op.body = op.body[strings.Index(op.body, `<form method="post" action="/console/keys"`):]
	if status, _ := op.post(url.Values{"tenant": {"initech"}}); status != http.StatusOK {
		t.Fatalf("console: create key: %d", status)
	}
	m := regexp.MustCompile(`id="new-key">([^<]+)<`).FindStringSubmatch(op.body)
	if m == nil {
		t.Fatalf("the console shows no new key:\n%s", op.body)
	}
	secrets["API key made in the console"] = m[1]

	log := logs.String()
	for _, want := range []string{`"msg":"request"`, "session completed", `"provider":"local"`, "operator signed in", "API key created"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the log lacks %s; it is not what the test expects:\n%.3000s", want, log)
		}
	}
	for what, secret := range secrets {
		if len(secret) < 8 {
			t.Fatalf("%s is too short to look for: %q", what, secret)
		}
		if strings.Contains(log, secret) {
			t.Errorf("the log holds the %s:\n%s", what, grepLines(log, secret))
		}
	}
	// The TSA's failure is in the log (its URL without the password).
	failed := false
	for _, l := range logLines(log) {
		failed = failed || l["msg"] == "request" && l["status"] == 503.0 && strings.Contains(str(l["err"]), "tsa http://signet:xxxxx@")
	}
	if !failed {
		t.Error("no access-log line says why the audit certificate could not be sealed")
	}
	// The six-digit codes, anywhere but in a timestamp.
	digits := regexp.MustCompile(`(^|[^0-9])(` + code + `|` + wrong + `)([^0-9]|$)`)
	for _, l := range logLines(log) {
		delete(l, "time")
		if b, _ := json.Marshal(l); digits.Match(b) {
			t.Errorf("a log line holds a one-time code: %s", b)
		}
	}
	if n := strings.Count(log, "sk_"); n != 1 || !strings.Contains(log, `created tenant \"default\" with an API key`) {
		t.Errorf("the log shows %d API keys; want only the first-run key, once", n)
	}
	for _, bad := range []string{"%PDF-", "PRIVATE KEY"} {
		if strings.Contains(log, bad) {
			t.Errorf("the log holds %q", bad)
		}
	}
}

// TestCutBodiesAreTheClientsFault: on every route that reads a body, a
// body cut short of its Content-Length answers 400 (or the connection is
// closed), never 5xx, and logs no error.
func TestCutBodiesAreTheClientsFault(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := startLogged(t, &logs, "--log-level", "info", "--log-format", "json")
	id := str(h.create("cut-bodies")["signingSessionId"])
	addr := strings.TrimPrefix(h.base, "http://")
	for _, path := range []string{"/signing", "/callbacks/signzy", "/callbacks/leegality", "/callbacks/digio", "/auth/refresh",
		"/webhooks", "/signing/" + id + "/refresh", "/auth/token"} {
		for _, idem := range []bool{false, true} {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			head := "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nX-API-Key: " + h.key + "\r\n"
			if idem {
				head += "X-Idempotency-Key: cut-" + path + "\r\n"
			}
			fmt.Fprint(conn, head+"\r\n"+`{"orderId":"x","signerDetails":{"na`)
			conn.(*net.TCPConn).CloseWrite()
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			// Routes that take no body (refresh, token) never read it, so
			// without an idempotency key (which fingerprints the body) they
			// may succeed.
			noBody := (strings.HasSuffix(path, "/refresh") && path != "/auth/refresh") || path == "/auth/token"
			if noBody && (!idem || path == "/auth/token") && strings.HasPrefix(line, "HTTP/1.1 200") {
				continue
			}
			if line != "" && !strings.HasPrefix(line, "HTTP/1.1 400") && !strings.HasPrefix(line, "HTTP/1.1 401") {
				t.Errorf("POST %s (idempotency key %v) with a cut body: %q, want 400 or a closed connection", path, idem, strings.TrimSpace(line))
			}
		}
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			t.Errorf("error logged for a client's cut body: %s", l)
		}
	}
}
