package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

func TestReadLimited(t *testing.T) {
	if b, err := ReadLimited(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	if _, err := ReadLimited(strings.NewReader("123456"), 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

func TestRetryableStatus(t *testing.T) {
	for status, want := range map[int]bool{500: true, 502: true, 503: true, 429: true, 408: true, 400: false, 401: false, 404: false, 409: false} {
		if got := RetryableStatus(status); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", status, got, want)
		}
	}
}

var epoch = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"86400", MaxRetryAfter},
		{"86401", MaxRetryAfter},
		{"99999999999999999999999", MaxRetryAfter},
		{"-5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"Sat, 21 Nov 2026 10:00:30 GMT", 30 * time.Second}, // IMF-fixdate
		{"Saturday, 21-Nov-26 10:01:00 GMT", time.Minute},   // RFC 850
		{"Sat Nov 21 10:02:00 2026", 2 * time.Minute},       // asctime
		{"Sat, 21 Nov 2026 09:59:00 GMT", 0},                // past
		{"Sun, 21 Nov 2027 10:00:00 GMT", MaxRetryAfter},
	} {
		if got := RetryAfter(tt.in, epoch); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Sat, 21 Nov 2026 10:00:30 GMT", "", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := RetryAfter(v, epoch); d < 0 || d > MaxRetryAfter {
			t.Errorf("RetryAfter(%q) = %v, outside [0, %v]", v, d, MaxRetryAfter)
		}
	})
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"  plain  ", 10, "plain"},
		{"a\nb\tc", 10, "a b c"},
		{"åäöåäö", 3, "åäö…"},
		{"exact", 5, "exact"},
	} {
		if got := Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	if Redacted("") != `""` || Redacted("s3cret") != "[redacted]" {
		t.Error("Redacted")
	}
}

// answer is what the test server replies.
type answer struct {
	status int
	header map[string]string
	body   string
}

// serve starts a server answering a, recording the last request.
func serve(t *testing.T, a answer) (*httptest.Server, *http.Request, *[]byte) {
	t.Helper()
	var got http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = *r.Clone(context.Background())
		body, _ = io.ReadAll(r.Body)
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got, &body
}

// client is a Client for a provider whose error body is {"msg": "…"}.
func client(srv *httptest.Server) *Client {
	return &Client{Provider: "acme", Display: "Acme", HTTP: srv.Client(), Timeout: 2 * time.Second,
		Now: func() time.Time { return epoch },
		Message: func(b []byte) string {
			if i := strings.Index(string(b), `"msg":"`); i >= 0 {
				return strings.SplitN(string(b)[i+7:], `"`, 2)[0]
			}
			return ""
		}}
}

func providerError(t *testing.T, err error) *signing.ProviderError {
	t.Helper()
	var pe *signing.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want a *signing.ProviderError", err, err)
	}
	if pe.Provider != "acme" || pe.Op != "refresh" {
		t.Errorf("Provider, Op = %q, %q; want acme, refresh", pe.Provider, pe.Op)
	}
	return pe
}

func TestDoJSONSendsTheCall(t *testing.T) {
	srv, got, body := serve(t, answer{status: 201, body: `{"id":"x-1"}`})
	var out struct{ ID string }
	status, err := client(srv).DoJSON(context.Background(), Request{Op: "initiate", Method: http.MethodPost, URL: srv.URL + "/v1/things",
		Header: http.Header{"X-Auth-Token": {"t0k"}}, JSON: map[string]int{"n": 1}}, &out)
	if err != nil || status != 201 || out.ID != "x-1" {
		t.Fatalf("DoJSON = %d, %+v, %v", status, out, err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/v1/things" || string(*body) != `{"n":1}` {
		t.Errorf("sent %s %s %s", got.Method, got.URL.Path, *body)
	}
	for k, want := range map[string]string{"X-Auth-Token": "t0k", "Accept": "application/json", "Content-Type": "application/json"} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}

	// A raw GET: no body, no Content-Type, the Accept asked for.
	srv, got, _ = serve(t, answer{status: 200, body: "%PDF-1.7"})
	_, b, err := client(srv).Do(context.Background(), Request{Op: "document", URL: srv.URL + "/f.pdf", Accept: "application/pdf"})
	if err != nil || string(b) != "%PDF-1.7" || got.Method != http.MethodGet || got.Header.Get("Accept") != "application/pdf" || got.Header.Get("Content-Type") != "" {
		t.Errorf("raw GET: %q, %v; sent %s, headers %v", b, err, got.Method, got.Header)
	}
}

