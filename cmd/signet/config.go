package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/blob/s3"
	"github.com/signet-dev/signet/internal/gcpace"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simkit"
	"github.com/signet-dev/signet/internal/server"
)

// Config is everything serve and apikey read from flags and environment.
// Each flag falls back to its SIGNET_* variable, then to its default.
type Config struct {
	Addr                 string
	Database             string
	PublicURL            string
	Sandbox              optBool
	DefaultProvider      string
	WebhookRetries       []time.Duration
	PollInterval         time.Duration
	AllowPrivateWebhooks optBool
	RateLimit            float64
	// SandboxDocumentBytes bounds the PDFs each sandbox simulator keeps.
	SandboxDocumentBytes int64
	// GCMinHeap is the heap size below which no garbage collection
	// starts (gcpace); 0 leaves Go's default pacing.
	GCMinHeap int64
	// UploadBytes bounds the request bodies read and handled at once;
	// UploadWait is how long an upload may wait for room before a 503.
	UploadBytes int64
	UploadWait  time.Duration
	// SMTPURL and MailFrom send Signet's mail (provider local's codes and
	// invitations).
	SMTPURL, MailFrom string
	// SealCert (PKCS#12 or PEM) and SealCertPassword are Signet's seal;
	// without, a sandbox seal is made. TSAURL timestamps seals (PAdES B-T).
	SealCert, SealCertPassword, TSAURL string
	// PDFLimits bound every PDF operation (uploads, stamps, seals).
	PDFLimits pdf.Limits
	// Documents is the object store that keeps the documents; nil keeps
	// them in the database (--documents database).
	Documents *s3.Config
	// SweepInterval is how often orphaned document blobs are deleted (0:
	// never); SweepGrace how old a blob must be before it may be.
	SweepInterval, SweepGrace time.Duration
	// WebhookTimeout bounds one delivery attempt; WebhookLease is how long
	// a claimed delivery is kept from other replicas (it must outlast an
	// attempt) and PollLease the same for a claimed poll: a crashed
	// replica's work is taken over when its leases end.
	WebhookTimeout, WebhookLease, PollLease time.Duration
	LogFormat                               string
	LogLevel                                string

	Signzy    SignzyConfig
	Leegality LeegalityConfig
	Digio     DigioConfig
	BankID    BankIDConfig
}

// flagSet is the flag set of one subcommand ("signet apikey create"):
// each lists only its own flags in -h.
func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("signet "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envOr is the environment variable name, or def when it is unset.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// databaseFlag registers --database, the flag every command that opens
// the database has.
func databaseFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("database", envOr(getenv, "SIGNET_DATABASE", "sqlite:signet.db"), "sqlite:PATH or postgres://… (SIGNET_DATABASE)")
}

