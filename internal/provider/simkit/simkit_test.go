package simkit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeErr is a provider's error format for the tests: "status code message".
func writeErr(w http.ResponseWriter, status int, code, message string) {
	if code == "" {
		code = "C" + http.StatusText(status)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, code+" "+message)
}

func TestMount(t *testing.T) {
	if _, err := NewMount("ftp://x/y"); err == nil {
		t.Error("NewMount took an ftp URL")
	}
	m, err := NewMount("http://127.0.0.1:8080/sandbox/acme/")
	if err != nil {
		t.Fatal(err)
	}
	if m.Base != "http://127.0.0.1:8080/sandbox/acme" {
		t.Errorf("Base = %q", m.Base)
	}
	m.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.URL.Path) })
	for in, want := range map[string]string{
		"/sandbox/acme/api/x": "/api/x", // mounted as is
		"/api/x":              "/api/x", // behind StripPrefix
		"/sandbox/acme":       "/",
		"/sandbox/acmex/y":    "/sandbox/acmex/y", // another mount's path
	} {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, httptest.NewRequest("GET", in, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("%s reached %s, want %s", in, got, want)
		}
	}
}

func TestFaults(t *testing.T) {
	f := NewFaults(writeErr, "create", "read")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.Inject(w, r, strings.TrimPrefix(r.URL.Path, "/")) {
			return
		}
		_, _ = io.WriteString(w, "normal")
	}))
	t.Cleanup(srv.Close)
	get := func(op string) (int, http.Header, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/" + op)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}

	f.FailNext("create", 503)
	f.Add("create", Fault{Status: 400, Code: "bad.input", Message: "no"})
	f.ThrottleNext("read", 1500*time.Millisecond)
	for _, want := range []struct {
		op, body string
		status   int
	}{
		{"read", "CToo Many Requests Simulated failure: Too Many Requests", 429},
		{"create", "CService Unavailable Simulated failure: Service Unavailable", 503},
		{"create", "bad.input no", 400}, // in order
		{"create", "normal", 200},       // used up
		{"read", "normal", 200},
	} {
		status, h, body := get(want.op)
		if status != want.status || body != want.body {
			t.Errorf("%s: %d %q, want %d %q", want.op, status, body, want.status, want.body)
		}
		if want.status == 429 && h.Get("Retry-After") != "2" {
			t.Errorf("Retry-After = %q, want 2 (seconds, rounded up)", h.Get("Retry-After"))
		}
	}

	// A delay answers normally afterwards; a client that gives up gets
	// its connection dropped.
	f.DelayNext("read", time.Millisecond)
	if status, _, body := get("read"); status != 200 || body != "normal" {
		t.Errorf("after a short delay: %d %q", status, body)
	}
	f.DelayNext("read", time.Minute)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := client.Get(srv.URL + "/read"); err == nil {
		t.Error("a delay of a minute answered within 50 ms")
	}

	defer func() {
		if recover() == nil {
			t.Error("an unknown op did not panic")
		}
	}()
	f.FailNext("delete", 500)
}

// receiver answers the statuses given in turn (200 after them), recording
// what it got.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []*http.Request
	bodies   []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got, rc.bodies = append(rc.got, r), append(rc.bodies, string(b))
	status := 200
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	w.WriteHeader(status)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

func TestNotifier(t *testing.T) {
	rc := &receiver{statuses: []int{500, 502}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	n := NewNotifier(srv.Client(), time.Second, []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond})
	var mu sync.Mutex
	var outcomes []bool
	n.Send(Callback{URL: srv.URL + "/cb", Header: http.Header{"X-Sig": {"s1"}}, Body: []byte(`{"id":1}`),
		Done: func(ok bool) { mu.Lock(); outcomes = append(outcomes, ok); mu.Unlock() }})
	if rc.count() != 1 {
		t.Fatalf("Send returned before its first attempt: %d", rc.count())
	}
	done := func() int { mu.Lock(); defer mu.Unlock(); return len(outcomes) }
	deadline := time.Now().Add(5 * time.Second)
	for done() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	n.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(outcomes) != 3 || outcomes[0] || outcomes[1] || !outcomes[2] {
		t.Errorf("outcomes %v, want failed, failed, ok (then no more)", outcomes)
	}
	r := rc.got[0]
	if r.Method != http.MethodPost || r.URL.Path != "/cb" || r.Header.Get("X-Sig") != "s1" ||
		r.Header.Get("Content-Type") != "application/json" || rc.bodies[2] != `{"id":1}` {
		t.Errorf("sent %s %s %v %q", r.Method, r.URL.Path, r.Header, rc.bodies)
	}
}