func TestStatusPolicy(t *testing.T) {
	for _, tt := range []struct {
		answer     answer
		retryable  bool
		message    string
		notFound   bool
		retryAfter time.Duration
	}{
		{answer{status: 400, body: `{"msg":"callbackUrl is required"}`}, false, "callbackUrl is required", false, 0},
		{answer{status: 401, body: `<html>proxy</html>`}, false, "Unauthorized", false, 0},
		{answer{status: 404, body: `{"msg":"Contract not found"}`}, false, "Contract not found", true, 0},
		{answer{status: 409, body: "{\"msg\":\"  line\tbreak  \"}"}, false, "line break", false, 0},
		{answer{status: 408}, true, "Request Timeout", false, 0},
		{answer{status: 429, header: map[string]string{"Retry-After": "30"}}, true, "Too Many Requests", false, 30 * time.Second},
		{answer{status: 503, header: map[string]string{"Retry-After": "Sat, 21 Nov 2026 10:05:00 GMT"}, body: `{"msg":"maintenance"}`}, true, "maintenance", false, 5 * time.Minute},
		{answer{status: 500, header: map[string]string{"Retry-After": "30"}}, true, "Internal Server Error", false, 0},
		{answer{status: 599}, true, "HTTP 599", false, 0},
	} {
		srv, _, _ := serve(t, tt.answer)
		status, _, err := client(srv).Do(context.Background(), Request{Op: "refresh", URL: srv.URL})
		pe := providerError(t, err)
		if status != tt.answer.status || pe.StatusCode != tt.answer.status || pe.Retryable != tt.retryable || signing.IsRetryable(err) != tt.retryable ||
			pe.Message != tt.message || errors.Is(pe.Err, signing.ErrNotFound) != tt.notFound || pe.RetryAfter != tt.retryAfter {
			t.Errorf("HTTP %d: %+v", tt.answer.status, pe)
		}
	}

	long := strings.Repeat("x", MaxMessage+10)
	srv, _, _ := serve(t, answer{status: 400, body: `{"msg":"` + long + `"}`})
	_, _, err := client(srv).Do(context.Background(), Request{Op: "refresh", URL: srv.URL})
	if pe := providerError(t, err); pe.Message != long[:MaxMessage]+"…" {
		t.Errorf("a long message is not clipped: %d runes", len([]rune(pe.Message)))
	}
}

func TestRefineHasTheLastWord(t *testing.T) {
	srv, _, _ := serve(t, answer{status: 404, body: `{"code":"maintenance"}`})
	c := client(srv)
	c.Refine = func(pe *signing.ProviderError, body []byte) {
		if strings.Contains(string(body), "maintenance") {
			pe.Retryable, pe.Err, pe.Message = true, nil, "down for maintenance"
		}
	}
	_, _, err := c.Do(context.Background(), Request{Op: "refresh", URL: srv.URL})
	if pe := providerError(t, err); !pe.Retryable || pe.Err != nil || pe.Message != "down for maintenance" {
		t.Errorf("refined: %+v", pe)
	}
}

func TestAnswersThatCannotBeUsed(t *testing.T) {
	srv, _, _ := serve(t, answer{status: 200, body: strings.Repeat("x", 11)})
	_, _, err := client(srv).Do(context.Background(), Request{Op: "refresh", URL: srv.URL, Limit: 10})
	if pe := providerError(t, err); pe.Retryable || !errors.Is(pe.Err, ErrTooLarge) || pe.Message != "cannot read Acme's answer" {
		t.Errorf("over the limit: %+v", pe)
	}

	srv, _, _ = serve(t, answer{status: 200, body: `{"id":`})
	for _, retry := range []bool{true, false} {
		var out struct{ ID string }
		_, err := client(srv).DoJSON(context.Background(), Request{Op: "refresh", URL: srv.URL, RetryBadBody: retry}, &out)
		if pe := providerError(t, err); pe.Retryable != retry || pe.StatusCode != 200 || pe.Message != "Acme's answer is not the expected JSON" {
			t.Errorf("bad JSON, RetryBadBody %v: %+v", retry, pe)
		}
	}
}

