// Package mailtest runs a real SMTP server in-process on loopback for
// tests: optional AUTH PLAIN, STARTTLS or implicit TLS with a throwaway
// certificate, recipients refused on demand, and every accepted message
// captured and parsed. Import it from _test.go files only.
package mailtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server. The zero value is a plain server on
// 127.0.0.1 that accepts everything.
type Options struct {
	// Username and Password, when set, make AUTH PLAIN required before
	// MAIL FROM.
	Username, Password string
	// StartTLS offers STARTTLS; AUTH is then offered only after it.
	StartTLS bool
	// ImplicitTLS speaks TLS from the first byte (smtps://).
	ImplicitTLS bool
	// Reject, when set, is asked about each RCPT TO; a non-zero code
	// (e.g. 550, 450) refuses the recipient with that reply.
	Reject func(rcpt string) (code int, message string)
	// ListenAddr is where to listen; "127.0.0.1:0" if empty.
	ListenAddr string
}

// Message is a captured message, parsed.
type Message struct {
	From        string   // the envelope sender (MAIL FROM)
	To          []string // the envelope recipients (RCPT TO)
	Header      netmail.Header
	Subject     string // decoded
	ContentType string // the media type of the whole message, e.g. text/plain
	Text        string // the decoded text/plain body (CRLF as LF)
	HTML        string // the decoded text/html alternative, if any
	Raw         []byte
	TLS         bool   // the message came over TLS
	AuthUser    string // who authenticated, if anyone
}

// Server is a running SMTP server.
type Server struct {
	// Addr is host:port of the listener.
	Addr string

	opts   Options
	ln     net.Listener
	srv    *smtp.Server
	roots  *x509.CertPool
	mu     sync.Mutex
	msgs   []Message
	taken  map[string]int // per recipient: how many Wait has returned
	notify chan struct{}  // closed and replaced on every new message
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, taken: map[string]int{}, notify: make(chan struct{})}
	addr := opts.ListenAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("mailtest: listen on %s: %v", addr, err)
	}
	s.Addr = ln.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "mailtest.localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	srv.AllowInsecureAuth = !opts.StartTLS
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if opts.StartTLS || opts.ImplicitTLS {
		cert, roots, err := throwawayCert()
		if err != nil {
			ln.Close()
			t.Fatalf("mailtest: certificate: %v", err)
		}
		s.roots = roots
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if opts.ImplicitTLS {
			ln = tls.NewListener(ln, srv.TLSConfig)
		}
	}
	s.srv, s.ln = srv, ln
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return s
}

// Close stops the server; later connections are refused.
func (s *Server) Close() {
	_ = s.srv.Close()
	_ = s.ln.Close() // in case Serve has not registered it yet
}

// URL is the server as an SMTP URL, with the user and password if set.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr}
	if s.opts.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// TLSConfig is a client configuration that trusts the server's
// throwaway certificate (valid for 127.0.0.1, ::1 and localhost).
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// Messages returns every message accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the next message to address that Wait has not returned
// before, waiting for it until ctx ends. Addresses compare without case.
func (s *Server) Wait(ctx context.Context, address string) (Message, error) {
	want := strings.ToLower(address)
	for {
		s.mu.Lock()
		seen := 0
		for _, m := range s.msgs {
			if !hasRecipient(m, want) {
				continue
			}
			if seen == s.taken[want] {
				s.taken[want]++
				s.mu.Unlock()
				return m, nil
			}
			seen++
		}
		notify := s.notify
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Message{}, fmt.Errorf("mailtest: no new message to %s: %w", address, ctx.Err())
		case <-notify:
		}
	}
}

func hasRecipient(m Message, lower string) bool {
	for _, to := range m.To {
		if strings.ToLower(to) == lower {
			return true
		}
	}
	return false
}

var digitRuns = regexp.MustCompile(`[0-9]+`)

// SixDigitCode returns the only run of exactly six digits in text, as a
// signer would read a one-time code off a mail, or an error if there is
// none or more than one.
func SixDigitCode(text string) (string, error) {
	var found []string
	for _, run := range digitRuns.FindAllString(text, -1) {
		if len(run) == 6 {
			found = append(found, run)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("mailtest: want exactly one six-digit number in the text, found %d: %q", len(found), found)
	}
	return found[0], nil
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// session is one SMTP connection's transaction state.
type session struct {
	srv  *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.srv.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || ss.srv.opts.Username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.srv.opts.Username || password != ss.srv.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.opts.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.srv.opts.Reject != nil {
		if code, msg := ss.srv.opts.Reject(to); code != 0 {
			return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: msg}
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparseable message: " + err.Error()}
	}
	m.From, m.To, m.AuthUser = ss.from, append([]string(nil), ss.to...), ss.user
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.srv.add(m)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Parse reads a message's headers and finds its text/plain and text/html
// bodies, decoding quoted-printable, base64 and encoded-word subjects.
func Parse(raw []byte) (Message, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	m := Message{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, fmt.Errorf("subject: %w", err)
	}
	mediaType, params, err := contentType(msg.Header.Get("Content-Type"))
	if err != nil {
		return Message{}, err
	}
	m.ContentType = mediaType
	if err := walk(&m, mediaType, params, msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0); err != nil {
		return Message{}, err
	}
	return m, nil
}

func contentType(v string) (string, map[string]string, error) {
	if v == "" {
		return "text/plain", map[string]string{}, nil
	}
	t, p, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil, fmt.Errorf("content-type %q: %w", v, err)
	}
	return t, p, nil
}

func walk(m *Message, mediaType string, params map[string]string, cte string, body io.Reader, depth int) error {
	if depth > 8 {
		return errors.New("multipart nested too deeply")
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			t, pp, err := contentType(p.Header.Get("Content-Type"))
			if err != nil {
				return err
			}
			// NextPart has already undone quoted-printable.
			if err := walk(m, t, pp, p.Header.Get("Content-Transfer-Encoding"), p, depth+1); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: body})
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("charset %q: mailtest reads UTF-8 only", cs)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = text
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

// newlineStripper drops line breaks, which base64 bodies carry and
// base64.NewDecoder rejects.
type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	for {
		c, err := n.r.Read(p)
		k := 0
		for _, b := range p[:c] {
			if b != '\r' && b != '\n' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// throwawayCert makes a self-signed certificate for loopback and a pool
// that trusts it.
func throwawayCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}