func TestNotifierCloseStopsResends(t *testing.T) {
	rc := &receiver{statuses: []int{500, 500, 500}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	n := NewNotifier(srv.Client(), time.Second, []time.Duration{time.Hour})
	n.Send(Callback{URL: srv.URL})
	n.Close() // does not wait out the hour
	n.Send(Callback{URL: srv.URL})
	if rc.count() != 1 {
		t.Errorf("%d attempts, want the first one only: a closed Notifier sends nothing", rc.count())
	}
}

var skin = &Skin{Name: "Acme (sandbox)", Banner: "Acme sandbox", Ink: "#111", Paper: "#eee", Accent: "#123456", Sign: "Sign it", Decline: "No"}

func TestRender(t *testing.T) {
	rec := httptest.NewRecorder()
	skin.Render(rec, http.StatusOK, Page{
		Title: "Sign <loan>.pdf",
		Note:  "a note",
		Facts: []Fact{{Label: "Signer", Value: `<script>alert("x")</script>`}, {Label: "Document", Value: "Read it", Link: "https://x.example/d?a=1&b=2"}},
		Form:  &Form{Hidden: []Input{{Name: "signerId", Value: `s"1`}}},
	})
	page := rec.Body.String()
	forms := regexp.MustCompile(`(?s)<form.*?</form>`).FindAllString(page, -1)
	if len(forms) != 1 {
		t.Fatalf("forms %q", forms)
	}
	for _, want := range []string{`<form method="post">`, `<input type="hidden" name="signerId" value="s&#34;1">`,
		`<button type="submit" name="action" value="sign">Sign it</button>`, `<button type="submit" name="action" value="decline">No</button>`} {
		if !strings.Contains(forms[0], want) {
			t.Errorf("the form lacks %s:\n%s", want, forms[0])
		}
	}
	for _, want := range []string{"<title>Sign &lt;loan&gt;.pdf - Acme (sandbox)</title>", "Acme sandbox", "a note",
		"&lt;script&gt;", `href="https://x.example/d?a=1&amp;b=2"`, "#123456"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the page runs a script")
	}
	h := rec.Header()
	if h.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", h)
	}

	// A form of its own: its action and labels.
	rec = httptest.NewRecorder()
	skin.Render(rec, http.StatusOK, Page{Title: "t", Text: "line 1\nline 2", Form: &Form{Action: "/app/1?x=y", Sign: "Sign with DSC"}})
	for _, want := range []string{`<form method="post" action="/app/1?x=y">`, ">Sign with DSC</button>", ">No</button>", "<pre>line 1\nline 2</pre>"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the page lacks %s:\n%s", want, rec.Body.String())
		}
	}
}

func TestNoticesAndActions(t *testing.T) {
	closed := Notice{Status: http.StatusConflict, Title: "Already signed", Message: "Nothing changed."}
	for method, want := range map[string]int{"GET": 200, "POST": 409} {
		rec := httptest.NewRecorder()
		skin.Refuse(rec, httptest.NewRequest(method, "/p", nil), closed)
		if rec.Code != want || strings.Contains(rec.Body.String(), "<form") || !strings.Contains(rec.Body.String(), "Nothing changed.") {
			t.Errorf("%s: %d\n%s", method, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	skin.Render(rec, 200, Page{Title: "Done", Message: "Signed.", Link: "https://client.example/back"})
	if !strings.Contains(rec.Body.String(), `<a href="https://client.example/back">Return to the service</a>`) {
		t.Errorf("no way back:\n%s", rec.Body)
	}

	for form, want := range map[string]string{"action=sign": "sign", "action=decline&x=1": "decline", "action=maybe": "", "": ""} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/p", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		got, ok := skin.ReadAction(rec, r)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q, %v", form, got, ok)
		}
		if !ok && (rec.Code != 400 || !strings.Contains(rec.Body.String(), `Choose &#34;Sign it&#34; or &#34;No&#34;.`)) {
			t.Errorf("%q: %d\n%s", form, rec.Code, rec.Body)
		}
	}
}

