package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/signet-dev/signet/api"
	apiclient "github.com/signet-dev/signet/client"
)

// The client commands (CONTRACT.md §10): `signet sessions …`, `signet
// webhooks …` and `signet providers` call a Signet server's API through
// package client.

const clientUsage = `usage:
  signet sessions create --document FILE --order ID --signer k=v,k=v [--signer …] [flags]
  signet sessions get ID
  signet sessions list [--order ID] [--status S] [--provider P] [--limit N]
  signet sessions cancel ID
  signet sessions refresh ID
  signet sessions events ID
  signet sessions wait ID [--timeout DUR]
  signet sessions document ID [-o FILE]
  signet sessions audit-certificate ID [-o FILE]
  signet webhooks create URL [--event T …]
  signet webhooks list
  signet webhooks delete ID
  signet webhooks deliveries ID
  signet providers
Every command takes --url (SIGNET_URL, default http://127.0.0.1:8080),
--api-key (SIGNET_API_KEY) and --json (print the API's JSON instead of a
table). Exit status: 0 ok, 1 the API answered an error (printed on stderr)
or could not be reached, 2 usage error. Run "signet sessions create -h" for
a command's flags.
`

// clientCommands maps "group sub" to its command.
var clientCommands = map[string]func(x *cli, args []string) error{
	"sessions create":            sessionsCreate,
	"sessions get":               sessionsGet,
	"sessions list":              sessionsList,
	"sessions cancel":            sessionsCancel,
	"sessions refresh":           sessionsRefresh,
	"sessions events":            sessionsEvents,
	"sessions wait":              sessionsWait,
	"sessions document":          sessionsDocument,
	"sessions audit-certificate": sessionsAuditCertificate,
	"webhooks create":            webhooksCreate,
	"webhooks list":              webhooksList,
	"webhooks delete":            webhooksDelete,
	"webhooks deliveries":        webhooksDeliveries,
	"providers":                  providersList,
}

// clientCmd runs a client command (args start with "sessions", "webhooks"
// or "providers") and returns its exit status.
func clientCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	name, rest := args[0], args[1:]
	if name != "providers" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			fmt.Fprint(stderr, clientUsage)
			if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help") {
				return 0
			}
			return 2
		}
		name, rest = name+" "+rest[0], rest[1:]
	}
	cmd, ok := clientCommands[name]
	if !ok {
		fmt.Fprintf(stderr, "signet: unknown command %q\n%s", name, clientUsage)
		return 2
	}
	x := &cli{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr, fs: flagSet(name, stderr)}
	err := cmd(x, rest)
	var p *apiclient.Problem
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "signet: %v\n", err)
		return 2
	case errors.As(err, &p):
		x.printProblem(p)
		return 1
	default:
		msg := err.Error()
		if !strings.HasPrefix(msg, "signet: ") {
			msg = "signet: " + msg
		}
		fmt.Fprintln(stderr, msg)
		return 1
	}
}

// cli is one client command being run: its flags, its output and, once
// the flags are parsed, the API client.
type cli struct {
	ctx            context.Context
	getenv         func(string) string
	stdout, stderr io.Writer
	fs             *flag.FlagSet
	json           bool
	c              *apiclient.Client
}

// parse adds the common flags, parses args (flags may come before, after
// or between the positional arguments, which must be exactly those
// named), and makes the client.
func (x *cli) parse(args []string, positional ...string) ([]string, error) {
	url := x.fs.String("url", envOr(x.getenv, "SIGNET_URL", "http://127.0.0.1:8080"), "the Signet server (SIGNET_URL)")
	key := x.fs.String("api-key", "", "API key (SIGNET_API_KEY)")
	x.fs.BoolVar(&x.json, "json", false, "print the API's JSON instead of a table")
	usage := "usage: " + x.fs.Name()
	for _, p := range positional {
		usage += " " + p
	}
	x.fs.Usage = func() {
		fmt.Fprintf(x.fs.Output(), "%s [flags]\n", usage)
		x.fs.PrintDefaults()
	}
	var pos []string
	for {
		if err := x.fs.Parse(args); err != nil {
			return nil, usageErr(err)
		}
		if x.fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, x.fs.Arg(0)), x.fs.Args()[1:]
	}
	if len(pos) != len(positional) {
		return nil, fmt.Errorf("%w: want %s", errUsage, strings.TrimPrefix(usage, "usage: "))
	}
	if *key == "" {
		*key = x.getenv("SIGNET_API_KEY")
	}
	if *key == "" {
		return nil, fmt.Errorf("%w: no API key: give --api-key or set SIGNET_API_KEY", errUsage)
	}
	x.c = apiclient.New(*url, *key, apiclient.WithUserAgent("signet-cli/"+version()))
	return pos, nil
}

