package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

// Phases are the measurements, in the order they run.
var Phases = []string{"get", "list", "post", "upload", "webhooks", "hol", "rss"}

// Options configures Run.
type Options struct {
	// Exe is the signet binary: the servers, the API-key tool and the
	// GET baseline run as child processes of it.
	Exe string
	// Databases are "sqlite" (a fresh file in a temporary directory) or
	// postgres:// URLs (a throwaway schema in that database).
	Databases   []string
	Duration    time.Duration
	Concurrency int
	// Only limits the run to these phases (nil: all of Phases).
	Only []string
	// Command is the command line, for the report.
	Command string
	// ProfileDir, when set, makes every server child write a CPU profile
	// of its phase there (<database>-<phase>.pprof).
	ProfileDir string
	// RSSConns is the number of slow connections of the rss phase
	// (default TargetRSSConns).
	RSSConns int
	// LagRate is the create rate of the webhook lag run (default
	// TargetLagRate; the target is only checked at that rate or above).
	LagRate float64
	// Progress receives one line per step; nil is quiet.
	Progress io.Writer
}

// Settings of the servers and the runs.
const (
	sessionsForReads = 100 // pre-created sessions the GET and list runs read
	drainEndpoints   = 10  // endpoints the drain backlog fans out to
	postPDFSize      = 100 << 10
	// uploadBudget bounds the request bodies of one PDF size of the
	// upload run (rounds stop earlier when the duration is up), so that
	// the 10 MB size, 320 MB a round, stays within a minute or so.
	uploadBudget = 1 << 30
	// holWait is how long the head-of-line run waits, after its last
	// create, for the healthy endpoint's deliveries.
	holWait      = 30 * time.Second
	rssInterval  = time.Second
	rssRamp      = time.Second
	readyTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	// stallTimeout: webhook waits give up after this long without
	// progress. It is longer than the 60 s within which the contract has
	// work claimed by a stopped process taken up again, so that a late
	// delivery is told from a lost one.
	stallTimeout = 70 * time.Second
)

// retrySchedule keeps refused deliveries coming back every 2 s for far
// longer than a run takes.
var retrySchedule = strings.TrimSuffix(strings.Repeat("2s,", 100), ",")

// Run measures every database in o and returns the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Exe == "" {
		return nil, errors.New("bench: no signet binary")
	}
	if o.Duration <= 0 {
		return nil, errors.New("bench: duration must be positive")
	}
	o.Concurrency = max(o.Concurrency, 1)
	if o.RSSConns <= 0 {
		o.RSSConns = TargetRSSConns
	}
	if o.LagRate <= 0 {
		o.LagRate = TargetLagRate
	}
	for _, p := range o.Only {
		if !slices.Contains(Phases, p) {
			return nil, fmt.Errorf("bench: unknown phase %q (want some of %s)", p, strings.Join(Phases, ","))
		}
	}
	if len(o.Databases) == 0 {
		o.Databases = []string{"sqlite"}
	}
	if _, err := RaiseFileLimit(); err != nil {
		o.logf("could not raise the open-file limit: %v", err)
	}
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return nil, err
		}
	}
	r := &Report{Command: o.Command, Started: time.Now(), Machine: DescribeMachine(), Duration: o.Duration, Concurrency: o.Concurrency,
		LoadBefore: LoadAverage()}
	o.logf("machine: %s", r.Machine)
	for _, db := range o.Databases {
		if ctx.Err() != nil {
			break
		}
		r.Databases = append(r.Databases, runDatabase(ctx, o, db))
	}
	r.Finished = time.Now()
	r.LoadAfter = LoadAverage()
	r.Notes = notes(o)
	return r, ctx.Err()
}

func (o Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "bench: "+format+"\n", args...)
	}
}

func (o Options) runs(phase string) bool { return len(o.Only) == 0 || slices.Contains(o.Only, phase) }

