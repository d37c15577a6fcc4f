package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// DefaultTimeout bounds one Send: connecting, the SMTP dialogue and the
// message, unless the context ends sooner.
const DefaultTimeout = 30 * time.Second

// Default ports: message submission (RFC 6409) for smtp://, and
// submission over implicit TLS (RFC 8314) for smtps://.
const (
	DefaultPort    = 587
	DefaultTLSPort = 465
)

// SMTP sends mail through one SMTP server, one connection per message.
type SMTP struct {
	srv     server
	from    string
	domain  string
	timeout time.Duration
	tls     *tls.Config
	now     func() time.Time
}

// Option adjusts an SMTP mailer.
type Option func(*SMTP)

// WithTimeout bounds each Send (DefaultTimeout if not given).
func WithTimeout(d time.Duration) Option {
	return func(s *SMTP) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithTLSConfig sets the TLS configuration for STARTTLS and smtps://,
// e.g. to trust a private CA. Its ServerName defaults to the URL's host.
func WithTLSConfig(c *tls.Config) Option {
	return func(s *SMTP) {
		if c != nil {
			s.tls = c.Clone()
		}
	}
}

// WithNow sets the clock that dates messages (time.Now if not given).
func WithNow(now func() time.Time) Option {
	return func(s *SMTP) {
		if now != nil {
			s.now = now
		}
	}
}

// NewSMTP returns a mailer for the server at rawURL, sending as from:
//
//	smtp://[user:pass@]host[:port][?starttls=opportunistic|required]
//	smtps://[user:pass@]host[:port]
//
// smtp:// upgrades with STARTTLS whenever the server offers it
// (opportunistic, the default) or fails when it doesn't (required);
// smtps:// speaks TLS from the start. Without user and password no AUTH
// is tried; with them AUTH is required, and a password is sent in the
// clear to no one but a loopback server. Errors and String never show
// the password.
func NewSMTP(rawURL, from string, opts ...Option) (*SMTP, error) {
	srv, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	a, err := parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender (--mail-from): %w", err)
	}
	s := &SMTP{srv: srv, from: a.String(), domain: a.Address[strings.LastIndex(a.Address, "@")+1:],
		timeout: DefaultTimeout, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.tls == nil {
		s.tls = &tls.Config{}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = srv.host
	}
	if s.tls.MinVersion == 0 {
		s.tls.MinVersion = tls.VersionTLS12
	}
	return s, nil
}

// String describes the server as a URL with the password redacted.
func (s SMTP) String() string { return s.srv.String() }

// Format prints String for every verb, %#v included, so that no
// formatting of the mailer shows the password.
func (s SMTP) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// Send delivers m to the server. The returned error is an *Error.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return s.fail(err, false, 0)
	}
	msg, err := s.build(m)
	if err != nil {
		return s.fail(err, false, 0)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	// go-mail bounds each command by its timeout but does not watch the
	// context once connected: closing the connection when the context
	// ends makes the whole Send honour it.
	var stops []func() bool
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		addr := net.JoinHostPort(s.srv.host, strconv.Itoa(s.srv.port))
		nd := &net.Dialer{}
		var conn net.Conn
		var err error
		if s.srv.implicitTLS {
			conn, err = (&tls.Dialer{NetDialer: nd, Config: s.tls}).DialContext(dctx, network, addr)
		} else {
			conn, err = nd.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		stops = append(stops, context.AfterFunc(ctx, func() { conn.Close() }))
		return conn, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(s.srv.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(dial),
	}
	switch {
	case s.srv.implicitTLS:
		opts = append(opts, gomail.WithSSL())
	case s.srv.requireTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.srv.username != "" {
		opts = append(opts, gomail.WithUsername(s.srv.username), gomail.WithPassword(s.srv.password),
			// PLAIN and LOGIN refuse to run over an unencrypted connection
			// to anything but localhost; that is what makes opportunistic
			// STARTTLS safe for the password.
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	client, err := gomail.NewClient(s.srv.host, opts...)
	if err != nil {
		return s.fail(err, false, 0)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return s.fail(fmt.Errorf("%w (%v)", ctx.Err(), err), true, 0)
		}
		temporary, code := classify(err)
		return s.fail(err, temporary, code)
	}
	return nil
}

func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.now())
	msg.SetMessageIDWithValue(rand.Text() + "@" + s.domain)
	// RFC 3834: a machine sent this, so vacation responders stay quiet.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

func (s *SMTP) fail(err error, temporary bool, code int) *Error {
	if s.srv.password != "" {
		err = redacted{err, s.srv.password}
	}
	return &Error{Temporary: temporary, Code: code, Server: s.srv.String(), Err: err}
}

// classify says whether a failed send may succeed later, and the SMTP
// reply code if the server gave one.
func classify(err error) (temporary bool, code int) {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 400 {
			return code < 500, code
		}
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return false, 0
		}
		// No reply code: the connection broke during the transaction.
		return true, 0
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500, te.Code
	}
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		dns      *net.DNSError
		netErr   net.Error
	)
	switch {
	case errors.Is(err, gosmtp.ErrUnencrypted), errors.As(err, &verify), errors.As(err, &unknown),
		errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &record):
		return false, 0 // the configuration must change first
	case errors.As(err, &dns):
		return dns.IsTemporary || dns.IsTimeout, 0
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
		return true, 0
	}
	return false, 0
}

