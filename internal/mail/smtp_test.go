package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/mail/mailtest"
)

var testNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

const testFrom = "Signet <noreply@signet.test>"

func newSMTP(t *testing.T, rawURL string, opts ...Option) *SMTP {
	t.Helper()
	s, err := NewSMTP(rawURL, testFrom, append([]Option{WithNow(func() time.Time { return testNow })}, opts...)...)
	if err != nil {
		t.Fatalf("NewSMTP(%s): %v", rawURL, err)
	}
	return s
}

func wait(t *testing.T, srv *mailtest.Server, to string) mailtest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := srv.Wait(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func codeMessage(to string) Message {
	return Message{To: to, Subject: "Your signing code",
		Text: "Hello Anna,\n\nYour code is 482913. It is valid for 10 minutes.\n\nSigned on 14 March 2026 by Signet.\n"}
}

func TestSendPlain(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSMTP(t, srv.URL())
	if err := s.Send(context.Background(), codeMessage("anna@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := wait(t, srv, "anna@example.com")
	if m.From != "noreply@signet.test" || len(m.To) != 1 || m.To[0] != "anna@example.com" {
		t.Errorf("envelope: from %q to %q, want noreply@signet.test to anna@example.com", m.From, m.To)
	}
	if m.Subject != "Your signing code" {
		t.Errorf("subject = %q", m.Subject)
	}
	if want := codeMessage("").Text; strings.TrimRight(m.Text, "\n") != strings.TrimRight(want, "\n") {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
	if m.ContentType != "text/plain" {
		t.Errorf("content type = %q, want text/plain", m.ContentType)
	}
	if m.TLS || m.AuthUser != "" {
		t.Errorf("TLS %v, user %q: want a plain, anonymous session", m.TLS, m.AuthUser)
	}
	h := m.Header
	if got := h.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if d, err := h.Date(); err != nil || !d.Equal(testNow) {
		t.Errorf("Date = %v (%v), want %v", d, err, testNow)
	}
	if id := h.Get("Message-Id"); !regexp.MustCompile(`^<[^@<>]+@signet\.test>$`).MatchString(id) {
		t.Errorf("Message-ID = %q", id)
	}
	if from := h.Get("From"); !strings.Contains(from, "noreply@signet.test") || !strings.Contains(from, "Signet") {
		t.Errorf("From = %q", from)
	}
}

// TestOneTimeCode checks what the local provider relies on: a text/plain
// body whose only six-digit number is the code, readable by a regex in
// the decoded text and verbatim in the raw message.
func TestOneTimeCode(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSMTP(t, srv.URL())
	msg := Message{To: "ravi@example.in", Subject: "आपका कोड / Din kod",
		Text: "नमस्ते Ravi,\n\nआपका कोड / your code: 071234\n\n" + strings.Repeat("Detta meddelande skickades automatiskt. ", 6) + "\n"}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m := wait(t, srv, "ravi@example.in")
	if m.ContentType != "text/plain" {
		t.Errorf("content type = %q, want text/plain", m.ContentType)
	}
	code, err := mailtest.SixDigitCode(m.Text)
	if err != nil || code != "071234" {
		t.Errorf("code = %q, %v; want 071234", code, err)
	}
	if !regexp.MustCompile(`\b071234\b`).Match(m.Raw) {
		t.Errorf("the code is not verbatim in the raw message:\n%s", m.Raw)
	}
}

func TestSendUTF8(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSMTP(t, srv.URL())
	for _, tt := range []struct{ to, name, subject, text string }{
		{"asa@example.se", "Åsa Öberg <asa@example.se>", "Din kod för att signera: åäö ÅÄÖ",
			"Hej Åsa!\n\nSkriv in koden för att signera avtalet. Gäller i tio minuter.\nÄr det inte du? Då kan du bortse från det här.\n"},
		{"ravi@example.in", "रवि <ravi@example.in>", "नमस्ते — आपका कोड",
			"नमस्ते रवि,\nअनुबंध पर हस्ताक्षर करने के लिए यह कोड दर्ज करें।\n"},
	} {
		if err := s.Send(context.Background(), Message{To: tt.name, Subject: tt.subject, Text: tt.text}); err != nil {
			t.Fatalf("Send to %s: %v", tt.name, err)
		}
		m := wait(t, srv, tt.to)
		if m.Subject != tt.subject {
			t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
		}
		if strings.TrimRight(m.Text, "\n") != strings.TrimRight(tt.text, "\n") {
			t.Errorf("text = %q, want %q", m.Text, tt.text)
		}
		if to, err := m.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].String() != mustAddress(t, tt.name) {
			t.Errorf("To header = %v (%v), want %s", to, err, tt.name)
		}
		for _, b := range m.Raw {
			if b >= 0x80 {
				t.Errorf("raw message to %s has 8-bit bytes; want 7-bit encodings", tt.to)
				break
			}
		}
	}
}

func mustAddress(t *testing.T, s string) string {
	t.Helper()
	a, err := parseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a.String()
}

func TestSendHTMLAlternative(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSMTP(t, srv.URL())
	msg := Message{To: "anna@example.com", Subject: "Code", Text: "Your code is 123456.", HTML: "<p>Your code is <b>123456</b>.</p>"}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m := wait(t, srv, "anna@example.com")
	if m.ContentType != "multipart/alternative" || strings.TrimSpace(m.Text) != msg.Text || strings.TrimSpace(m.HTML) != msg.HTML {
		t.Errorf("got %s, text %q, html %q", m.ContentType, m.Text, m.HTML)
	}
}

func TestSendAuth(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Username: "signet", Password: "p@ss:w/rd%"})
	s := newSMTP(t, srv.URL())
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, v := range []any{s, *s, s.srv} {
			if got := fmt.Sprintf(f, v); strings.Contains(got, "rd%") || !strings.Contains(got, "signet:xxxxx@127.0.0.1") {
				t.Errorf("Sprintf(%s, %T) = %q, want the password redacted", f, v, got)
			}
		}
	}
	if err := s.Send(context.Background(), codeMessage("anna@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := wait(t, srv, "anna@example.com"); m.AuthUser != "signet" {
		t.Errorf("authenticated as %q, want signet", m.AuthUser)
	}

	// A wrong password is refused for good, and never shown.
	wrong := "smtp://signet:wrongpass@" + srv.Addr
	err := newSMTP(t, wrong).Send(context.Background(), codeMessage("anna@example.com"))
	assertError(t, err, false, 535)
	if strings.Contains(err.Error(), "wrongpass") {
		t.Errorf("error shows the password: %v", err)
	}

	// No credentials where AUTH is required: the server says 5xx.
	anon := "smtp://" + srv.Addr
	assertError(t, newSMTP(t, anon).Send(context.Background(), codeMessage("anna@example.com")), false, 502)
}

func TestSendStartTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "signet", Password: "secret-pw"})
	for _, query := range []string{"", "?starttls=opportunistic", "?starttls=required"} {
		s := newSMTP(t, srv.URL()+query, WithTLSConfig(srv.TLSConfig()))
		if err := s.Send(context.Background(), codeMessage("anna@example.com")); err != nil {
			t.Fatalf("Send%s: %v", query, err)
		}
		if m := wait(t, srv, "anna@example.com"); !m.TLS || m.AuthUser != "signet" {
			t.Errorf("%s: TLS %v, user %q; want STARTTLS then AUTH", query, m.TLS, m.AuthUser)
		}
	}
	// A certificate we don't trust stops the send; trying again won't help.
	err := newSMTP(t, srv.URL()).Send(context.Background(), codeMessage("anna@example.com"))
	assertError(t, err, false, 0)
	if strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestStartTLSRequiredButNotOffered(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	err := newSMTP(t, srv.URL()+"?starttls=required").Send(context.Background(), codeMessage("anna@example.com"))
	assertError(t, err, false, 0)
	if !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("error does not say STARTTLS: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages went out in the clear", n)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{ImplicitTLS: true, Username: "signet", Password: "secret-pw"})
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL = %s", srv.URL())
	}
	s := newSMTP(t, srv.URL(), WithTLSConfig(srv.TLSConfig()))
	if err := s.Send(context.Background(), codeMessage("anna@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := wait(t, srv, "anna@example.com"); !m.TLS || m.AuthUser != "signet" {
		t.Errorf("TLS %v, user %q; want both", m.TLS, m.AuthUser)
	}
	// smtps:// to a plain port fails on the handshake, for good.
	plain := mailtest.Start(t, mailtest.Options{})
	err := newSMTP(t, strings.Replace(plain.URL(), "smtp://", "smtps://", 1), WithTLSConfig(srv.TLSConfig())).
		Send(context.Background(), codeMessage("anna@example.com"))
	assertError(t, err, false, 0)
}