func TestNoAnswerIsRetryable(t *testing.T) {
	// The answer never starts.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	c := client(hang)
	c.Timeout = 50 * time.Millisecond
	_, _, err := c.Do(context.Background(), Request{Op: "refresh", URL: hang.URL})
	if pe := providerError(t, err); !pe.Retryable || pe.Message != "Acme did not answer in time" || !errors.Is(pe.Err, context.DeadlineExceeded) {
		t.Errorf("no answer in time: %+v", pe)
	}

	// The answer starts, then stalls past the timeout: reading the body
	// fails because of the timeout, which is the provider not answering in
	// time, not an answer that cannot be read.
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"id":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(stall.Close)
	c = client(stall)
	c.Timeout = 50 * time.Millisecond
	_, err = c.DoJSON(context.Background(), Request{Op: "refresh", URL: stall.URL}, new(any))
	if pe := providerError(t, err); !pe.Retryable || pe.Message != "Acme did not answer in time" || pe.StatusCode != 0 {
		t.Errorf("answer cut short by the timeout: %+v", pe)
	}

	// Nobody listens.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	_, _, err = client(gone).Do(context.Background(), Request{Op: "refresh", URL: gone.URL})
	if pe := providerError(t, err); !pe.Retryable || pe.Message != "Acme could not be reached" {
		t.Errorf("refused: %+v", pe)
	}
	// The error, which is logged, names where but not a link's query (a
	// presigned download link's query is its credential).
	_, _, err = client(gone).Do(context.Background(), Request{Op: "document", URL: gone.URL + "/f.pdf?X-Amz-Signature=presigned-secret"})
	if msg := err.Error(); strings.Contains(msg, "presigned-secret") || !strings.Contains(msg, gone.URL+"/f.pdf") {
		t.Errorf("refused download: %q; want the URL without its query", msg)
	}

	// A TLS server the client does not trust, worded by the provider.
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	c = client(tlsSrv)
	c.HTTP, c.Timeout = &http.Client{}, time.Minute // no timeout on a loaded machine
	c.TransportMessage = func(err error) string {
		var v *tls.CertificateVerificationError
		if errors.As(err, &v) {
			return "Acme's certificate is not trusted"
		}
		return ""
	}
	_, _, err = c.Do(context.Background(), Request{Op: "refresh", URL: tlsSrv.URL})
	if pe := providerError(t, err); !pe.Retryable || pe.Message != "Acme's certificate is not trusted" {
		t.Errorf("untrusted TLS: %+v", pe)
	}
}

func TestError(t *testing.T) {
	pe := (&Client{Provider: "acme", Display: "Acme"}).Error("initiate", "no id in the answer")
	if pe.Provider != "acme" || pe.Op != "initiate" || pe.Retryable || pe.Message != "no id in the answer" || pe.StatusCode != 0 {
		t.Errorf("Error = %+v", pe)
	}
}

func TestURLs(t *testing.T) {
	for s, want := range map[string]bool{
		"https://x.example/cb": true, "http://x": true, "ftp://x": false, "https://": false, "x.example": false, "": false,
	} {
		if IsHTTPURL(s) != want {
			t.Errorf("IsHTTPURL(%q) != %v", s, want)
		}
	}
	for in, want := range map[string]string{
		"https://api.example/": "https://api.example", "http://127.0.0.1:8080/sandbox/x": "http://127.0.0.1:8080/sandbox/x",
		"https://api.example/?q=1": "", "https://api.example/#f": "", "api.example": "", "": "",
	} {
		got, err := ParseBase(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNew(t *testing.T) {
	c, err := New("acme", "Acme", "https://api.acme.example/v1/", nil, 0)
	if err != nil || c.Base != "https://api.acme.example/v1" || c.Timeout != DefaultTimeout || c.Provider != "acme" || c.Display != "Acme" {
		t.Fatalf("New = %+v, %v", c, err)
	}
	for _, bad := range []struct {
		base    string
		timeout time.Duration
		want    string
	}{
		{"ftp://x", 0, "acme: BaseURL must be an absolute http(s) URL"},
		{"https://x/?a=1", 0, "acme: BaseURL must not have a query or fragment"},
		{"https://x", -time.Second, "acme: Timeout must not be negative"},
	} {
		if _, err := New("acme", "Acme", bad.base, nil, bad.timeout); err == nil || err.Error() != bad.want {
			t.Errorf("New(%q, %v) = %v, want %q", bad.base, bad.timeout, err, bad.want)
		}
	}

	srv, got, _ := serve(t, answer{status: 200, body: `{}`})
	c, _ = New("acme", "Acme", srv.URL+"/api/", srv.Client(), time.Second)
	if _, err := c.DoJSON(context.Background(), Request{Op: "refresh", Path: "/v3/things"}, nil); err != nil || got.URL.Path != "/api/v3/things" {
		t.Errorf("a Path under the Base: %v, sent to %s", err, got.URL.Path)
	}
}
