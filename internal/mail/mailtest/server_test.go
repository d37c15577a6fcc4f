package mailtest

import (
	"context"
	"net/smtp"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, raw               string
		subject, ctype, text, h string
	}{
		{"plain, no content type", "Subject: hi\r\n\r\nline one\r\nline two\r\n", "hi", "text/plain", "line one\nline two\n", ""},
		{"quoted-printable, encoded subject",
			"Subject: =?UTF-8?q?Din_kod_=C3=A5=C3=A4=C3=B6?=\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nKoden =C3=A4r 12=\r\n3456.\r\n",
			"Din kod åäö", "text/plain", "Koden är 123456.\n", ""},
		{"base64 with line breaks", "Subject: =?UTF-8?b?4KSo4KSu4KS44KWN4KSk4KWH?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n4KSo4KSu4KS4\r\n4KWN4KSk4KWH\r\n",
			"नमस्ते", "text/plain", "नमस्ते", ""},
		{"nested multipart", "Subject: x\r\nContent-Type: multipart/mixed; boundary=OUT\r\n\r\n--OUT\r\nContent-Type: multipart/alternative; boundary=IN\r\n\r\n--IN\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCode 654321=\r\n\r\n--IN\r\nContent-Type: text/html\r\n\r\n<p>654321</p>\r\n--IN--\r\n--OUT\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--OUT--\r\n",
			"x", "multipart/mixed", "Code 654321", "<p>654321</p>"},
	} {
		m, err := Parse([]byte(tt.raw))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if m.Subject != tt.subject || m.ContentType != tt.ctype || m.Text != tt.text || m.HTML != tt.h {
			t.Errorf("%s: got subject %q, type %q, text %q, html %q; want %q, %q, %q, %q",
				tt.name, m.Subject, m.ContentType, m.Text, m.HTML, tt.subject, tt.ctype, tt.text, tt.h)
		}
	}
	for _, bad := range []string{"no header separator", "Content-Type: text/plain; charset=latin1\r\n\r\nx", "Content-Type: ;;\r\n\r\nx"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestSixDigitCode(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"Your code is 123456.", "123456"},
		{"Code: 000042 — valid 10 minutes, sent 2026-03-14 09:26", "000042"},
		{"कोड 987654 है", "987654"},
		{"1234567 is seven digits, 12345 five", ""},
		{"two codes 123456 and 654321", ""},
		{"none", ""},
	} {
		got, err := SixDigitCode(tt.text)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("SixDigitCode(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

// TestServerWithStdlibClient drives the server with net/smtp, so the
// server is tested independently of the mailer it tests.
func TestServerWithStdlibClient(t *testing.T) {
	srv := Start(t, Options{Username: "u", Password: "p", Reject: func(rcpt string) (int, string) {
		if strings.HasPrefix(rcpt, "no@") {
			return 550, "no such user"
		}
		return 0, ""
	}})
	auth := smtp.PlainAuth("", "u", "p", "127.0.0.1")
	send := func(to string, body string) error {
		return smtp.SendMail(srv.Addr, auth, "from@example.com", []string{to}, []byte(body))
	}
	for i, body := range []string{"Subject: one\r\n\r\nfirst\r\n", "Subject: two\r\n\r\nsecond\r\n"} {
		if err := send("Anna@Example.com", body); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := send("no@example.com", "Subject: x\r\n\r\nx\r\n"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("refused recipient: %v", err)
	}
	if err := smtp.SendMail(srv.Addr, smtp.PlainAuth("", "u", "wrong", "127.0.0.1"), "f@example.com", []string{"a@example.com"}, []byte("x")); err == nil {
		t.Error("a wrong password was accepted")
	}
	if err := smtp.SendMail(srv.Addr, nil, "f@example.com", []string{"a@example.com"}, []byte("x")); err == nil {
		t.Error("mail without AUTH was accepted")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, want := range []string{"one", "two"} {
		m, err := srv.Wait(ctx, "anna@example.com")
		if err != nil || m.Subject != want || m.AuthUser != "u" || m.From != "from@example.com" {
			t.Errorf("Wait = %q by %q from %q, %v; want %q by u", m.Subject, m.AuthUser, m.From, err, want)
		}
	}
	// Nothing new: Wait ends with the context.
	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	if _, err := srv.Wait(short, "anna@example.com"); err == nil {
		t.Error("Wait returned a message twice")
	}
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("Messages() has %d, want 2", n)
	}
}

// TestWaitWakesUp checks that Wait returns a message that arrives after
// it started waiting.
func TestWaitWakesUp(t *testing.T) {
	srv := Start(t, Options{})
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := srv.Wait(ctx, "late@example.com")
		got <- err
	}()
	if err := smtp.SendMail(srv.Addr, nil, "f@example.com", []string{"late@example.com"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Errorf("Wait: %v", err)
	}
}
