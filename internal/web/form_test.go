package web_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/web"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTokens(t testing.TB, clock *simtest.Clock) *web.FormTokens {
	t.Helper()
	f, err := web.NewFormTokens(testKey, time.Hour, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewFormTokensValidates(t *testing.T) {
	for _, tt := range []struct {
		key []byte
		ttl time.Duration
	}{
		{nil, time.Hour},
		{[]byte("fifteen bytes!!"), time.Hour},
		{testKey, 0},
		{testKey, -time.Second},
	} {
		if _, err := web.NewFormTokens(tt.key, tt.ttl, nil); err == nil {
			t.Errorf("NewFormTokens(%d-byte key, %v) accepted", len(tt.key), tt.ttl)
		}
	}
}

func TestFormTokens(t *testing.T) {
	clock := simtest.NewClock(started)
	tokens := newTokens(t, clock)
	good := tokens.Issue("signer-1")
	exp, mac, _ := strings.Cut(good, ".")
	other, err := web.NewFormTokens([]byte("another key, just as long as it"), time.Hour, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name    string
		token   string
		subject string
		advance time.Duration
		want    error
	}{
		{"valid", good, "signer-1", 0, nil},
		{"valid until just before expiry", good, "signer-1", time.Hour - time.Second, nil},
		{"expired at its time", good, "signer-1", time.Hour, web.ErrFormExpired},
		{"expired long ago", good, "signer-1", 48 * time.Hour, web.ErrFormExpired},
		{"another subject", good, "signer-2", 0, web.ErrFormToken},
		{"a subject that extends it", good, "signer-10", 0, web.ErrFormToken},
		{"empty subject", good, "", 0, web.ErrFormToken},
		{"another key", other.Issue("signer-1"), "signer-1", 0, web.ErrFormToken},
		{"later expiry", "9" + good, "signer-1", 0, web.ErrFormToken},
		{"changed expiry", flip(exp, len(exp)-1) + "." + mac, "signer-1", 0, web.ErrFormToken},
		{"changed MAC", exp + "." + flip(mac, 5), "signer-1", 0, web.ErrFormToken},
		{"empty", "", "signer-1", 0, web.ErrFormToken},
		{"dot alone", ".", "signer-1", 0, web.ErrFormToken},
		{"no MAC", exp + ".", "signer-1", 0, web.ErrFormToken},
		{"no expiry", "." + mac, "signer-1", 0, web.ErrFormToken},
		{"no dot", exp + mac, "signer-1", 0, web.ErrFormToken},
		{"leading zero", "0" + good, "signer-1", 0, web.ErrFormToken},
		{"plus sign", "+" + good, "signer-1", 0, web.ErrFormToken},
		{"negative", "-" + good, "signer-1", 0, web.ErrFormToken},
		{"padded MAC", good + "=", "signer-1", 0, web.ErrFormToken},
		{"standard base64", exp + "." + strings.NewReplacer("-", "+", "_", "/").Replace(mac) + "+", "signer-1", 0, web.ErrFormToken},
		{"short MAC", good[:len(good)-2], "signer-1", 0, web.ErrFormToken},
		{"second dot", good + ".x", "signer-1", 0, web.ErrFormToken},
		{"past int64", "99999999999999999999." + mac, "signer-1", 0, web.ErrFormToken},
		{"spaces", " " + good, "signer-1", 0, web.ErrFormToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := simtest.NewClock(started.Add(tt.advance))
			got := newTokens(t, c).Verify(tt.token, tt.subject)
			if (tt.want == nil) != (got == nil) || (tt.want != nil && !errors.Is(got, tt.want)) {
				t.Errorf("Verify(%q, %q) = %v, want %v", tt.token, tt.subject, got, tt.want)
			}
			if errors.Is(got, web.ErrFormExpired) && errors.Is(got, web.ErrFormToken) {
				t.Error("an expired token is reported as forged too")
			}
		})
	}
}

func FuzzFormToken(f *testing.F) {
	clock := simtest.NewClock(started)
	tokens := newTokens(f, clock)
	f.Add(tokens.Issue("signer-1"), "signer-1")
	f.Add("1795255200.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "signer-1")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, token, subject string) {
		err := tokens.Verify(token, subject)
		if err == nil && token != tokens.Issue(subject) {
			t.Fatalf("Verify accepted %q for %q, which Issue never wrote", token, subject)
		}
		if err != nil && !errors.Is(err, web.ErrFormToken) && !errors.Is(err, web.ErrFormExpired) {
			t.Fatalf("Verify(%q) = %v, neither ErrFormToken nor ErrFormExpired", token, err)
		}
		issued := tokens.Issue(subject)
		if err := tokens.Verify(issued, subject); err != nil {
			t.Fatalf("a token for %q fails: %v", subject, err)
		}
		if tokens.Verify(issued, subject+"\x00") == nil || tokens.Verify(issued, "x"+subject) == nil {
			t.Fatalf("a token for %q is accepted for another subject", subject)
		}
	})
}