func notes(o Options) []string {
	return []string{
		"Every phase starts its own `signet serve --sandbox --poll-interval 1h --rate-limit 0 --log-level warn --webhook-retries 2s,2s,…` child process on the same database, so one phase's load, caches and memory do not carry into the next; the long poll interval keeps the provider poller out of the measurements.",
		fmt.Sprintf("GET and list read %d sessions created before the measurement, round robin; every closed-loop run is preceded by a short unmeasured warm-up.", sessionsForReads),
		"The GET baseline is `signet bench baseline-server`, a bare `net/http` handler in its own process serving the JSON bytes Signet returned for one of those sessions, with the same headers and server timeouts; it is driven by the same client the same way. The GET runs send their requests with fasthttp's HostClient, which reads and writes on the calling goroutine, rather than net/http's client, which hands each request between three goroutines: the generator shares the two cores with the server it measures, and with net/http's client it used more CPU than the server did.",
		fmt.Sprintf("GET runs in %d rounds with Signet and the baseline both up throughout; each round is Signet closed loop, the baseline closed loop, then Signet open loop at half of that round's closed-loop GET throughput (requests due at fixed times, latency from the due time, so queueing delay shows), then the baseline open loop at that same rate: its p99 is the floor the machine and the load generator put under Signet's. The GET targets are judged on the median of the rounds' ratios and of their half-load p99s, not the best round.", TargetGetRounds),
		"POST creates sessions with a 100 KB PDF (`pdf.SampleOfSize`) and distinct orderIds, on one server: first at provider local (Signet's own signing, no outside HTTP call; the target is checked on this), then at provider signzy in sandbox mode (its simulator is served by the same process, so every create also includes Signet's HTTP round trip to it; reported beside it). Other phases create at provider local. The raw-insert baseline writes the same data (id, tenant, orderId, JSON signer details and metadata, time, the 100 KB PDF) as one row per durable transaction into the same kind of database: for SQLite a separate file in the same directory opened with internal/sqlite's writer settings (WAL, synchronous NORMAL, busy_timeout, BEGIN IMMEDIATE on one connection), for PostgreSQL a plain table in the run's schema, one autocommit INSERT each over a pool as large as the concurrency.",
		fmt.Sprintf("Webhooks: the receiver runs inside the bench process. Drain: %d endpoints registered; sessions are created for the run's duration while the receiver answers 503 (retries every 2 s); once every delivery has been refused at least once that server is stopped, the receiver switched to 200, and after the 2 s retry delay a fresh server finds the whole backlog due; the rate counts distinct deliveries from its first success to its last. Lag: one endpoint, sessions created open-loop at %s/s for the duration; the lag is the arrival time minus the event's `timestamp` (one machine clock). The event's timestamp is taken when the server starts handling the create, before validation and the commit, so the lag includes the create's own work. Both webhook runs create sessions with a ~1 KB PDF.", drainEndpoints, formatRate(o.LagRate)),
		fmt.Sprintf("Uploads: for each PDF size (%s), a fresh server gets rounds of %d simultaneous creates at provider local, the body streamed; the PDF is `pdf.SampleOfSize` page text up to 1 MB and, above that, comment-line padding (a 10 MB sample of text would have over 2,000 pages, more than the server's default limit of 1,000); rounds continue until the duration is up or %s of request bodies per size is sent (at least one round). The server's VmRSS is sampled every 50 ms; the peak is the higher of that and VmHWM at the end. Creates answered 503 with Retry-After (the server's bound on upload bytes in flight) are counted, not errors, and sent again after that delay; latency counts from the first attempt.", uploadSizes(), TargetUploads, wholeMB(uploadBudget)),
		fmt.Sprintf("Head-of-line: one tenant registers two endpoints on the receiver, one that never answers (each attempt is held until the server's webhook timeout, `signet serve`'s default 10 s) and one healthy; sessions are created open-loop at %s/s for the duration, and the healthy endpoint's lag (arrival minus the event's timestamp) is measured, waiting up to %s after the last create.", formatRate(TargetHOLRate), holWait),
		fmt.Sprintf("Memory: %d separate keep-alive TCP connections, opened over %s, each sending one GET /signing/{id} every %s for the duration; the server's VmRSS is sampled from /proc every 50 ms and its VmHWM read at the end.", o.RSSConns, rssRamp, rssInterval),
	}
}

// dbRun is one database's measurements in progress.
type dbRun struct {
	o      Options
	rep    *DBReport
	short  string // sqlite, postgres: for file names
	dir    string
	dsn    string
	keys   map[string]string // tenant → API key
	ids    []string          // sessions for the read runs
	small  *createBody       // ~1 KB PDF
	failed bool
}

