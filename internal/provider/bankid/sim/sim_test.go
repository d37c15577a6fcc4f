package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/simtest"
)

const testPNR = "199001011239"

type env struct {
	*simtest.Env // plain HTTP, as Signet's main listener
	sim          *Server
	api          *httptest.Server // mutual TLS
	client       *http.Client     // the relying party
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pki, err := NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{Env: simtest.NewEnv(t)}
	e.sim, err = New(Config{BaseURL: e.Srv.URL + "/sandbox/bankid", RPCommonName: pki.ClientCommonName, Now: e.Clock.Now})
	e.sim = simtest.Serve(e.Env, "/sandbox/bankid", e.sim, err)
	e.api = simtest.ServeTLS(t, e.sim, pki.ServerTLS)
	e.client = &http.Client{Transport: &http.Transport{TLSClientConfig: pki.ClientTLS}}
	t.Cleanup(e.client.CloseIdleConnections)
	return e
}

// call posts body to the RP API and returns the status and decoded answer.
func (e *env) call(path string, body any) (int, map[string]any) {
	e.T.Helper()
	b, _ := json.Marshal(body)
	resp, err := e.client.Post(e.api.URL+APIPath+path, "application/json", bytes.NewReader(b))
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		e.T.Fatalf("%s: answer is not JSON: %v", path, err)
	}
	return resp.StatusCode, m
}

func signBodyFor(pnr string) map[string]any {
	return map[string]any{
		"endUserIp":             "127.0.0.1",
		"userVisibleData":       base64.StdEncoding.EncodeToString([]byte("# Sign\nloan.pdf")),
		"userVisibleDataFormat": "simpleMarkdownV1",
		"userNonVisibleData":    base64.StdEncoding.EncodeToString([]byte("session-1")),
		"requirement":           map[string]any{"personalNumber": pnr},
	}
}

func (e *env) sign(body map[string]any) string {
	e.T.Helper()
	code, m := e.call("/sign", body)
	if code != 200 {
		e.T.Fatalf("sign: %d %v", code, m)
	}
	for _, k := range []string{"orderRef", "autoStartToken", "qrStartToken", "qrStartSecret"} {
		if s, _ := m[k].(string); len(s) != 36 {
			e.T.Errorf("sign answer %s = %v", k, m[k])
		}
	}
	return m["orderRef"].(string)
}

func (e *env) collect(ref string) map[string]any {
	e.T.Helper()
	code, m := e.call("/collect", map[string]any{"orderRef": ref})
	if code != 200 {
		e.T.Fatalf("collect: %d %v", code, m)
	}
	return m
}

func wantCollect(t *testing.T, m map[string]any, status, hint string) {
	t.Helper()
	got, _ := m["hintCode"].(string)
	if m["status"] != status || got != hint {
		t.Fatalf("collect = %v/%v, want %s/%s", m["status"], m["hintCode"], status, hint)
	}
}

func wantError(t *testing.T, code int, m map[string]any, wantCode int, errorCode, details string) {
	t.Helper()
	if code != wantCode || m["errorCode"] != errorCode || (details != "" && m["details"] != details) {
		t.Fatalf("got %d %v, want %d %s %q", code, m, wantCode, errorCode, details)
	}
}