// TestPasswordNeverInClear listens on 127.0.0.2 (loopback, but not a
// name the client trusts): a server that offers AUTH without TLS gets no
// password.
func TestPasswordNeverInClear(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	ln.Close()
	srv := mailtest.Start(t, mailtest.Options{Username: "signet", Password: "secret-pw", ListenAddr: "127.0.0.2:0"})
	err = newSMTP(t, srv.URL()).Send(context.Background(), codeMessage("anna@example.com"))
	assertError(t, err, false, 0)
	if !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("error = %v, want it to say the connection is unencrypted", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}

func TestRecipientRefused(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Reject: func(rcpt string) (int, string) {
		switch {
		case strings.HasPrefix(rcpt, "nobody@"):
			return 550, "no such user"
		case strings.HasPrefix(rcpt, "full@"):
			return 452, "mailbox full, try later"
		case strings.HasPrefix(rcpt, "grey@"):
			return 450, "greylisted, try again in 5 minutes"
		}
		return 0, ""
	}})
	s := newSMTP(t, srv.URL())
	for _, tt := range []struct {
		to        string
		temporary bool
		code      int
	}{
		{"nobody@example.com", false, 550},
		{"full@example.com", true, 452},
		{"grey@example.com", true, 450},
	} {
		err := s.Send(context.Background(), codeMessage(tt.to))
		assertError(t, err, tt.temporary, tt.code)
	}
	if err := s.Send(context.Background(), codeMessage("ok@example.com")); err != nil {
		t.Errorf("an accepted recipient after refused ones: %v", err)
	}
}