const (
	tenantMain  = "bench"
	tenantDrain = "bench-drain"
	tenantLag   = "bench-lag"
	tenantHOL   = "bench-hol"
)

// Providers the creates name: local is Signet's own (no outside call);
// signzy, in sandbox mode, calls its simulator in the same process.
const (
	providerLocal   = "local"
	providerSandbox = "signzy"
)

func runDatabase(ctx context.Context, o Options, db string) *DBReport {
	d := &dbRun{o: o, rep: &DBReport{}, keys: map[string]string{}, small: newCreateBody(pdf.Sample(1, "Bench contract"), providerLocal)}
	switch {
	case db == "sqlite" || strings.HasPrefix(db, "sqlite:"):
		d.rep.Name, d.short = "SQLite", "sqlite"
	case IsPostgres(db):
		d.rep.Name, d.short = "PostgreSQL", "postgres"
	default:
		d.rep.Name, d.rep.Database = db, db
		d.rep.Skipped = fmt.Sprintf("unknown database %q: want sqlite or a postgres:// URL", db)
		return d.rep
	}
	dir, err := os.MkdirTemp("", "signet-bench-"+d.short+"-")
	if err != nil {
		d.rep.Skipped = err.Error()
		return d.rep
	}
	d.dir = dir
	defer func() {
		if d.failed {
			o.logf("%s: keeping %s for its logs", d.short, dir)
			d.rep.Failures = append(d.rep.Failures, "server logs kept in "+dir)
			return
		}
		os.RemoveAll(dir)
	}()

	if d.short == "sqlite" {
		d.dsn = "sqlite:" + filepath.Join(dir, "signet.db")
		d.rep.Database = d.dsn + " (temporary)"
	} else {
		name := "bench_" + randHex(6)
		d.rep.Database = redact(db)
		schema, err := CreatePostgresSchema(ctx, db, name)
		if err != nil {
			d.rep.Skipped = "could not create a schema for the run: " + err.Error()
			o.logf("postgres: not measured: %v", err)
			return d.rep
		}
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := schema.Drop(dctx); err != nil {
				o.logf("postgres: drop schema %s: %v", name, err)
			}
		}()
		d.dsn = schema.DSN
		d.rep.Database += " (schema " + name + ", dropped afterwards)"
	}

	for _, t := range []string{tenantMain, tenantDrain, tenantLag, tenantHOL} {
		out, err := RunChild(ctx, readyTimeout, o.Exe, "apikey", "create", "--tenant", t, "--database", d.dsn)
		if err != nil {
			d.rep.Skipped = "`signet apikey create` failed: " + err.Error()
			o.logf("%s: not measured: %v", d.short, err)
			return d.rep
		}
		d.keys[t] = strings.TrimSpace(out)
	}

	for _, phase := range Phases {
		if !o.runs(phase) || ctx.Err() != nil {
			continue
		}
		o.logf("%s: %s", d.short, phase)
		var err error
		switch phase {
		case "get":
			err = d.phaseGet(ctx)
		case "list":
			err = d.phaseList(ctx)
		case "post":
			err = d.phasePost(ctx)
		case "upload":
			err = d.phaseUpload(ctx)
		case "webhooks":
			err = d.phaseWebhooks(ctx)
		case "hol":
			err = d.phaseHOL(ctx)
		case "rss":
			err = d.phaseRSS(ctx)
		}
		if err != nil {
			d.fail("%s: %v", phase, err)
		}
	}
	return d.rep
}

func (d *dbRun) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.o.logf("%s: FAILED %s", d.short, msg)
	d.rep.Failures = append(d.rep.Failures, msg)
	d.failed = true
}

func (d *dbRun) warmup() time.Duration {
	return min(max(d.o.Duration/5, 100*time.Millisecond), 2*time.Second)
}

// server is a running `signet serve` child.
type server struct {
	d        *dbRun
	phase    string
	child    *Child
	addr     string
	api      *API // tenant bench
	ready    time.Time
	cpu      time.Duration // the server's CPU time when it became ready
	benchCPU time.Duration // the bench's own then
}