// formServer is NewFormTestSite on a test server; posts counts the
// accepted posts.
type formServer struct {
	srv   *httptest.Server
	clock *simtest.Clock
	mu    sync.Mutex
	notes []string
}

func newFormServer(t *testing.T, next string) *formServer {
	t.Helper()
	fs := &formServer{clock: simtest.NewClock(started)}
	h, err := web.NewFormTestSite(web.FormTestConfig{
		Config: web.Config{FormKey: testKey, FormTTL: time.Hour, Now: fs.clock.Now, Logger: discard},
		Next:   next,
		Posted: func(r *http.Request) {
			fs.mu.Lock()
			defer fs.mu.Unlock()
			fs.notes = append(fs.notes, r.PostForm.Get("note"))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	fs.srv = httptest.NewServer(h)
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *formServer) accepted() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.notes...)
}

var tokenInput = regexp.MustCompile(`<input type="hidden" name="csrf_token" value="([^"]+)">`)

// token reads the hidden token from the form page, as a plain client does.
func (fs *formServer) token(t *testing.T, subject string) string {
	t.Helper()
	code, hdr, body := get(t, fs.srv.URL+"/test/form?subject="+url.QueryEscape(subject), nil)
	if code != 200 {
		t.Fatalf("GET the form: %d", code)
	}
	wantSecurityHeaders(t, hdr)
	m := tokenInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token in the form:\n%s", body)
	}
	return m[1]
}

// post submits the form with the given fields and headers, without
// following redirects.
func (fs *formServer) post(t *testing.T, subject, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("POST", fs.srv.URL+"/test/form?subject="+url.QueryEscape(subject), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := simtest.NoRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestProtectedForm(t *testing.T) {
	fs := newFormServer(t, "https://client.example/return")
	alice := fs.token(t, "alice")
	bob := fs.token(t, "bob")
	form := func(token, note string) string {
		return url.Values{"csrf_token": {token}, "note": {note}, "action": {"save"}}.Encode()
	}
	tests := []struct {
		name     string
		subject  string
		body     string
		hdr      map[string]string
		advance  time.Duration
		want     int
		wantText string
	}{
		// A plain HTTP client, as the contract's checks use: no Origin, no Sec-Fetch-Site.
		{"plain client with the token", "alice", form(alice, "plain"), nil, 0, 303, ""},
		{"the browser, same origin", "alice", form(alice, "browser"), map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": fs.srv.URL}, 0, 303, ""},
		{"an old browser, same origin", "alice", form(alice, "old"), map[string]string{"Origin": fs.srv.URL}, 0, 303, ""},
		{"user typed it", "alice", form(alice, "none"), map[string]string{"Sec-Fetch-Site": "none"}, 0, 303, ""},
		{"no token", "alice", url.Values{"note": {"x"}}.Encode(), nil, 0, 403, "The form has expired"},
		{"empty token", "alice", form("", "x"), nil, 0, 403, "The form has expired"},
		{"another subject's token", "alice", form(bob, "x"), nil, 0, 403, "The form has expired"},
		{"a stale token", "alice", form(alice, "x"), nil, time.Hour, 403, "The form has expired"},
		{"garbage token", "alice", form("<script>", "x"), nil, 0, 403, "Reload the form"},
		{"cross-site, with a valid token", "alice", form(alice, "x"), map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 0, 403, "Request refused"},
		{"same-site, another origin", "alice", form(alice, "x"), map[string]string{"Sec-Fetch-Site": "same-site"}, 0, 403, "Request refused"},
		{"an old browser, another origin", "alice", form(alice, "x"), map[string]string{"Origin": "https://evil.example"}, 0, 403, "Request refused"},
		{"unreadable body", "alice", "csrf_token=%zz", nil, 0, 400, "The form could not be read"},
	}
	wantAccepted := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs.clock.Add(tt.advance)
			defer fs.clock.Add(-tt.advance)
			code, hdr, body := fs.post(t, tt.subject, tt.body, tt.hdr)
			if code != tt.want {
				t.Fatalf("status %d, want %d:\n%s", code, tt.want, body)
			}
			wantSecurityHeaders(t, hdr)
			if code == 303 {
				wantAccepted++
				if loc := hdr.Get("Location"); loc != "https://client.example/return" {
					t.Errorf("Location %q", loc)
				}
				return
			}
			if !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(body, tt.wantText) {
				t.Errorf("the %d page lacks %q:\n%s", code, tt.wantText, body)
			}
		})
	}
	if got := fs.accepted(); len(got) != wantAccepted {
		t.Errorf("%d posts accepted (%q), want %d", len(got), got, wantAccepted)
	}
	// The 403 page of a stale form leads back to the form, in the browser's language.
	code, _, body := fs.post(t, "alice", form("x", ""), map[string]string{"Accept-Language": "sv-SE,sv;q=0.9"})
	if code != 403 || !strings.Contains(body, `<a class="button" href="/test/form?subject=alice">Ladda om formuläret</a>`) {
		t.Errorf("the Swedish 403 page: %d\n%s", code, body)
	}
}