func TestHintProgressionAndCompletion(t *testing.T) {
	e := newEnv(t)
	ref := e.sign(signBodyFor(testPNR))
	wantCollect(t, e.collect(ref), "pending", "outstandingTransaction")

	// The app opens the order (the screen a QR scan or autostart leads to).
	resp, err := http.Get(e.sim.AppURL(ref))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("loan.pdf")) || !bytes.Contains(page, []byte(`value="sign"`)) {
		t.Fatalf("app screen: %d\n%s", resp.StatusCode, page)
	}
	wantCollect(t, e.collect(ref), "pending", "started")
	wantCollect(t, e.collect(ref), "pending", "userSign")

	e.Clock.Add(time.Second)
	resp = e.Press(e.sim.AppURL(ref), "sign")
	if resp.StatusCode != 200 { // no returnUrl: the app shows the outcome
		t.Fatalf("sign: %d", resp.StatusCode)
	}
	m := e.collect(ref)
	wantCollect(t, m, "complete", "")
	if _, ok := m["hintCode"]; ok {
		t.Error("a complete answer has a hintCode")
	}
	cd := m["completionData"].(map[string]any)
	user := cd["user"].(map[string]any)
	device := cd["device"].(map[string]any)
	if user["personalNumber"] != testPNR || user["name"] != user["givenName"].(string)+" "+user["surname"].(string) ||
		device["ipAddress"] != "127.0.0.1" || device["uhi"] == "" || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(cd["bankIdIssueDate"].(string)) {
		t.Errorf("completionData %v", cd)
	}
	cert := checkSignatureXML(t, e.sim.UserCA(), cd["signature"].(string), "# Sign\nloan.pdf")
	if cert.Subject.SerialNumber != testPNR || cert.Subject.CommonName != user["name"] {
		t.Errorf("the signer's certificate names %q (%s), want %v (%s)", cert.Subject.CommonName, cert.Subject.SerialNumber, user["name"], testPNR)
	}
	checkOCSP(t, e.sim.UserCA(), cert, cd["ocspResponse"].(string), cd["signature"].(string))

	// BankID hands a finished order out once.
	code, m := e.call("/collect", map[string]any{"orderRef": ref})
	wantError(t, code, m, 400, "invalidParameters", "No such order")
	if _, ok := e.sim.Order(ref); ok {
		t.Error("the simulator still has the collected order")
	}
}

