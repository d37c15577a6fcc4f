package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/web"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// wantSecurityHeaders checks the headers every response of the site carries.
func wantSecurityHeaders(t *testing.T, hdr http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": web.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	}
	for k, v := range want {
		if got := hdr.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	csp := web.ContentSecurityPolicy
	for _, want := range []string{"default-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the CSP lacks %s", want)
		}
	}
	for _, never := range []string{"unsafe-inline", "unsafe-eval", "form-action", "*", "http:", "https:"} {
		if strings.Contains(csp, never) {
			t.Errorf("the CSP has %s", never)
		}
	}
}

func TestLang(t *testing.T) {
	tests := []struct {
		prefs []string
		want  string
	}{
		{nil, "en"},
		{[]string{""}, "en"},
		{[]string{"sv"}, "sv"},
		{[]string{"hi"}, "hi"},
		{[]string{"en"}, "en"},
		{[]string{"sv-SE,sv;q=0.9,en;q=0.8"}, "sv"},
		{[]string{"hi-IN"}, "hi"},
		{[]string{"fi"}, "en"},
		{[]string{"de-DE,de;q=0.9"}, "en"},
		{[]string{"fi", "sv"}, "sv"},
		{[]string{"", "hi"}, "hi"},
		{[]string{"nonsense;;;q=x"}, "en"},
	}
	for _, tt := range tests {
		if got := web.Lang(tt.prefs...); got != tt.want {
			t.Errorf("Lang(%q) = %s, want %s", tt.prefs, got, tt.want)
		}
	}
}

func TestFinishedPage(t *testing.T) {
	srv := httptest.NewServer(newSite(t, web.Config{Logger: discard}).Handler())
	defer srv.Close()
	for _, tt := range []struct {
		acceptLanguage string
		lang, heading  string
	}{
		{"", "en", "Thank you"},
		{"sv-SE,sv;q=0.9", "sv", "Tack"},
		{"hi", "hi", "धन्यवाद"},
		{"fr", "en", "Thank you"},
	} {
		code, hdr, body := get(t, srv.URL+"/signing-finished", map[string]string{"Accept-Language": tt.acceptLanguage})
		if code != 200 || hdr.Get("Content-Type") != "text/html; charset=utf-8" || hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("%q: %d %v", tt.acceptLanguage, code, hdr)
		}
		wantSecurityHeaders(t, hdr)
		if !strings.Contains(body, `<html lang="`+tt.lang+`"`) || !strings.Contains(body, "<h1>"+tt.heading+"</h1>") {
			t.Errorf("Accept-Language %q: want lang %s and %q:\n%s", tt.acceptLanguage, tt.lang, tt.heading, body)
		}
	}
}

func TestLayoutAndAssets(t *testing.T) {
	srv := httptest.NewServer(newSite(t, web.Config{Logger: discard}).Handler())
	defer srv.Close()
	_, _, body := get(t, srv.URL+"/signing-finished", nil)
	for _, want := range []string{
		"<!doctype html>",
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<a class="skip" href="#main">Skip to content</a>`,
		`<header class="site-header">`,
		`<main id="main"`,
		`<footer class="site-footer">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the layout lacks %s", want)
		}
	}
	css := regexp.MustCompile(`<link rel="stylesheet" href="(/assets/signet\.([0-9a-f]{10})\.css)">`).FindStringSubmatch(body)
	if css == nil {
		t.Fatalf("no versioned stylesheet:\n%s", body)
	}
	code, hdr, content := get(t, srv.URL+css[1], nil)
	if code != 200 || hdr.Get("Content-Type") != "text/css; charset=utf-8" || hdr.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		hdr.Get("ETag") != `"`+css[2]+`"` || !strings.Contains(content, ":focus-visible") {
		t.Errorf("GET %s: %d %v", css[1], code, hdr)
	}
	wantSecurityHeaders(t, hdr)
	if code, _, _ := get(t, srv.URL+css[1], map[string]string{"If-None-Match": `"` + css[2] + `"`}); code != http.StatusNotModified {
		t.Errorf("a revalidation of the stylesheet: %d, want 304", code)
	}
	for _, path := range []string{"/assets/signet.css", "/assets/signet.0000000000.css", "/assets/", "/assets/../locales/en.json"} {
		if code, _, _ := get(t, srv.URL+path, nil); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	code, hdr, body = get(t, srv.URL+"/nothing/here", map[string]string{"Accept-Language": "sv"})
	if code != 404 || !strings.Contains(body, "<h1>Sidan finns inte</h1>") {
		t.Errorf("the 404 page: %d\n%s", code, body)
	}
	wantSecurityHeaders(t, hdr)
}

func TestRoutesAreAllSecured(t *testing.T) {
	site := newSite(t, web.Config{Logger: discard, BankID: &web.BankIDConfig{Lookup: (&fixture{}).lookup}})
	routes := site.Routes()
	var patterns []string
	for p := range routes {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	want := []string{"GET /assets/{name}", "GET /bankid/{sessionId}", "GET /bankid/{sessionId}/qr", "GET /bankid/{sessionId}/status", "GET /signing-finished"}
	if !slices.Equal(patterns, want) {
		t.Errorf("routes %q, want %q", patterns, want)
	}
	for _, p := range patterns {
		rec := httptest.NewRecorder()
		routes[p].ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		wantSecurityHeaders(t, rec.Header())
		if rec.Code >= 500 {
			t.Errorf("%s with no path values: %d", p, rec.Code)
		}
	}
}

// messages flattens a locales file into message id → text.
func messages(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("locales", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case string:
			out[prefix] = v
		case map[string]any:
			for k, sub := range v {
				walk(strings.TrimPrefix(prefix+"."+k, "."), sub)
			}
		default:
			t.Errorf("%s.json: %s is a %T", lang, prefix, v)
		}
	}
	walk("", raw)
	return out
}

var placeholder = regexp.MustCompile(`{{[^}]*}}`)

// TestCatalogIsComplete: every language has every message, with the same
// placeholders, and every message a template names exists.
func TestCatalogIsComplete(t *testing.T) {
	en := messages(t, "en")
	for _, lang := range web.Languages[1:] {
		other := messages(t, lang)
		for id, text := range en {
			tr, ok := other[id]
			if !ok {
				t.Errorf("%s lacks %s", lang, id)
				continue
			}
			got, want := placeholder.FindAllString(tr, -1), placeholder.FindAllString(text, -1)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s has placeholders %q, en has %q", lang, id, got, want)
			}
		}
		for id := range other {
			if _, ok := en[id]; !ok {
				t.Errorf("%s has %s, which en lacks", lang, id)
			}
		}
	}
	pages, err := filepath.Glob("templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("templates/pages/*.html")
	partials, _ := filepath.Glob("templates/partials/*.html")
	used := regexp.MustCompile(`\{\{t "([^"]+)"`)
	for _, p := range append(append(pages, more...), partials...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses %s, which en.json lacks", p, m[1])
			}
		}
	}
}