// parseArgs parses args with fs and refuses leftovers.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// parseServe reads the flags of `signet serve`. Each flag falls back to its
// SIGNET_* variable, then to its default.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	fs := flagSet("serve", stderr)
	env := func(name, def string) string { return envOr(getenv, name, def) }
	c := &Config{}
	fs.StringVar(&c.Addr, "addr", env("SIGNET_ADDR", "127.0.0.1:8080"), "listen address (SIGNET_ADDR)")
	database := databaseFlag(fs, getenv)
	fs.StringVar(&c.PublicURL, "public-url", env("SIGNET_PUBLIC_URL", ""), "base URL clients and providers reach Signet at (SIGNET_PUBLIC_URL; default http:// + addr)")
	fs.Var(&c.Sandbox, "sandbox", "serve provider simulators and use them (SIGNET_SANDBOX; default: on when no provider credentials are configured)")
	fs.StringVar(&c.DefaultProvider, "default-provider", env("SIGNET_DEFAULT_PROVIDER", "local"), "provider of sessions that name none (SIGNET_DEFAULT_PROVIDER)")
	retries := fs.String("webhook-retries", env("SIGNET_WEBHOOK_RETRIES", "5s,5m,30m,2h,5h,10h,10h"), "webhook retry delays (SIGNET_WEBHOOK_RETRIES)")
	poll := fs.String("poll-interval", env("SIGNET_POLL_INTERVAL", "30s"), "how often open sessions are refreshed from providers (SIGNET_POLL_INTERVAL)")
	fs.Var(&c.AllowPrivateWebhooks, "allow-private-webhooks", "allow webhook URLs on loopback/private addresses (SIGNET_ALLOW_PRIVATE_WEBHOOKS; default: on with --sandbox)")
	rate := fs.String("rate-limit", env("SIGNET_RATE_LIMIT", "0"), "requests per second per tenant, 0 = off (SIGNET_RATE_LIMIT)")
	uploadMB := fs.Int("upload-mb-in-flight", envInt(getenv, "SIGNET_UPLOAD_MB_IN_FLIGHT", server.DefaultUploadBytes>>20), "the most MiB of request bodies read and handled at once; more uploads wait, then get 503 with Retry-After (SIGNET_UPLOAD_MB_IN_FLIGHT; at least the 15 MiB body limit)")
	fs.DurationVar(&c.UploadWait, "upload-wait", envDuration(getenv, "SIGNET_UPLOAD_WAIT", server.DefaultUploadWait), "how long an upload waits for room under --upload-mb-in-flight before it gets 503 (SIGNET_UPLOAD_WAIT)")
	sandboxMB := fs.Int("sandbox-documents-mb", envInt(getenv, "SIGNET_SANDBOX_DOCUMENTS_MB", simkit.DefaultRetainBytes>>20), "MiB of PDFs each sandbox simulator keeps in memory; past it the oldest finished contracts are forgotten first, then the oldest open ones (SIGNET_SANDBOX_DOCUMENTS_MB)")
	gcMB := fs.Int("gc-min-heap-mb", envInt(getenv, "SIGNET_GC_MIN_HEAP_MB", gcpace.Default>>20), "MiB the heap may reach before Go collects garbage, however little of it is live: fewer collections and a shorter latency tail for at most this much memory; 0 = Go's default, and GOGC, when set, overrides it (SIGNET_GC_MIN_HEAP_MB)")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", envDuration(getenv, "SIGNET_WEBHOOK_TIMEOUT", 10*time.Second), "how long one webhook attempt may take (SIGNET_WEBHOOK_TIMEOUT)")
	fs.DurationVar(&c.WebhookLease, "webhook-lease", envDuration(getenv, "SIGNET_WEBHOOK_LEASE", 30*time.Second), "how long a claimed webhook delivery is kept from other replicas; more than --webhook-timeout (SIGNET_WEBHOOK_LEASE)")
	fs.DurationVar(&c.PollLease, "poll-lease", envDuration(getenv, "SIGNET_POLL_LEASE", 2*time.Minute), "how long a claimed provider poll is kept from other replicas; more than a provider call takes (SIGNET_POLL_LEASE)")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("SIGNET_SMTP_URL", ""), "SMTP server for Signet's mail: smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (SIGNET_SMTP_URL; default: with --sandbox, the outbox at /sandbox/mail)")
	fs.StringVar(&c.MailFrom, "mail-from", env("SIGNET_MAIL_FROM", ""), "the From address of Signet's mail (SIGNET_MAIL_FROM)")
	fs.StringVar(&c.SealCert, "seal-cert", env("SIGNET_SEAL_CERT", ""), "Signet's seal: certificate chain and key, PKCS#12 or PEM (SIGNET_SEAL_CERT; default: a generated sandbox seal, not publicly trusted)")
	fs.StringVar(&c.SealCertPassword, "seal-cert-password", env("SIGNET_SEAL_CERT_PASSWORD", ""), "the PKCS#12 password of --seal-cert (SIGNET_SEAL_CERT_PASSWORD)")
	fs.StringVar(&c.TSAURL, "tsa-url", env("SIGNET_TSA_URL", ""), "an RFC 3161 timestamp authority; seals are then PAdES B-T (SIGNET_TSA_URL)")
	def := pdf.DefaultLimits()
	fs.IntVar(&c.PDFLimits.MaxPages, "pdf-max-pages", envInt(getenv, "SIGNET_PDF_MAX_PAGES", def.MaxPages), "the most pages a document may have (SIGNET_PDF_MAX_PAGES)")
	fs.IntVar(&c.PDFLimits.MaxObjects, "pdf-max-objects", envInt(getenv, "SIGNET_PDF_MAX_OBJECTS", def.MaxObjects), "the most objects a document may have (SIGNET_PDF_MAX_OBJECTS)")
	decodedMB := fs.Int("pdf-max-decoded-mb", envInt(getenv, "SIGNET_PDF_MAX_DECODED_MB", int(def.MaxDecodedBytes>>20)), "the most MiB a document's content may decompress to (SIGNET_PDF_MAX_DECODED_MB)")
	fs.DurationVar(&c.PDFLimits.Timeout, "pdf-timeout", envDuration(getenv, "SIGNET_PDF_TIMEOUT", def.Timeout), "the longest one PDF operation may take (SIGNET_PDF_TIMEOUT)")
	documents := fs.String("documents", env("SIGNET_DOCUMENTS", "database"), "where documents are kept: database, or s3://BUCKET?endpoint=URL&region=R with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (SIGNET_DOCUMENTS)")
	fs.DurationVar(&c.SweepInterval, "documents-sweep-interval", envDuration(getenv, "SIGNET_DOCUMENTS_SWEEP_INTERVAL", 10*time.Minute), "how often document blobs that no session names are deleted; 0 = never (SIGNET_DOCUMENTS_SWEEP_INTERVAL)")
	fs.DurationVar(&c.SweepGrace, "documents-sweep-grace", envDuration(getenv, "SIGNET_DOCUMENTS_SWEEP_GRACE", time.Hour), "how old such a blob must be before it is deleted: longer than any create takes (SIGNET_DOCUMENTS_SWEEP_GRACE)")
	fs.StringVar(&c.LogFormat, "log-format", env("SIGNET_LOG_FORMAT", "text"), "text or json (SIGNET_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("SIGNET_LOG_LEVEL", "info"), "debug, info, warn or error (SIGNET_LOG_LEVEL)")
	registerProviderFlags(fs, c, env)
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	c.Database = *database
	c.PDFLimits.MaxDecodedBytes = int64(*decodedMB) << 20
	if c.PDFLimits.MaxPages < 1 || c.PDFLimits.MaxObjects < 1 || *decodedMB < 1 || c.PDFLimits.Timeout <= 0 {
		return nil, errors.New("--pdf-max-pages, --pdf-max-objects, --pdf-max-decoded-mb and --pdf-timeout must be positive")
	}
	c.PDFLimits = mergeLimits(c.PDFLimits, def)
	for _, b := range []struct {
		v   *optBool
		env string
	}{{&c.Sandbox, "SIGNET_SANDBOX"}, {&c.AllowPrivateWebhooks, "SIGNET_ALLOW_PRIVATE_WEBHOOKS"}} {
		if !b.v.set && getenv(b.env) != "" {
			if err := b.v.Set(getenv(b.env)); err != nil {
				return nil, fmt.Errorf("%s: %w", b.env, err)
			}
		}
	}
	var err error
	if c.Documents, err = parseDocuments(*documents, getenv); err != nil {
		return nil, err
	}
	if c.SweepInterval < 0 || c.SweepGrace < time.Minute {
		return nil, fmt.Errorf("--documents-sweep-interval must be ≥ 0 and --documents-sweep-grace at least 1m, got %v and %v", c.SweepInterval, c.SweepGrace)
	}
	if c.WebhookRetries, err = parseDelays(*retries); err != nil {
		return nil, fmt.Errorf("--webhook-retries: %w", err)
	}
	if c.PollInterval, err = time.ParseDuration(*poll); err != nil || c.PollInterval < time.Second {
		return nil, fmt.Errorf("--poll-interval: want a duration of at least 1s, got %q", *poll)
	}
	if c.WebhookTimeout < 100*time.Millisecond || c.WebhookLease < c.WebhookTimeout+time.Second {
		return nil, fmt.Errorf("--webhook-lease (%v) must be at least 1s longer than --webhook-timeout (%v), which must be at least 100ms", c.WebhookLease, c.WebhookTimeout)
	}
	if c.PollLease < 2*time.Second {
		return nil, fmt.Errorf("--poll-lease: want at least 2s, got %v", c.PollLease)
	}
	if c.UploadBytes = int64(*uploadMB) << 20; c.UploadBytes < server.DefaultMaxBody || c.UploadWait <= 0 {
		return nil, fmt.Errorf("--upload-mb-in-flight must be at least %d (the body limit) and --upload-wait positive, got %d and %v", server.DefaultMaxBody>>20, *uploadMB, c.UploadWait)
	}
	if c.SandboxDocumentBytes = int64(*sandboxMB) << 20; *sandboxMB < 1 || *sandboxMB > 1<<20 {
		return nil, fmt.Errorf("--sandbox-documents-mb: want at least 1, got %d", *sandboxMB)
	}
	if c.GCMinHeap = int64(*gcMB) << 20; *gcMB < 0 || *gcMB > 4096 {
		return nil, fmt.Errorf("--gc-min-heap-mb: want 0 to 4096, got %d", *gcMB)
	}
	if c.RateLimit, err = strconv.ParseFloat(*rate, 64); err != nil || c.RateLimit < 0 {
		return nil, fmt.Errorf("--rate-limit: want a number ≥ 0, got %q", *rate)
	}
	if !c.Sandbox.set {
		c.Sandbox.value = !c.providersConfigured()
	}
	if !c.AllowPrivateWebhooks.set {
		c.AllowPrivateWebhooks.value = c.Sandbox.value
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--public-url: want an absolute http(s) URL, got %q", c.PublicURL)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, fmt.Errorf("--addr: want host:port, got %q", c.Addr)
	}
	return c, nil
}