func TestCollectOnce(t *testing.T) {
	e := newEnv(t)
	signed, declined := e.sign(signBodyFor(testPNR)), e.sign(signBodyFor("201212121212"))
	if err := e.sim.Sign(signed, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Decline(declined); err != nil {
		t.Fatal(err)
	}
	// A pending order can be collected any number of times; a finished one
	// once, complete or failed.
	pending := e.sign(signBodyFor("198112189876"))
	for range 3 {
		wantCollect(t, e.collect(pending), "pending", "outstandingTransaction")
	}
	wantCollect(t, e.collect(signed), "complete", "")
	wantCollect(t, e.collect(declined), "failed", "userCancel")
	for _, ref := range []string{signed, declined} {
		code, m := e.call("/collect", map[string]any{"orderRef": ref})
		wantError(t, code, m, 400, "invalidParameters", "No such order")
	}
	// The person may start a new order once theirs is finished.
	e.sign(signBodyFor(testPNR))
}

func TestStartWindow(t *testing.T) {
	pki, err := NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := simtest.NewClock(simtest.Epoch)
	s, err := New(Config{BaseURL: "http://127.0.0.1/sandbox/bankid", RPCommonName: pki.ClientCommonName, Now: clock.Now, StartWindow: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	ref := e.sign(signBodyFor(testPNR))
	scanned := e.sign(signBodyFor("201212121212"))
	e.Clock.Add(29 * time.Second)
	if err := e.sim.Open(scanned); err != nil {
		t.Fatal(err)
	}
	wantCollect(t, e.collect(ref), "pending", "outstandingTransaction")
	e.Clock.Add(time.Second)
	// Nobody picked it up within 30 s: BankID ends it.
	wantCollect(t, e.collect(ref), "failed", "startFailed")
	if err := e.sim.Sign(ref, "10.0.0.1"); err != ErrUnknownOrder {
		t.Errorf("signing an order that failed to start: %v", err)
	}
	// The picked-up one lives on: the window is only for picking up.
	wantCollect(t, e.collect(scanned), "pending", "started")
	// The person is free for a new order at once.
	e.sign(signBodyFor(testPNR))

	// The window is configurable.
	if s.cfg.StartWindow != 5*time.Second || s.cfg.OrderTTL != DefaultOrderTTL {
		t.Errorf("config %+v", s.cfg)
	}
	if def, _ := New(Config{BaseURL: "http://127.0.0.1/sandbox/bankid"}); def.cfg.StartWindow != 30*time.Second {
		t.Errorf("default start window %v, want BankID's 30 s", def.cfg.StartWindow)
	}
}

func TestDeclineRedirectsToReturnURL(t *testing.T) {
	e := newEnv(t)
	body := signBodyFor(testPNR)
	body["returnUrl"] = "https://signet.example/bankid/s?t=x"
	ref := e.sign(body)
	resp := e.Press(e.Srv.URL+"/sandbox/bankid/app/"+ref, "decline")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://signet.example/bankid/s?t=x" {
		t.Fatalf("decline: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantCollect(t, e.collect(ref), "failed", "userCancel")
	resp = e.Press(e.sim.AppURL(ref), "maybe")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("action=maybe: %d", resp.StatusCode)
	}
}

func TestRPAPIRequiresMutualTLS(t *testing.T) {
	e := newEnv(t)
	// Through the plain-HTTP mount: no client certificate at all.
	resp, err := http.Post(e.Srv.URL+"/sandbox/bankid/rp/v6.0/sign", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	wantError(t, resp.StatusCode, m, 401, "unauthorized", "")

	// Without a certificate, the TLS handshake itself fails.
	bare := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.client.Transport.(*http.Transport).TLSClientConfig.RootCAs}}}
	if resp, err := bare.Post(e.api.URL+APIPath+"/collect", "application/json", strings.NewReader(`{"orderRef":"x"}`)); err == nil {
		resp.Body.Close()
		t.Fatalf("a client without certificate got %d", resp.StatusCode)
	}
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t)
	do := func(method, path, ctype, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, m := do("GET", APIPath+"/collect", "", "")
	wantError(t, code, m, 405, "methodNotAllowed", "")
	code, m = do("POST", APIPath+"/collect", "text/plain", `{"orderRef":"x"}`)
	wantError(t, code, m, 415, "unsupportedMediaType", "")
	code, m = do("POST", APIPath+"/collect", "application/json; charset=utf-8", `{"orderRef":`)
	wantError(t, code, m, 400, "invalidParameters", "Invalid JSON")
	code, m = do("POST", APIPath+"/auth2", "application/json", `{}`)
	wantError(t, code, m, 404, "notFound", "")
	code, m = do("POST", "/rp/v5.1/sign", "application/json", `{}`)
	wantError(t, code, m, 404, "notFound", "")
	code, m = do("POST", APIPath+"/collect", "application/json", `{}`)
	wantError(t, code, m, 400, "invalidParameters", "Invalid orderRef")
	code, m = do("POST", APIPath+"/collect", "application/json", `{"orderRef":"nope"}`)
	wantError(t, code, m, 400, "invalidParameters", "No such order")
}

func TestSignValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		mutate  func(map[string]any)
		details string
	}{
		{func(b map[string]any) { delete(b, "endUserIp") }, "Invalid endUserIp"},
		{func(b map[string]any) { b["endUserIp"] = "localhost" }, "Invalid endUserIp"},
		{func(b map[string]any) { delete(b, "userVisibleData") }, "Invalid userVisibleData"},
		{func(b map[string]any) { b["userVisibleData"] = "not base64!" }, "Invalid userVisibleData"},
		{func(b map[string]any) { b["userVisibleData"] = strings.Repeat("QUFB", 10001) }, "Invalid userVisibleData"},
		{func(b map[string]any) { b["userVisibleDataFormat"] = "html" }, "Invalid userVisibleDataFormat"},
		{func(b map[string]any) { b["userNonVisibleData"] = "%%" }, "Invalid userNonVisibleData"},
		{func(b map[string]any) { b["returnUrl"] = "/relative" }, "Invalid returnUrl"},
		{func(b map[string]any) { b["requirement"] = map[string]any{"personalNumber": "199001011238"} }, "Incorrect personalNumber"},
		{func(b map[string]any) { b["requirement"] = map[string]any{"personalNumber": "9001011239"} }, "Incorrect personalNumber"},
		{func(b map[string]any) { b["endUserIp"] = 7 }, "Invalid parameters: endUserIp"},
	}
	for _, tt := range tests {
		b := signBodyFor(testPNR)
		tt.mutate(b)
		code, m := e.call("/sign", b)
		wantError(t, code, m, 400, "invalidParameters", tt.details)
	}
	// Without a personal number anyone may sign.
	b := signBodyFor("")
	delete(b, "requirement")
	ref := e.sign(b)
	if err := e.sim.Sign(ref, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	m := e.collect(ref)
	if pn := m["completionData"].(map[string]any)["user"].(map[string]any)["personalNumber"]; pn != testPNR {
		t.Errorf("personalNumber %v", pn)
	}
}