// printProblem shows an error the API answered on stderr: its JSON with
// --json, else a line and one more per invalid field.
func (x *cli) printProblem(p *apiclient.Problem) {
	if x.json {
		writeJSONTo(x.stderr, p.Problem)
		return
	}
	fmt.Fprintf(x.stderr, "signet: %d %s: %s\n", p.StatusCode, p.Title, p.Detail)
	for _, f := range p.Errors {
		if p.Detail != f.Field+" "+f.Message { // not said already
			fmt.Fprintf(x.stderr, "  %s: %s\n", f.Field, f.Message)
		}
	}
	if p.RetryAfter > 0 {
		fmt.Fprintf(x.stderr, "  retry after %v\n", p.RetryAfter)
	}
}

// output prints v as the API's JSON with --json, else with table.
func (x *cli) output(v any, table func(w io.Writer)) error {
	if x.json {
		return writeJSONTo(x.stdout, v)
	}
	tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// sessionOutput prints one session.
func (x *cli) sessionOutput(s *api.Session, err error) error {
	if err != nil {
		return err
	}
	return x.output(s, func(w io.Writer) { sessionTable(w, s) })
}

func sessionsGet(x *cli, args []string) error {
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	return x.sessionOutput(x.c.Session(x.ctx, pos[0]))
}

func sessionsCancel(x *cli, args []string) error {
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	return x.sessionOutput(x.c.CancelSession(x.ctx, pos[0]))
}

func sessionsRefresh(x *cli, args []string) error {
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	return x.sessionOutput(x.c.RefreshSession(x.ctx, pos[0]))
}

func sessionsWait(x *cli, args []string) error {
	timeout := x.fs.Duration("timeout", 0, "give up after this long (0: wait until interrupted)")
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	return x.sessionOutput(x.wait(pos[0], *timeout))
}

// wait waits for a terminal status, at most timeout when it is not 0.
func (x *cli) wait(id string, timeout time.Duration) (*api.Session, error) {
	ctx := x.ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	s, err := x.c.Wait(ctx, id)
	if err != nil && s != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("session %s is still %s: %w", id, s.Status, ctx.Err())
	}
	return s, err
}

func sessionsCreate(x *cli, args []string) error {
	var signers, metadata multiFlag
	document := x.fs.String("document", "", "the PDF to sign (required)")
	order := x.fs.String("order", "", "your order reference, orderId (required)")
	x.fs.Var(&signers, "signer", "a signer's signerDetails as `k=v,k=v` or a JSON object; repeat for several signers, in signing order.\n"+
		"In k=v form, write \\, for a comma, \\= for an equals sign and \\\\ for a backslash inside a key or value")
	provider := x.fs.String("provider", "", "the provider (default: the server's default provider)")
	order2 := x.fs.String("signing-order", "", "sequential or parallel, for several signers (default sequential)")
	language := x.fs.String("language", "", "the language of the signing pages (default en)")
	returnURL := x.fs.String("return-url", "", "where the signer is sent after signing")
	expiresIn := x.fs.String("expires-in", "", "how long the session stays open, such as 90m, 48h or 7d (default 24h)")
	x.fs.Var(&metadata, "metadata", "one `key=value` of metadata; repeat for more")
	idemKey := x.fs.String("idempotency-key", "", "X-Idempotency-Key, to make a repeated command create one session (default: a random key)")
	wait := x.fs.Bool("wait", false, "wait until the session is COMPLETED, FAILED, EXPIRED or CANCELLED and print it then")
	timeout := x.fs.Duration("timeout", 0, "with --wait: give up after this long (0: wait until interrupted)")
	if _, err := x.parse(args); err != nil {
		return err
	}
	req, err := createRequest(*document, *order, signers, metadata, *expiresIn, time.Now())
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	req.Provider, req.SigningOrder, req.Language, req.ReturnURL = *provider, *order2, *language, *returnURL
	var opts []apiclient.CallOption
	if *idemKey != "" {
		opts = append(opts, apiclient.IdempotencyKey(*idemKey))
	}
	s, err := x.c.CreateSession(x.ctx, req, opts...)
	if err == nil && *wait {
		if !x.json {
			fmt.Fprintf(x.stderr, "created session %s; waiting for it to end (the signer signs at %s)\n", s.SigningSessionID, s.RedirectURL)
		}
		s, err = x.wait(s.SigningSessionID, *timeout)
	}
	return x.sessionOutput(s, err)
}