func (d *dbRun) startServer(ctx context.Context, phase string) (*server, error) {
	var lastErr error
	for range 3 {
		addr, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		args := []string{"serve", "--addr", addr, "--database", d.dsn, "--sandbox", "--poll-interval", "1h",
			"--rate-limit", "0", "--log-level", "warn", "--webhook-retries", retrySchedule}
		if d.o.ProfileDir != "" {
			prof := filepath.Join(d.o.ProfileDir, d.short+"-"+phase+".pprof")
			allocs := filepath.Join(d.o.ProfileDir, d.short+"-"+phase+".allocs.pprof")
			args = append([]string{"bench", "profile-serve", "--cpuprofile", prof, "--memprofile", allocs, "--"}, args...)
			if !slices.Contains(d.rep.Profiles, prof) {
				d.rep.Profiles = append(d.rep.Profiles, prof)
			}
		}
		child, err := StartChild("signet serve ("+phase+")", d.o.Exe, args, nil, filepath.Join(d.dir, "serve-"+phase+".log"))
		if err != nil {
			return nil, err
		}
		err = child.WaitReady(ctx, "http://"+addr+"/readyz", readyTimeout)
		if err == nil {
			cpu, _ := ReadCPU(child.Pid())
			return &server{d: d, phase: phase, child: child, addr: addr, ready: time.Now(), cpu: cpu, benchCPU: SelfCPU(),
				api: &API{Base: "http://" + addr, Key: d.keys[tenantMain], Client: NewClient(d.o.Concurrency)}}, nil
		}
		_ = child.Stop(5 * time.Second)
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

// stop ends the server and records its peak memory.
func (s *server) stop(note string) {
	ps := PhaseServer{Phase: s.phase, Note: note, Wall: time.Since(s.ready), BenchCPU: SelfCPU() - s.benchCPU}
	if m, err := ReadMemory(s.child.Pid()); err == nil {
		ps.PeakRSS = m.HWM
	}
	if cpu, err := ReadCPU(s.child.Pid()); err == nil {
		ps.CPU = cpu - s.cpu
	}
	if err := s.child.Stop(stopTimeout); err != nil {
		s.d.fail("%s: server did not shut down cleanly: %v", s.phase, err)
	}
	s.d.rep.Phases = append(s.d.rep.Phases, ps)
}

func (s *server) apiFor(tenant string, conns int) *API {
	return &API{Base: s.api.Base, Key: s.d.keys[tenant], Client: NewClient(conns)}
}

// createBody makes POST /signing bodies that differ only in orderId.
type createBody struct{ prefix, suffix []byte }

// newCreateBody makes bodies for doc at provider. The signer details
// (name and email) suit both providers used.
func newCreateBody(doc []byte, provider string) *createBody {
	return &createBody{
		prefix: []byte(`{"orderId":"`),
		suffix: []byte(`","provider":"` + provider + `","signerDetails":{"name":"Asha Rao","email":"asha@example.com"},` +
			`"document":{"filename":"contract.pdf","content":"` + base64.StdEncoding.EncodeToString(doc) + `"},` +
			`"returnUrl":"https://example.com/orders/done","metadata":{"segment":"bench"}}`),
	}
}

// With is the body for orderID, which must need no JSON escaping.
func (c *createBody) With(orderID string) []byte {
	b := make([]byte, 0, len(c.prefix)+len(orderID)+len(c.suffix))
	b = append(b, c.prefix...)
	b = append(b, orderID...)
	return append(b, c.suffix...)
}

// Reader is With without the copy, for large documents: the body and
// its length.
func (c *createBody) Reader(orderID string) (io.Reader, int64) {
	return io.MultiReader(bytes.NewReader(c.prefix), strings.NewReader(orderID), bytes.NewReader(c.suffix)),
		int64(len(c.prefix) + len(orderID) + len(c.suffix))
}

// orders hands out distinct order ids.
type orders struct {
	prefix string
	n      atomic.Int64
}

func (o *orders) next() string { return fmt.Sprintf("%s-%d", o.prefix, o.n.Add(1)) }

func createOp(api *API, body *createBody, ids *orders) Op {
	return func(ctx context.Context, _ int) error {
		return api.Discard(ctx, http.MethodPost, "/signing", body.With(ids.next()), http.StatusCreated)
	}
}

// ensureSessions creates the sessions the read runs use, once per database.
func (d *dbRun) ensureSessions(ctx context.Context, api *API) error {
	if len(d.ids) >= sessionsForReads {
		return nil
	}
	ord := &orders{prefix: "bench-read-" + randHex(3)}
	for len(d.ids) < sessionsForReads {
		b, err := api.Do(ctx, http.MethodPost, "/signing", d.small.With(ord.next()), http.StatusCreated)
		if err != nil {
			return fmt.Errorf("creating the sessions to read: %w", err)
		}
		var s struct {
			ID string `json:"signingSessionId"`
		}
		if err := json.Unmarshal(b, &s); err != nil || s.ID == "" {
			return fmt.Errorf("creating the sessions to read: no signingSessionId in %.200s", b)
		}
		d.ids = append(d.ids, s.ID)
	}
	return nil
}

// getOp reads the pre-created sessions round robin, each worker from its
// own offset.
func (d *dbRun) getOp(g *Getter, workers int) Op {
	next := make([]int, workers)
	for w := range next {
		next[w] = w * len(d.ids) / workers
	}
	return func(ctx context.Context, w int) error {
		i := next[w]
		next[w]++
		return g.Get(ctx, "/signing/"+d.ids[i%len(d.ids)], http.StatusOK)
	}
}

func (d *dbRun) closedLoad() string { return fmt.Sprintf("closed loop, %d workers", d.o.Concurrency) }

func (d *dbRun) record(m Measurement) {
	d.rep.Requests = append(d.rep.Requests, m)
	s := m.Summary
	d.o.logf("%s: %-45s %8s req/s  p50 %-9s p99 %-9s errors %d", d.short, m.Name, formatRate(s.Rate()), formatDur(s.P50), formatDur(s.P99), s.Errors)
}

// phaseGet runs TargetGetRounds rounds of: Signet's GET closed loop, the
// bare handler's closed loop, Signet's GET open loop at half of the
// round's closed-loop rate. Both servers stay up throughout, so each
// round's runs follow one another on the same machine state.
func (d *dbRun) phaseGet(ctx context.Context) error {
	srv, err := d.startServer(ctx, "get")
	if err != nil {
		return err
	}
	var base *server
	defer func() { // in this order, so the report lists Signet first
		srv.stop(fmt.Sprintf("%d rounds of GET closed loop and half load, idle while the baseline ran", TargetGetRounds))
		if base != nil {
			base.stop(fmt.Sprintf("bare net/http handler, %d rounds of closed loop, idle while Signet ran", TargetGetRounds))
		}
	}()
	if err := d.ensureSessions(ctx, srv.api); err != nil {
		return err
	}
	body, err := srv.api.Do(ctx, http.MethodGet, "/signing/"+d.ids[0], nil, http.StatusOK)
	if err != nil {
		return err
	}
	if base, err = d.startBaseline(ctx, body); err != nil {
		return err
	}

	c := d.o.Concurrency
	workers := max(2*c, 64)
	bareBase := "http://" + base.addr
	var gs [4]*Getter // closed loop, then half load; Signet, then the baseline
	for i, to := range []struct {
		base  string
		conns int
	}{{srv.api.Base, c}, {bareBase, c}, {srv.api.Base, workers}, {bareBase, workers}} {
		if gs[i], err = NewGetter(to.base, srv.api.Key, to.conns); err != nil {
			return err
		}
		defer gs[i].Close()
	}
	get, bare, halfAPI, halfBare := gs[0], gs[1], gs[2], gs[3]
	ClosedLoop(ctx, c, d.warmup(), d.getOp(get, c))
	ClosedLoop(ctx, c, d.warmup(), d.getOp(bare, c))
	for round := 1; round <= TargetGetRounds && ctx.Err() == nil; round++ {
		closed := ClosedLoop(ctx, c, d.o.Duration, d.getOp(get, c))
		d.record(Measurement{Key: KeyGet, Round: round, Name: fmt.Sprintf("GET /signing/{id}, round %d", round), Load: d.closedLoad(), Summary: closed})
		sum := ClosedLoop(ctx, c, d.o.Duration, d.getOp(bare, c))
		d.record(Measurement{Key: KeyGetBare, Round: round, Name: fmt.Sprintf("baseline: bare net/http handler, same JSON bytes, round %d", round),
			Load: d.closedLoad(), Summary: sum})
		half := closed.Rate() / 2
		if half <= 0 {
			continue
		}
		if round == 1 { // opens the clients' connections
			FixedRate(ctx, half, d.warmup(), workers, d.getOp(halfAPI, workers))
			FixedRate(ctx, half, d.warmup(), workers, d.getOp(halfBare, workers))
		}
		sum, offered := FixedRate(ctx, half, d.o.Duration, workers, d.getOp(halfAPI, workers))
		d.record(Measurement{Key: KeyGetHalf, Round: round, Name: fmt.Sprintf("GET /signing/{id} at half of its max, round %d", round),
			Summary: sum, Offered: offered, Load: fmt.Sprintf("fixed rate %s/s (open loop)", formatRate(half))})
		sum, offered = FixedRate(ctx, half, d.o.Duration, workers, d.getOp(halfBare, workers))
		d.record(Measurement{Key: KeyGetHalfBare, Round: round, Name: fmt.Sprintf("baseline: bare net/http handler at the same rate, round %d", round),
			Summary: sum, Offered: offered, Load: fmt.Sprintf("fixed rate %s/s (open loop)", formatRate(half))})
	}
	return nil
}

// startBaseline starts the bare GET handler serving body.
func (d *dbRun) startBaseline(ctx context.Context, body []byte) (*server, error) {
	file := filepath.Join(d.dir, "baseline.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	child, err := StartChild("baseline server", d.o.Exe, []string{"bench", "baseline-server", "--addr", addr, "--body", file}, nil,
		filepath.Join(d.dir, "baseline.log"))
	if err != nil {
		return nil, err
	}
	if err := child.WaitReady(ctx, "http://"+addr+"/readyz", readyTimeout); err != nil {
		_ = child.Stop(stopTimeout)
		return nil, err
	}
	base := &server{d: d, phase: "get baseline", child: child, addr: addr, ready: time.Now(), benchCPU: SelfCPU()}
	base.cpu, _ = ReadCPU(child.Pid())
	return base, nil
}

func (d *dbRun) phaseList(ctx context.Context) error {
	srv, err := d.startServer(ctx, "list")
	if err != nil {
		return err
	}
	defer srv.stop("GET /signing?limit=20 closed loop")
	if err := d.ensureSessions(ctx, srv.api); err != nil {
		return err
	}
	op := func(ctx context.Context, _ int) error {
		return srv.api.Discard(ctx, http.MethodGet, "/signing?limit=20", nil, http.StatusOK)
	}
	ClosedLoop(ctx, d.o.Concurrency, d.warmup(), op)
	sum := ClosedLoop(ctx, d.o.Concurrency, d.o.Duration, op)
	d.record(Measurement{Key: KeyList, Name: "GET /signing?limit=20", Load: d.closedLoad(), Summary: sum})
	return nil
}

func (d *dbRun) phasePost(ctx context.Context) error {
	doc := pdf.SampleOfSize(postPDFSize)
	srv, err := d.startServer(ctx, "post")
	if err != nil {
		return err
	}
	c := d.o.Concurrency
	for _, run := range []struct{ key, provider, name string }{
		{KeyPost, providerLocal, "provider local"},
		{KeyPostSbx, providerSandbox, "provider signzy, sandbox"},
	} {
		body := newCreateBody(doc, run.provider)
		ClosedLoop(ctx, c, d.warmup(), createOp(srv.api, body, &orders{prefix: "bench-warm-" + randHex(3)}))
		sum := ClosedLoop(ctx, c, d.o.Duration, createOp(srv.api, body, &orders{prefix: "bench-post-" + randHex(3)}))
		d.record(Measurement{Key: run.key, Name: fmt.Sprintf("POST /signing, %s (%d KB PDF)", run.name, len(doc)>>10), Load: d.closedLoad(), Summary: sum})
	}
	srv.stop("POST /signing closed loop: provider local, then signzy sandbox")

	var in Inserter
	name := "baseline: raw SQLite insert of the same row"
	if d.short == "sqlite" {
		in, err = OpenSQLiteInserter(ctx, filepath.Join(d.dir, "baseline.db"))
	} else {
		name = "baseline: raw PostgreSQL insert of the same row"
		in, err = OpenPostgresInserter(ctx, d.dsn, c)
	}
	if err != nil {
		return err
	}
	defer in.Close()
	signer := []byte(`{"name":"Asha Rao","email":"asha@example.com"}`)
	meta := []byte(`{"segment":"bench"}`)
	ord := &orders{prefix: "bench-raw-" + randHex(3)}
	op := func(ctx context.Context, _ int) error {
		return in.Insert(ctx, Row{ID: newUUID(), TenantID: "bench", OrderID: ord.next(), SignerDetails: signer, Metadata: meta,
			CreatedAt: time.Now(), Document: doc})
	}
	ClosedLoop(ctx, c, d.warmup(), op)
	raw := ClosedLoop(ctx, c, d.o.Duration, op)
	d.record(Measurement{Key: KeyPostRaw, Name: name, Load: d.closedLoad(), Summary: raw})
	return nil
}

// waitCount polls count until it reaches want, stops growing for
// stallTimeout, or ctx ends; it reports whether want was reached.
func waitCount(ctx context.Context, want int, count func() int) bool {
	last, lastChange := -1, time.Now()
	for {
		n := count()
		if n >= want {
			return true
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > stallTimeout {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startReceiver serves a Receiver on loopback; closing the server also
// ends the requests held at its hanging paths.
func startReceiver() (*Receiver, *http.Server, string, error) {
	rcv := NewReceiver()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", err
	}
	hs := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return rcv, hs, "http://" + ln.Addr().String(), nil
}

func (d *dbRun) phaseWebhooks(ctx context.Context) error {
	rcv, hs, recvBase, err := startReceiver()
	if err != nil {
		return err
	}
	defer hs.Close()

	w := &WebhookResult{Endpoints: drainEndpoints, LagRate: d.o.LagRate, TypeCounts: map[string]int{}}
	d.rep.Webhooks = w
	c := d.o.Concurrency

	// Drain, part 1: build a backlog the receiver refuses, on a server
	// that is then stopped. While the receiver refuses, every delivery
	// comes back every 2 s; stopping the server and waiting out that
	// delay makes the whole backlog due at once for the next server, so
	// the drain measures delivery capacity, not the retry spacing.
	srv, err := d.startServer(ctx, "webhooks-backlog")
	if err != nil {
		return err
	}
	drain := srv.apiFor(tenantDrain, c)
	for i := range drainEndpoints {
		reg, _ := json.Marshal(map[string]string{"url": fmt.Sprintf("%s/drain/%d", recvBase, i)})
		if _, err := drain.Do(ctx, http.MethodPost, "/webhooks", reg, http.StatusCreated); err != nil {
			srv.stop("")
			return fmt.Errorf("registering a webhook endpoint: %w", err)
		}
	}
	rcv.SetStatus(http.StatusServiceUnavailable)
	created := ClosedLoop(ctx, c, d.o.Duration, createOp(drain, d.small, &orders{prefix: "bench-drain-" + randHex(3)}))
	if created.Errors > 0 {
		d.fail("webhooks: %d of the drain run's creates failed: %s", created.Errors, created.FirstError)
	}
	w.Sessions = created.OK
	w.Expected = created.OK * drainEndpoints
	t0 := time.Now()
	w.BacklogReady = waitCount(ctx, w.Expected, func() int { n, _ := rcv.Counts(); return n })
	w.BacklogWait = time.Since(t0)
	srv.stop(fmt.Sprintf("drain backlog: %s sessions created while the receiver answered 503", formatInt(created.OK)))
	w.RefusedAttempts = len(rcv.Arrivals())
	rcv.SetStatus(http.StatusOK)
	sleepUntil(ctx, time.Now().Add(2500*time.Millisecond)) // > the 2 s retry delay

	// Drain, part 2: a fresh server finds the whole backlog due.
	srv, err = d.startServer(ctx, "webhooks")
	if err != nil {
		return err
	}
	defer srv.stop("webhook drain, then lag")
	ready := time.Now()
	w.DrainComplete = waitCount(ctx, w.Expected, func() int { _, n := rcv.Counts(); return n })
	arrivals := rcv.Arrivals()
	w.Drain = DrainOf(arrivals)
	if w.Drain.Delivered > 0 {
		w.FirstAfterStart = w.Drain.First.Sub(ready)
	}
	for t, n := range TypeCounts(arrivals) {
		w.TypeCounts[t] += n
	}
	d.o.logf("%s: webhook drain: %s deliveries in %s = %s/s (backlog %s, complete %v)", d.short, formatInt(w.Drain.Delivered),
		formatDur(w.Drain.Span()), formatRate(w.Drain.Rate()), formatInt(w.Expected), w.DrainComplete)

	// Lag: a steady 500 creates a second (LagRate), every event delivered at once.
	rcv.Reset()
	lag := srv.apiFor(tenantLag, 64)
	reg, _ := json.Marshal(map[string]string{"url": recvBase + "/lag"})
	if _, err := lag.Do(ctx, http.MethodPost, "/webhooks", reg, http.StatusCreated); err != nil {
		return fmt.Errorf("registering a webhook endpoint: %w", err)
	}
	creates, offered := FixedRate(ctx, w.LagRate, d.o.Duration, 64, createOp(lag, d.small, &orders{prefix: "bench-lag-" + randHex(3)}))
	w.LagOffered, w.LagCreates, w.LagExpected = offered, creates, creates.OK
	lagged := func() []Arrival {
		var out []Arrival
		for _, a := range rcv.Arrivals() {
			if a.Path == "/lag" {
				out = append(out, a)
			}
		}
		return out
	}
	waitCount(ctx, w.LagExpected, func() int { _, n := rcv.Counts(); return n })
	arrivals = lagged()
	var rec Recorder
	for _, l := range Lags(arrivals, "signing.created") {
		rec.Record(l)
	}
	w.Lag = rec.Summarize(d.o.Duration)
	w.LagDelivered = w.Lag.OK
	for t, n := range TypeCounts(arrivals) {
		w.TypeCounts[t] += n
	}
	d.o.logf("%s: webhook lag: %s created at %s/s, lag p50 %s p99 %s, %d of %d delivered", d.short, formatInt(creates.OK),
		formatRate(creates.Rate()), formatDur(w.Lag.P50), formatDur(w.Lag.P99), w.LagDelivered, w.LagExpected)
	return nil
}

func (d *dbRun) phaseRSS(ctx context.Context) error {
	srv, err := d.startServer(ctx, "rss")
	if err != nil {
		return err
	}
	defer srv.stop("idle keep-alive connections")
	if err := d.ensureSessions(ctx, srv.api); err != nil {
		return err
	}
	pid := srv.child.Pid()
	idle, err := ReadMemory(pid)
	if err != nil {
		return err
	}
	m := &MemoryResult{Conns: d.o.RSSConns, Interval: rssInterval, Held: d.o.Duration, IdleRSS: idle.RSS}
	stopSampling := sampleRSS(ctx, pid)
	res := HoldConns(ctx, HoldOptions{Addr: srv.addr, Key: srv.api.Key, Conns: d.o.RSSConns, Interval: rssInterval, Ramp: rssRamp,
		Hold: d.o.Duration, Path: func(conn, n int) string { return "/signing/" + d.ids[(conn+n)%len(d.ids)] }}, nil)
	m.PeakRSS, m.SampledAt = stopSampling()
	if mem, err := ReadMemory(pid); err == nil {
		m.HWM = mem.HWM
	}
	m.Opened, m.Requests = res.Opened, res.Summary
	d.rep.Memory = m
	d.o.logf("%s: rss: %d connections, peak VmRSS %s, VmHWM %s, %d GETs, %d errors", d.short, m.Opened, formatMB(m.PeakRSS),
		formatMB(m.HWM), m.Requests.OK, m.Requests.Errors)
	return nil
}

// sampleRSS reads pid's VmRSS every 50 ms until the returned function is
// called, which returns the highest value read and how many were.
func sampleRSS(ctx context.Context, pid int) func() (peak int64, samples int) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var peak int64
	var samples int
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if mem, err := ReadMemory(pid); err == nil {
				peak = max(peak, mem.RSS)
				samples++
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() (int64, int) {
		cancel()
		<-done
		return peak, samples
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