func TestAlreadyInProgressCancelsTheOrderInProgress(t *testing.T) {
	e := newEnv(t)
	first := e.sign(signBodyFor(testPNR))
	other := e.sign(signBodyFor("201212121212")) // another person: no conflict
	code, m := e.call("/sign", signBodyFor(testPNR))
	wantError(t, code, m, 400, "alreadyInProgress", "")
	wantCollect(t, e.collect(first), "failed", "cancelled")
	wantCollect(t, e.collect(other), "pending", "outstandingTransaction")
	// With the first order finished, a new one may start.
	e.sign(signBodyFor(testPNR))
}

func TestExpiryAndRetention(t *testing.T) {
	e := newEnv(t)
	started := e.sign(signBodyFor(testPNR))
	done := e.sign(signBodyFor("201212121212"))
	if err := e.sim.Sign(done, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Open(started); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(2 * time.Minute)
	if err := e.sim.SetHint(started, "userSign"); err != nil { // action restarts the clock
		t.Fatal(err)
	}
	e.Clock.Add(59 * time.Second)
	wantCollect(t, e.collect(started), "pending", "userSign")
	e.Clock.Add(time.Second)
	code, m := e.call("/collect", map[string]any{"orderRef": done})
	wantError(t, code, m, 400, "invalidParameters", "No such order") // completed 3 min ago and never collected: forgotten
	e.Clock.Add(2 * time.Minute)
	wantCollect(t, e.collect(started), "failed", "expiredTransaction") // 3 min after the last action
	code, m = e.call("/collect", map[string]any{"orderRef": started})
	wantError(t, code, m, 400, "invalidParameters", "No such order")

	// A failed order nobody collects is forgotten after its retention.
	lost := e.sign(signBodyFor("198112189876"))
	e.Clock.Add(30*time.Second + DefaultFailedRetention)
	if _, ok := e.sim.Order(lost); ok {
		t.Error("a forgotten order is still there")
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	ref := e.sign(signBodyFor(testPNR))
	if code, m := e.call("/cancel", map[string]any{"orderRef": ref}); code != 200 || len(m) != 0 {
		t.Fatalf("cancel: %d %v", code, m)
	}
	// BankID forgets a cancelled order at once.
	code, m := e.call("/collect", map[string]any{"orderRef": ref})
	wantError(t, code, m, 400, "invalidParameters", "No such order")
	code, m = e.call("/cancel", map[string]any{"orderRef": ref})
	wantError(t, code, m, 400, "invalidParameters", "No such order")
	if err := e.sim.Sign(ref, "10.0.0.1"); err != ErrUnknownOrder {
		t.Errorf("Sign of a cancelled order: %v", err)
	}
	if err := e.sim.Expire("unknown"); err != ErrUnknownOrder {
		t.Errorf("Expire of an unknown order: %v", err)
	}
	// A finished order cannot be cancelled.
	done := e.sign(signBodyFor(testPNR))
	if err := e.sim.Decline(done); err != nil {
		t.Fatal(err)
	}
	code, m = e.call("/cancel", map[string]any{"orderRef": done})
	wantError(t, code, m, 400, "invalidParameters", "Order already failed")
	// The person is free for a new order.
	e.sign(signBodyFor(testPNR))
}

func TestQRScanAndAutostart(t *testing.T) {
	e := newEnv(t)
	code, m := e.call("/sign", signBodyFor(testPNR))
	if code != 200 {
		t.Fatal(m)
	}
	ref, token, secret, auto := m["orderRef"].(string), m["qrStartToken"].(string), m["qrStartSecret"].(string), m["autoStartToken"].(string)
	qr := func(t int64, key string) string {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(strconv.FormatInt(t, 10)))
		return "bankid." + token + "." + strconv.FormatInt(t, 10) + "." + hex.EncodeToString(mac.Sum(nil))
	}
	scan := func(code string) *http.Response {
		resp, err := e.Browser.PostForm(e.Srv.URL+"/sandbox/bankid/app/scan", url.Values{"qr": {code}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	e.Clock.Add(20 * time.Second)
	for _, bad := range []string{qr(20, "wrong secret"), qr(5, secret) /* too old */, qr(25, secret) /* from the future */, "bankid.x", "hello"} {
		if resp := scan(bad); resp.StatusCode < 400 {
			t.Errorf("scan %q: %d", bad, resp.StatusCode)
		}
	}
	wantCollect(t, e.collect(ref), "pending", "outstandingTransaction")
	if resp := scan(qr(18, secret)); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != e.sim.AppURL(ref) {
		t.Fatalf("scan: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantCollect(t, e.collect(ref), "pending", "started")

	ref2 := e.sign(signBodyFor("201212121212"))
	o, _ := e.sim.Order(ref2)
	resp, err := e.Browser.Get(e.Srv.URL + "/sandbox/bankid/app?autostarttoken=" + o.AutoStartToken)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != e.sim.AppURL(ref2) {
		t.Fatalf("autostart: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantCollect(t, e.collect(ref2), "pending", "started")
	if resp, _ := e.Browser.Get(e.Srv.URL + "/sandbox/bankid/app?autostarttoken=" + auto + "x"); resp.StatusCode != 404 {
		t.Errorf("unknown autostart token: %d", resp.StatusCode)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	e.sim.FailNext(OpSign, 503)
	e.sim.FailNext(OpSign, 500)
	code, m := e.call("/sign", signBodyFor(testPNR))
	wantError(t, code, m, 503, "maintenance", "")
	code, m = e.call("/sign", signBodyFor(testPNR))
	wantError(t, code, m, 500, "internalError", "")
	ref := e.sign(signBodyFor(testPNR))
	e.sim.FailNextWith(OpCollect, 408, "requestTimeout", "slow")
	code, m = e.call("/collect", map[string]any{"orderRef": ref})
	wantError(t, code, m, 408, "requestTimeout", "slow")
	e.sim.DelayNext(OpCollect, 50*time.Millisecond)
	start := time.Now()
	wantCollect(t, e.collect(ref), "pending", "outstandingTransaction")
	if time.Since(start) < 50*time.Millisecond {
		t.Error("no delay")
	}
	simtest.WantPanic(t, "an unknown op", func() { e.sim.FailNext("pullData", 500) })
}

func TestListenTLSNeedsMutualTLS(t *testing.T) {
	s, err := New(Config{BaseURL: "http://127.0.0.1/sandbox/bankid"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pki, err := NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	weak := pki.ServerTLS.Clone()
	weak.ClientAuth = tls.RequestClientCert
	if _, err := s.ListenTLS("127.0.0.1:0", weak); err == nil {
		t.Error("a listener that does not verify client certificates was started")
	}
	if _, err := s.ListenTLS("127.0.0.1:0", nil); err == nil {
		t.Error("a listener without TLS was started")
	}
	if _, err := New(Config{BaseURL: "/relative"}); err == nil {
		t.Error("a relative BaseURL was accepted")
	}
}

func TestPKI(t *testing.T) {
	pki, err := NewTestPKI([]string{"127.0.0.1", "sandbox.local"})
	if err != nil {
		t.Fatal(err)
	}
	srv := pki.ServerTLS.Certificates[0].Leaf
	if err := srv.VerifyHostname("sandbox.local"); err != nil {
		t.Error(err)
	}
	if err := srv.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pki.CA)
	cli := pki.ClientTLS.Certificates[0].Leaf
	if _, err := cli.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Error(err)
	}
	if cli.Subject.CommonName != DefaultRPCommonName || pki.ClientCommonName != DefaultRPCommonName {
		t.Errorf("client CN %q", cli.Subject.CommonName)
	}
	if _, err := tls.X509KeyPair(pki.ClientCertPEM, pki.ClientKeyPEM); err != nil {
		t.Errorf("client PEM: %v", err)
	}
}