// createRequest builds the body of POST /signing from the flags of
// `sessions create`: one signer sends signerDetails, several send signers.
func createRequest(document, order string, signers, metadata []string, expiresIn string, now time.Time) (*api.CreateSessionRequest, error) {
	switch {
	case document == "":
		return nil, errors.New("--document is required")
	case order == "":
		return nil, errors.New("--order is required")
	case len(signers) == 0:
		return nil, errors.New("--signer is required (one per signer)")
	}
	content, err := os.ReadFile(document)
	if err != nil {
		return nil, fmt.Errorf("--document: %w", err)
	}
	req := &api.CreateSessionRequest{OrderID: order, Document: api.Document{Filename: filepath.Base(document), Content: content}}
	for i, s := range signers {
		details, err := parseSigner(s)
		if err != nil {
			return nil, fmt.Errorf("--signer %d: %w", i+1, err)
		}
		req.Signers = append(req.Signers, api.SignerRequest{SignerDetails: details})
	}
	if len(req.Signers) == 1 {
		req.SignerDetails, req.Signers = req.Signers[0].SignerDetails, nil
	}
	for _, m := range metadata {
		k, v, ok := strings.Cut(m, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--metadata %q: want key=value", m)
		}
		if req.Metadata == nil {
			req.Metadata = map[string]string{}
		}
		if _, dup := req.Metadata[k]; dup {
			return nil, fmt.Errorf("--metadata: key %q given twice", k)
		}
		req.Metadata[k] = v
	}
	if expiresIn != "" {
		d, err := parseDays(expiresIn)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--expires-in: want a positive duration such as 90m, 48h or 7d, got %q", expiresIn)
		}
		at := now.Add(d).UTC().Truncate(time.Second)
		req.ExpiresAt = &at
	}
	return req, nil
}