// parseDocuments reads --documents: "database", or an s3:// URL.
func parseDocuments(v string, getenv func(string) string) (*s3.Config, error) {
	if v == "database" {
		return nil, nil
	}
	if !strings.HasPrefix(v, "s3://") {
		return nil, fmt.Errorf("--documents: want database or s3://BUCKET?endpoint=URL&region=R, got %q", v)
	}
	c, err := s3.ParseURL(v, getenv)
	if err != nil {
		return nil, fmt.Errorf("--documents: %w", err)
	}
	return &c, nil
}

// envInt is the integer in the environment variable name, or def.
func envInt(getenv func(string) string, name string, def int) int {
	if n, err := strconv.Atoi(getenv(name)); err == nil {
		return n
	}
	return def
}

// mergeLimits fills the limits no flag sets from def.
func mergeLimits(l, def pdf.Limits) pdf.Limits {
	l.MaxStreamBytes, l.MaxDepth, l.MaxPageTreeDepth = def.MaxStreamBytes, def.MaxDepth, def.MaxPageTreeDepth
	return l
}

// envDuration is the duration in the environment variable name, or def
// when it is unset or not a duration (flag parsing reports neither: the
// flag's default is what the help shows).
func envDuration(getenv func(string) string, name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(name)); err == nil {
		return d
	}
	return def
}

// parseDelays reads a comma-separated list of durations such as "5s,5m,2h".
func parseDelays(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("want comma-separated durations such as 5s,5m,2h; got %q", part)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("want at least one delay")
	}
	return out, nil
}

// optBool is a boolean flag that remembers whether it was given, so that
// its default can depend on other settings.
type optBool struct {
	value, set bool
}

func (b *optBool) String() string   { return strconv.FormatBool(b.value) }
func (b *optBool) IsBoolFlag() bool { return true }
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	b.value, b.set = v, true
	return nil
}