func TestServerDown(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	srv.Close()
	err := newSMTP(t, srv.URL()).Send(context.Background(), codeMessage("anna@example.com"))
	assertError(t, err, true, 0)
}

// TestServerSilent talks to a listener that never greets: the send ends
// with the context, as a temporary failure.
func TestServerSilent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	s := newSMTP(t, "smtp://"+ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, codeMessage("anna@example.com")) }()
	cancel()
	err = <-done
	assertError(t, err, true, 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled in its chain", err)
	}
}

func TestSendRefusesBadMessages(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSMTP(t, srv.URL())
	for _, m := range []Message{
		{To: "", Subject: "x", Text: "x"},
		{To: "not an address", Subject: "x", Text: "x"},
		{To: "a@example.com, b@example.com", Subject: "x", Text: "x"},
		{To: "a@example.com\r\nBcc: victim@example.com", Subject: "x", Text: "x"},
		{To: "a@example.com", Subject: "x\r\nBcc: victim@example.com", Text: "x"},
		{To: "a@example.com", Subject: "x", Text: " \n"},
		{To: "a@example.com", Subject: "x", Text: "bad \xff utf-8"},
		{To: "a@example.com", Subject: strings.Repeat("x", MaxSubjectLength+1), Text: "x"},
	} {
		assertError(t, s.Send(context.Background(), m), false, 0)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d bad messages were sent", n)
	}
}

func assertError(t *testing.T, err error, temporary bool, code int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *mail.Error", err, err)
	}
	if e.Temporary != temporary || IsTemporary(err) != temporary {
		t.Errorf("err = %v: temporary %v, want %v", err, e.Temporary, temporary)
	}
	if e.Code != code {
		t.Errorf("err = %v: code %d, want %d", err, e.Code, code)
	}
}