// parseDays is time.ParseDuration that also takes whole days ("7d").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, err
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// parseSigner reads one --signer: a JSON object, or k=v pairs separated by
// commas in which \, \= and \\ stand for a literal comma, equals sign and
// backslash. Keys must be unique and not empty.
func parseSigner(s string) (json.RawMessage, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("not valid UTF-8")
	}
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(s), &obj); err != nil {
			return nil, fmt.Errorf("not a JSON object: %w", err)
		}
		return json.Marshal(obj)
	}
	details := map[string]string{}
	var key, cur strings.Builder
	inValue := false
	end := func() error {
		k := key.String()
		switch {
		case !inValue:
			return fmt.Errorf("%q has no =: want k=v,k=v", cur.String())
		case k == "":
			return errors.New("a key is empty: want k=v,k=v")
		}
		if _, dup := details[k]; dup {
			return fmt.Errorf("key %q given twice", k)
		}
		details[k] = cur.String()
		key.Reset()
		cur.Reset()
		inValue = false
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\\':
			if i+1 == len(s) || !strings.ContainsRune(`,=\`, rune(s[i+1])) {
				return nil, errors.New(`a backslash must come before a comma, an equals sign or a backslash (\, \= \\)`)
			}
			i++
			cur.WriteByte(s[i])
		case ch == '=' && !inValue:
			key.WriteString(cur.String())
			cur.Reset()
			inValue = true
		case ch == ',':
			if err := end(); err != nil {
				return nil, err
			}
		default:
			cur.WriteByte(ch)
		}
	}
	if err := end(); err != nil {
		return nil, err
	}
	return json.Marshal(details)
}

// multiFlag is a flag that may be given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func sessionsList(x *cli, args []string) error {
	var p apiclient.ListSessionsParams
	x.fs.StringVar(&p.OrderID, "order", "", "only sessions of this orderId")
	status := x.fs.String("status", "", "only sessions in this status (PENDING, IN_PROGRESS, COMPLETED, FAILED, EXPIRED, CANCELLED)")
	x.fs.StringVar(&p.Provider, "provider", "", "only sessions at this provider")
	limit := x.fs.Int("limit", 20, "show at most this many sessions, newest first")
	if _, err := x.parse(args); err != nil {
		return err
	}
	if *limit < 1 {
		return fmt.Errorf("%w: --limit must be at least 1", errUsage)
	}
	p.Status, p.Limit = api.Status(*status), min(*limit, 100)
	return printList(x, x.c.Sessions(x.ctx, p), *limit, func(l []api.Session) any { return api.SessionList{Data: l} }, sessionsTable)
}

func sessionsEvents(x *cli, args []string) error {
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	return printList(x, x.c.Events(x.ctx, pos[0]), -1, func(l []api.Event) any { return api.EventList{Data: l} }, eventsTable)
}

// printList prints up to n items of seq (all of them when n < 0): in the
// list's JSON shape (body) with --json, else as a table.
func printList[T any](x *cli, seq iter.Seq2[T, error], n int, body func([]T) any, table func(io.Writer, []T)) error {
	list, err := take(seq, n)
	if err != nil {
		return err
	}
	return x.output(body(list), func(w io.Writer) { table(w, list) })
}

// take collects up to n items of seq (all of them when n < 0).
func take[T any](seq iter.Seq2[T, error], n int) ([]T, error) {
	out := []T{}
	if n == 0 {
		return out, nil
	}
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		if out = append(out, v); len(out) == n {
			break
		}
	}
	return out, nil
}

func sessionsDocument(x *cli, args []string) error {
	return x.download(args, (*apiclient.Client).Document)
}

func sessionsAuditCertificate(x *cli, args []string) error {
	return x.download(args, (*apiclient.Client).AuditCertificate)
}

// download saves a session's PDF to -o FILE, or writes it to stdout when
// that is not a terminal.
func (x *cli) download(args []string, get func(*apiclient.Client, context.Context, string) (*apiclient.File, error)) error {
	out := x.fs.String("o", "", "write the PDF to this file (default: standard output, unless it is a terminal)")
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	if *out == "" && isTerminal(x.stdout) {
		return fmt.Errorf("%w: not writing a PDF to a terminal: give -o FILE or redirect the output", errUsage)
	}
	f, err := get(x.c, x.ctx, pos[0])
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = x.stdout.Write(f.Content)
		return err
	}
	if err := os.WriteFile(*out, f.Content, 0o600); err != nil {
		return err
	}
	if !x.json {
		fmt.Fprintf(x.stdout, "wrote %s (%d bytes)\n", *out, len(f.Content))
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func webhooksCreate(x *cli, args []string) error {
	var events multiFlag
	x.fs.Var(&events, "event", "an event `type` to receive, such as signing.completed; repeat for more (default: all)")
	pos, err := x.parse(args, "URL")
	if err != nil {
		return err
	}
	e, err := x.c.CreateWebhook(x.ctx, &api.CreateWebhookRequest{URL: pos[0], Events: events})
	if err != nil {
		return err
	}
	return x.output(e, func(w io.Writer) { webhookTable(w, e) })
}

func webhooksList(x *cli, args []string) error {
	if _, err := x.parse(args); err != nil {
		return err
	}
	return printList(x, x.c.Webhooks(x.ctx), -1, func(l []api.WebhookEndpoint) any { return api.WebhookEndpointList{Data: l} }, webhooksTable)
}

func webhooksDelete(x *cli, args []string) error {
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	if err := x.c.DeleteWebhook(x.ctx, pos[0]); err != nil {
		return err
	}
	if !x.json {
		fmt.Fprintf(x.stdout, "deleted webhook endpoint %s\n", pos[0])
	}
	return nil
}

func webhooksDeliveries(x *cli, args []string) error {
	pos, err := x.parse(args, "ID")
	if err != nil {
		return err
	}
	return printList(x, x.c.Deliveries(x.ctx, pos[0]), -1, func(l []api.DeliveryAttempt) any { return api.DeliveryList{Data: l} }, deliveriesTable)
}

func providersList(x *cli, args []string) error {
	if _, err := x.parse(args); err != nil {
		return err
	}
	list, err := x.c.Providers(x.ctx)
	if err != nil {
		return err
	}
	return x.output(api.ProviderList{Providers: list}, func(w io.Writer) { providersTable(w, list) })
}
