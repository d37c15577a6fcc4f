package providertest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	formRe   = regexp.MustCompile(`(?is)<form[^>]*>.*?</form>`)
	actionRe = regexp.MustCompile(`(?i)<form[^>]*\saction="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`(?i)<input[^>]*type="hidden"[^>]*>`)
	nameRe   = regexp.MustCompile(`(?i)name="([^"]*)"`)
	valueRe  = regexp.MustCompile(`(?i)value="([^"]*)"`)
)

// SubmitForm plays a signer's browser on a sandbox signing page (CONTRACT.md
// §5): it opens pageURL, checks the page has a POST form with the `action`
// buttons sign and decline, and submits it with the given action and the
// form's hidden inputs. Opening the page follows redirects, as a browser
// does (Signet's signer link forwards with a 303); the submit does not:
// its answer (often a 303 to the returnUrl) is returned with its body
// closed.
func SubmitForm(t testing.TB, pageURL, action string) *http.Response {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	opener := &http.Client{Jar: jar}
	resp, err := opener.Get(pageURL)
	if err != nil {
		t.Fatalf("opening the signing page: %v", err)
	}
	pageURL = resp.Request.URL.String() // where the redirects led
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("signing page %s: %d %s", pageURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	form := formRe.Find(page)
	if form == nil {
		t.Fatalf("signing page has no form:\n%s", page)
	}
	for _, want := range []string{`method="post"`, `name="action"`, `value="sign"`, `value="decline"`} {
		if !bytes.Contains(bytes.ToLower(form), []byte(want)) {
			t.Fatalf("the signing form lacks %s:\n%s", want, form)
		}
	}
	target, _ := url.Parse(pageURL)
	if m := actionRe.FindSubmatch(form); m != nil && len(m[1]) > 0 {
		ref, err := url.Parse(unescape(string(m[1])))
		if err != nil {
			t.Fatalf("form action: %v", err)
		}
		target = target.ResolveReference(ref)
	}
	vals := url.Values{"action": {action}}
	for _, in := range hiddenRe.FindAll(form, -1) {
		if n := nameRe.FindSubmatch(in); n != nil {
			v := ""
			if m := valueRe.FindSubmatch(in); m != nil {
				v = unescape(string(m[1]))
			}
			vals.Set(unescape(string(n[1])), v)
		}
	}
	resp, err = browser.PostForm(target.String(), vals)
	if err != nil {
		t.Fatalf("submitting %s: %v", action, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("submitting %s: status %d", action, resp.StatusCode)
	}
	return resp
}

func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}