func TestNewSMTPErrors(t *testing.T) {
	for _, tt := range []struct{ url, from, want string }{
		{"smtp://localhost", "", "sender"},
		{"smtp://localhost", "not an address", "sender"},
		{"smtp://localhost", "a@x, b@y", "sender"},
		{"http://localhost", "a@example.com", "smtp://"},
	} {
		if _, err := NewSMTP(tt.url, tt.from); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSMTP(%q, %q) = %v, want an error mentioning %q", tt.url, tt.from, err, tt.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want server
		str  string
	}{
		{"smtp://mail.example.com", server{host: "mail.example.com", port: 587}, "smtp://mail.example.com:587"},
		{"smtp://mail.example.com:25", server{host: "mail.example.com", port: 25}, "smtp://mail.example.com:25"},
		{"smtp://mail.example.com/", server{host: "mail.example.com", port: 587}, "smtp://mail.example.com:587"},
		{"SMTP://mail.example.com", server{host: "mail.example.com", port: 587}, "smtp://mail.example.com:587"},
		{"smtps://mail.example.com", server{host: "mail.example.com", port: 465, implicitTLS: true}, "smtps://mail.example.com:465"},
		{"smtp://u:p@[::1]:2525", server{host: "::1", port: 2525, username: "u", password: "p"}, "smtp://u:xxxxx@[::1]:2525"},
		{"smtp://apikey:SG.abc%2Fdef%40%3A@smtp.example.com?starttls=required",
			server{host: "smtp.example.com", port: 587, username: "apikey", password: "SG.abc/def@:", requireTLS: true},
			"smtp://apikey:xxxxx@smtp.example.com:587?starttls=required"},
		{"smtp://user%40example.com:pw@smtp.example.com:587?starttls=opportunistic",
			server{host: "smtp.example.com", port: 587, username: "user@example.com", password: "pw"},
			"smtp://user%40example.com:xxxxx@smtp.example.com:587"},
	} {
		got, err := parseURL(tt.url)
		if err != nil || got != tt.want {
			t.Errorf("parseURL(%q) = %+v, %v; want %+v", tt.url, got, err, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("parseURL(%q).String() = %q, want %q", tt.url, s, tt.str)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	const secret = "Hunter2-SECRET"
	for _, tt := range []struct{ url, want string }{
		{"", "smtp://"},
		{"mail.example.com:25", "smtp://"},
		{"http://mail.example.com", "smtp://"},
		{"smtp:mail.example.com", "host"},
		{"smtp://", "host"},
		{"smtp://:25", "host"},
		{"smtp://u:" + secret + "@", "host"},
		{"smtp://mail.example.com:0", "port"},
		{"smtp://mail.example.com:65536", "port"},
		{"smtp://mail.example.com:", "port"},
		{"smtp://mail.example.com:025", "port"},
		{"smtp://u:" + secret + "@mail.example.com:x", "not a valid URL"},
		{"smtp://u:" + secret + "/x@mail.example.com", "not a valid URL"},
		{"smtp://u:" + secret + " @mail.example.com", "not a valid URL"},
		{"smtp://u:" + secret + "%zz@mail.example.com", "not a valid URL"},
		{"smtp://mail.example.com/path", "path"},
		{"smtp://mail.example.com#frag", "fragment"},
		{"smtp://u@mail.example.com", "both"},
		{"smtp://:" + secret + "@mail.example.com", "both"},
		{"smtp://u:" + secret + "@mail.example.com?tls=1", "unknown query parameter"},
		{"smtp://u:" + secret + "@mail.example.com?starttls=always", "opportunistic or required"},
		{"smtp://mail.example.com?starttls=required&starttls=required", "opportunistic or required"},
		{"smtps://mail.example.com?starttls=required", "smtp:// only"},
		{"smtp://mail.example.com?%zz", "malformed"},
		{"smtp://u:a%0Ab@mail.example.com", "line breaks"},
		{"smtp://[fe80::1%25eth0]:25", "host"},
		{"smtp://::1", "host"},
		{"smtp://[127.0.0.1]", "not a valid URL"},
		{"smtp://mail..example.com", "host"},
		{"smtp://bücher.example", "host"},
		{"smtp://mail.example.com/" + strings.Repeat("a", MaxURLLength), "longer"},
	} {
		_, err := parseURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseURL(%q) = %v, want an error mentioning %q", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "Hunter2") {
			t.Errorf("parseURL(%q) error shows the password: %v", tt.url, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"smtp://mail.example.com", "smtps://u:p@mail.example.com:465", "smtp://u:p%40x@[::1]:2525?starttls=required",
		"smtp://mail.example.com:0", "smtp://u:p/x@h", "smtp://h?starttls=opportunistic&x=1", "smtp://h:", "SMTPS://h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := parseURL(raw)
		if err != nil {
			// Errors never quote the URL: a distinctive password
			// never shows.
			if u, perr := url.Parse(raw); perr == nil && u.User != nil {
				if p, _ := u.User.Password(); len(p) >= 6 && strings.ContainsAny(p, "~!$*{}|^") && strings.Contains(err.Error(), p) {
					t.Fatalf("%q: error shows the password: %v", raw, err)
				}
			}
			return
		}
		if s.host == "" || s.port < 1 || s.port > 65535 || (s.username == "") != (s.password == "") || (s.implicitTLS && s.requireTLS) {
			t.Fatalf("%q parsed to %+v", raw, s)
		}
		// String parses back to the same server, password redacted.
		str := s.String()
		back, err := parseURL(str)
		if s.password != "" {
			s.password = "xxxxx"
		}
		if err != nil || back != s {
			t.Fatalf("%q: String() = %q parses to %+v, %v; want %+v", raw, str, back, err, s)
		}
	})
}