// TestSubmit: the form goes to the choice for its link, and the signer
// on to where the choice says, or to the closing page; a form for another
// link changes nothing.
func TestSubmit(t *testing.T) {
	done := Notice{Status: http.StatusOK, Title: "Thanks", Message: "Recorded."}
	var got []string
	choice := func(name, target string, ok bool) Choice {
		return func(w http.ResponseWriter, r *http.Request, id string) (string, bool) {
			got = append(got, name+" "+id)
			if !ok {
				skin.Notice(w, Notice{Status: http.StatusConflict, Title: "No", Message: "Refused."})
			}
			return target, ok
		}
	}
	for _, tt := range []struct {
		form, target string
		ok           bool
		code         int
		called, body string
	}{
		{"action=sign&signerId=s1", "https://client.example/ok", true, http.StatusSeeOther, "sign s1", ""},
		{"action=decline", "https://client.example/no", true, http.StatusSeeOther, "decline s1", ""},
		{"action=sign", "", true, http.StatusOK, "sign s1", "Recorded."},
		{"action=sign", "", false, http.StatusConflict, "sign s1", "Refused."},
		{"action=sign&signerId=s2", "", true, http.StatusBadRequest, "", "does not belong"},
		{"action=maybe", "", true, http.StatusBadRequest, "", "Choose"},
	} {
		got = nil
		mux := http.NewServeMux()
		mux.HandleFunc("POST /p/{signerId}", func(w http.ResponseWriter, r *http.Request) {
			skin.Submit(w, r, "signerId", choice("sign", tt.target, tt.ok), choice("decline", tt.target, tt.ok), done)
		})
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/p/s1", strings.NewReader(tt.form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		mux.ServeHTTP(rec, r)
		if rec.Code != tt.code || strings.Join(got, ",") != tt.called || !strings.Contains(rec.Body.String(), tt.body) ||
			(tt.code == http.StatusSeeOther && rec.Header().Get("Location") != tt.target) {
			t.Errorf("%q: %d, called %q, Location %q\n%s", tt.form, rec.Code, got, rec.Header().Get("Location"), rec.Body)
		}
	}
}

func TestReadBody(t *testing.T) {
	for body, want := range map[string]int{"12345": 200, "123456": 413} {
		rec := httptest.NewRecorder()
		b, ok := ReadBody(rec, httptest.NewRequest("POST", "/", strings.NewReader(body)), 5, writeErr)
		if want == 200 && (!ok || string(b) != body) || want != 200 && (ok || rec.Code != want || rec.Body.String() != "CRequest Entity Too Large Request entity too large") {
			t.Errorf("%q: %q %v, %d %q", body, b, ok, rec.Code, rec.Body)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.7:4711"
	if ClientIP(r) != "192.0.2.7" {
		t.Errorf("ClientIP = %q", ClientIP(r))
	}
	rec := httptest.NewRecorder()
	WriteJSON(rec, 201, "application/json;charset=UTF-8", map[string]int{"a": 1})
	if rec.Code != 201 || rec.Body.String() != `{"a":1}` || rec.Header().Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Errorf("WriteJSON: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	rec = httptest.NewRecorder()
	WritePDF(rec, httptest.NewRequest("GET", "/", nil), []byte("%PDF-1.7"), "a\"b\r\n.pdf", true)
	if rec.Body.String() != "%PDF-1.7" || rec.Header().Get("Content-Disposition") != `inline; filename="ab.pdf"` ||
		rec.Header().Get("Content-Length") != "8" {
		t.Errorf("WritePDF: %q %v", rec.Body, rec.Header())
	}
}

// TestCore: a bad base URL is named with the simulator; a route the
// simulator does not have is answered in the provider's error format;
// faults go to the Core's operations.
func TestCore(t *testing.T) {
	if _, err := NewCore(CoreConfig{Name: "acme sim", BaseURL: "ftp://x", Errors: writeErr}); err == nil || !strings.HasPrefix(err.Error(), "acme sim: BaseURL") {
		t.Errorf("bad base URL: %v", err)
	}
	c, err := NewCore(CoreConfig{Name: "acme sim", BaseURL: "http://127.0.0.1/sandbox/acme", Errors: writeErr, NotFound: "no such thing", Ops: []string{"create"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Mount.Mux.HandleFunc("POST /create", func(w http.ResponseWriter, r *http.Request) {
		if !c.Inject(w, r, "create") {
			w.WriteHeader(http.StatusCreated)
		}
	})
	c.FailNext("create", http.StatusBadGateway)
	for _, tt := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/sandbox/acme/nothing", http.StatusNotFound, "CNot Found no such thing"},
		{"POST", "/sandbox/acme/create", http.StatusBadGateway, "CBad Gateway Simulated failure: Bad Gateway"},
		{"POST", "/create", http.StatusCreated, ""},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.code || rec.Body.String() != tt.body {
			t.Errorf("%s %s: %d %q", tt.method, tt.path, rec.Code, rec.Body)
		}
	}
	if ca, err := c.ESignCA(); err != nil || ca.Cert.Subject.CommonName != ESignCAName {
		t.Errorf("eSign CA: %v", err)
	}
}
