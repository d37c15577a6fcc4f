package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func clock() func() time.Time {
	var mu sync.Mutex
	t := testNow
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func TestOutboxKeepsNewestFirst(t *testing.T) {
	o := NewOutbox(3, clock())
	for i := 1; i <= 5; i++ {
		if err := o.Send(context.Background(), Message{To: fmt.Sprintf("s%d@example.com", i), Subject: fmt.Sprint(i), Text: "code 12345" + fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := o.Messages()
	if len(got) != 3 {
		t.Fatalf("kept %d messages, want 3", len(got))
	}
	for i, want := range []int64{5, 4, 3} {
		if got[i].ID != want || got[i].Subject != fmt.Sprint(want) || got[i].To != fmt.Sprintf("s%d@example.com", want) {
			t.Errorf("Messages()[%d] = %+v, want message %d", i, got[i], want)
		}
	}
	if !got[0].SentAt.After(got[1].SentAt) || got[0].SentAt.Location() != time.UTC {
		t.Errorf("SentAt %v, %v: want newest first, in UTC", got[0].SentAt, got[1].SentAt)
	}
	if d := NewOutbox(0, time.Now); d.max != DefaultOutboxSize {
		t.Errorf("NewOutbox(0).max = %d, want %d", d.max, DefaultOutboxSize)
	}
}

func TestOutboxRefusesBadMessages(t *testing.T) {
	o := NewOutbox(10, clock())
	for _, m := range []Message{
		{To: "not an address", Text: "x"},
		{To: "a@example.com", Text: ""},
		{To: "a@example.com", Subject: "a\nb", Text: "x"},
	} {
		err := o.Send(context.Background(), m)
		if err == nil || IsTemporary(err) {
			t.Errorf("Send(%+v) = %v, want a permanent error", m, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, Message{To: "a@example.com", Text: "x"}); err == nil {
		t.Error("Send with a cancelled context succeeded")
	}
	if n := len(o.Messages()); n != 0 {
		t.Errorf("kept %d bad messages", n)
	}
}

func TestOutboxConcurrent(t *testing.T) {
	o := NewOutbox(50, clock())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				_ = o.Send(context.Background(), Message{To: fmt.Sprintf("g%d@example.com", g), Text: fmt.Sprint(i)})
				_ = o.Messages()
			}
		}()
	}
	wg.Wait()
	got := o.Messages()
	if len(got) != 50 || got[0].ID != 160 || got[49].ID != 111 {
		t.Errorf("kept %d messages, ids %d…%d; want 50, 160…111", len(got), got[0].ID, got[len(got)-1].ID)
	}
}

func get(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestOutboxPage(t *testing.T) {
	o := NewOutbox(10, clock())
	hostile := Message{To: `"<b>Eve</b>" <eve@example.com>`, Subject: `<script>alert(1)</script> & "quotes"`,
		Text: "Your code is 654321.\n</pre><img src=x onerror=alert(2)>", HTML: `<p onclick="x()">Hi</p>`}
	for _, m := range []Message{{To: "anna@example.com", Subject: "Din kod: åäö", Text: "Koden är 123456."}, hostile} {
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	w := get(t, o, "GET", "/sandbox/mail")
	body := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;",
		"&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;",
		"&lt;p onclick=&#34;x()&#34;&gt;Hi&lt;/p&gt;",
		"&#34;&lt;b&gt;Eve&lt;/b&gt;&#34; &lt;eve@example.com&gt;",
		"Din kod: åäö", "Koden är 123456.", "Your code is 654321.",
		`<input id="to" name="to"`, `<label for="to">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "<img", "<b>Eve", `<p onclick`} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	if strings.Index(body, "654321") > strings.Index(body, "123456") {
		t.Error("page is not newest first")
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if got := w.Header().Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if strings.Contains(w.Header().Get("Content-Security-Policy"), "script-src") || strings.Contains(body, "<script") {
		t.Error("the page should need and allow no script")
	}

	// Filtered by recipient, in any case and with a display name.
	w = get(t, o, "GET", "/sandbox/mail?to=ANNA%40example.com")
	if b := w.Body.String(); !strings.Contains(b, "123456") || strings.Contains(b, "654321") {
		t.Errorf("?to=anna: wrong messages:\n%s", b)
	}
	w = get(t, o, "GET", "/sandbox/mail?to=nobody%40example.com")
	if b := w.Body.String(); !strings.Contains(b, "No mail to nobody@example.com yet") {
		t.Errorf("?to=nobody: %s", b)
	}
}

func TestOutboxJSON(t *testing.T) {
	o := NewOutbox(10, clock())
	w := get(t, o, "GET", "/sandbox/mail?format=json")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"messages":[]}` {
		t.Errorf("empty: %d %s", w.Code, w.Body)
	}
	for _, to := range []string{"Anna <anna@example.com>", "bo@example.com", "anna@example.com"} {
		if err := o.Send(context.Background(), Message{To: to, Subject: "Kod", Text: "Koden är 123456.", HTML: "<p>123456</p>"}); err != nil {
			t.Fatal(err)
		}
	}
	w = get(t, o, "GET", "/sandbox/mail?format=json&to=anna@example.com")
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got struct {
		Messages []struct {
			ID      int64     `json:"id"`
			To      string    `json:"to"`
			Subject string    `json:"subject"`
			Text    string    `json:"text"`
			HTML    string    `json:"html"`
			SentAt  time.Time `json:"sentAt"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 2 || got.Messages[0].ID != 3 || got.Messages[1].To != "Anna <anna@example.com>" ||
		got.Messages[0].Text != "Koden är 123456." || got.Messages[0].HTML != "<p>123456</p>" || got.Messages[0].SentAt.IsZero() {
		t.Errorf("messages = %+v", got.Messages)
	}
}

func TestOutboxBadRequests(t *testing.T) {
	o := NewOutbox(10, clock())
	for _, tt := range []struct {
		method, target string
		code           int
	}{
		{"HEAD", "/sandbox/mail", 200},
		{"POST", "/sandbox/mail", 405},
		{"DELETE", "/sandbox/mail", 405},
		{"GET", "/sandbox/mail?format=xml", 400},
		{"GET", "/sandbox/mail?format=json&format=html", 400},
		{"GET", "/sandbox/mail?page=2", 400},
		{"GET", "/sandbox/mail?to=%zz", 400},
		{"GET", "/sandbox/mail?to=a;b", 400},
		{"GET", "/sandbox/mail?to=" + strings.Repeat("a", 400), 400},
	} {
		w := get(t, o, tt.method, tt.target)
		if w.Code != tt.code {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.target, w.Code, tt.code)
		}
		if tt.code == 405 && w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: Allow = %q", tt.method, w.Header().Get("Allow"))
		}
	}
}