// redacted hides a secret in an error's text, keeping the error chain.
type redacted struct {
	err    error
	secret string
}

func (r redacted) Error() string { return strings.ReplaceAll(r.err.Error(), r.secret, "xxxxx") }
func (r redacted) Unwrap() error { return r.err }

// server is an SMTP server as an SMTP URL names it.
type server struct {
	host        string
	port        int
	username    string
	password    string
	implicitTLS bool
	requireTLS  bool
}

// MaxURLLength bounds an SMTP URL.
const MaxURLLength = 2048

// parseURL reads an SMTP URL (see NewSMTP). Its errors never quote the
// URL, which may hold a password.
func parseURL(raw string) (server, error) {
	bad := func(format string, args ...any) (server, error) {
		return server{}, fmt.Errorf("mail: SMTP URL: "+format, args...)
	}
	if len(raw) > MaxURLLength {
		return bad("longer than %d characters", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a valid URL (percent-encode special characters in the user name and password)")
	}
	var s server
	switch u.Scheme {
	case "smtp":
		s.port = DefaultPort
	case "smtps":
		s.port, s.implicitTLS = DefaultTLSPort, true
	default:
		return bad("must start with smtp:// or smtps://")
	}
	switch {
	case u.Opaque != "" || u.Host == "":
		return bad("must name a host, as in smtp://host:port")
	case u.Path != "" && u.Path != "/":
		return bad("must not have a path")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("must not have a fragment")
	}
	s.host = u.Hostname()
	if !validHost(s.host, strings.HasPrefix(u.Host, "[")) {
		return bad("must name a host (a DNS name, an IPv4 address or a bracketed IPv6 address without a zone)")
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || len(p) > 1 && p[0] == '0' {
			return bad("port must be a number from 1 to 65535")
		}
		s.port = n
	}
	if u.User != nil {
		s.username = u.User.Username()
		s.password, _ = u.User.Password()
		if s.username == "" || s.password == "" {
			return bad("give both a user name and a password (smtp://user:pass@host), or neither")
		}
		if strings.ContainsAny(s.username+s.password, "\x00\r\n") {
			return bad("user name and password must not contain NUL or line breaks")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("query is malformed")
	}
	for k, v := range q {
		switch {
		case k != "starttls":
			return bad("unknown query parameter (starttls is the only one)")
		case s.implicitTLS:
			return bad("starttls applies to smtp:// only; smtps:// is TLS from the start")
		case len(v) != 1 || (v[0] != "opportunistic" && v[0] != "required"):
			return bad("starttls must be opportunistic or required")
		}
		s.requireTLS = v[0] == "required"
	}
	return s, nil
}

// validHost accepts a DNS name or IPv4 address, or (bracketed) an IPv6
// address without a zone.
func validHost(host string, bracketed bool) bool {
	if bracketed {
		ip, err := netip.ParseAddr(host)
		return err == nil && ip.Is6() && ip.Zone() == ""
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return false
		}
	}
	return true
}

// Format prints String for every verb, as SMTP.Format does.
func (s server) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// String is the server as a URL, with the password redacted.
func (s server) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.host, strconv.Itoa(s.port))}
	if s.implicitTLS {
		u.Scheme = "smtps"
	}
	if s.username != "" {
		u.User = url.UserPassword(s.username, "xxxxx")
	}
	if s.requireTLS {
		u.RawQuery = "starttls=required"
	}
	return u.String()
}
