package bench

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func sum(ok int, elapsed, p50, p99 time.Duration, errs int64) Summary {
	return Summary{OK: ok, Elapsed: elapsed, P50: p50, P90: p99, P99: p99, Max: p99, Errors: errs}
}

func sampleReport() *Report {
	db := &DBReport{Name: "SQLite", Database: "sqlite:/tmp/x/signet.db (temporary)",
		Requests: []Measurement{
			{Key: KeyGet, Name: "GET /signing/{id}", Load: "closed loop, 32 workers", Summary: sum(60000, 10*time.Second, ms(4), ms(12), 0)},
			{Key: KeyGetHalf, Name: "GET /signing/{id} at half of its max", Load: "fixed rate 3,000/s", Offered: 30000,
				Summary: sum(30000, 10*time.Second, ms(1), 4*time.Millisecond, 0)},
			{Key: KeyGetBare, Name: "baseline: bare net/http handler", Load: "closed loop, 32 workers", Summary: sum(100000, 10*time.Second, ms(2), ms(5), 0)},
			{Key: KeyList, Name: "GET /signing?limit=20", Load: "closed loop, 32 workers", Summary: sum(20000, 10*time.Second, ms(10), ms(30), 0)},
			{Key: KeyPost, Name: "POST /signing (100 KB PDF)", Load: "closed loop, 32 workers", Summary: sum(900, 10*time.Second, ms(300), ms(800), 2)},
			{Key: KeyPostSbx, Name: "POST /signing, signzy sandbox", Load: "closed loop, 32 workers", Summary: sum(450, 10*time.Second, ms(600), ms(900), 0)},
			{Key: KeyPostRaw, Name: "baseline: raw SQLite insert", Load: "closed loop, 32 workers", Summary: sum(15000, 10*time.Second, ms(2), ms(30), 0)},
		},
		Webhooks: &WebhookResult{Endpoints: 10, Sessions: 3000, Expected: 30000, BacklogReady: true, DrainComplete: true,
			Drain:   Drain{Delivered: 30000, First: time.Unix(0, 0), Last: time.Unix(12, 0)},
			LagRate: 500, LagOffered: 5000, LagCreates: sum(5000, 10*time.Second, ms(5), ms(40), 0),
			LagExpected: 5000, LagDelivered: 5000, Lag: sum(5000, 10*time.Second, ms(20), ms(120), 0),
			TypeCounts: map[string]int{"signing.created": 35000}},
		HOL: &HOLResult{Rate: 200, Offered: 2000, Creates: sum(2000, 10*time.Second, ms(5), ms(30), 0), Expected: 2000, Delivered: 2000,
			Wait: 30 * time.Second, Lag: sum(2000, 10*time.Second, ms(40), ms(300), 0), HungAttempts: 8, HungDeliveries: 6},
		Uploads: []UploadResult{
			{PDFBytes: 1 << 20, BodyBytes: 1400 << 10, Concurrent: 32, Rounds: 10, Creates: sum(320, 10*time.Second, ms(500), ms(900), 0),
				Deferred: 12, IdleRSS: 30 << 20, PeakRSS: 118 << 20, HWM: 120 << 20, Samples: 200},
			{PDFBytes: 10 << 20, BodyBytes: 14 << 20, Concurrent: 32, Rounds: 2, Creates: sum(64, 20*time.Second, ms(5000), ms(9000), 0),
				Deferred: 40, IdleRSS: 30 << 20, PeakRSS: 310 << 20, HWM: 305 << 20, Samples: 400},
		},
		Memory: &MemoryResult{Conns: 1000, Opened: 1000, Interval: time.Second, Held: 10 * time.Second,
			Requests: sum(10000, 11*time.Second, ms(1), ms(3), 0), IdleRSS: 30 << 20, PeakRSS: 70 << 20, HWM: 72 << 20},
		Phases: []PhaseServer{{Phase: "get", PeakRSS: 40 << 20, Note: "GET", Wall: 20 * time.Second, CPU: 30 * time.Second, BenchCPU: 8 * time.Second}},
	}
	return &Report{Command: "signet bench --duration 10s", Started: time.Unix(0, 0), Finished: time.Unix(125, 0),
		Machine:  Machine{CPU: "Test CPU @ 3 GHz", Cores: 2, GOMAXPROCS: 2, MemTotal: 24 << 30, GoVersion: "go1.26.8", OS: "Linux"},
		Duration: 10 * time.Second, Concurrency: 32,
		Databases: []*DBReport{db, {Name: "PostgreSQL", Database: "postgres://u:xxxxx@h/db", Skipped: "PostgreSQL is not supported | yet"}},
		Notes:     []string{"a note"}}
}

func TestTargets(t *testing.T) {
	r := sampleReport()
	all := r.Databases[0].Targets()
	if len(all) != 9 {
		t.Fatalf("%d targets, want 9: %+v", len(all), all)
	}
	results := []string{}
	for _, tg := range all {
		results = append(results, tg.Result)
	}
	// GET ratio 60 % PASS; half-load p99 4 ms PASS; POST 6 % MISS;
	// 30,000 in 12 s = 2,500/s PASS; lag p99 120 ms at 500/s PASS;
	// head-of-line p99 300 ms at 200/s PASS; uploads 120 MB PASS, 310 MB
	// MISS; RSS 72 MB PASS.
	if strings.Join(results, ",") != "PASS,PASS,MISS,PASS,PASS,PASS,PASS,MISS,PASS" {
		t.Errorf("results %v: %+v", results, all)
	}
	if !strings.Contains(all[0].Measured, "60 %") || !strings.Contains(all[2].Measured, "6 % (90.0 vs 1,500 /s); signzy sandbox beside it: 3 % (45.0 /s)") {
		t.Errorf("ratios: %q, %q", all[0].Measured, all[2].Measured)
	}
	if m := all[5].Measured; !strings.Contains(m, "p99 300 ms at 200/s created; 8 hung attempts") {
		t.Errorf("head-of-line: %s", m)
	}
	if m := all[7].Measured; !strings.Contains(m, "310.0 MB peak over 2 rounds (64 creates, 40 answered 503 and retried)") {
		t.Errorf("10 MB uploads: %s", m)
	}

	// Misses: a slow drain, lag measured below 500/s, too much memory,
	// half-load p99 over 5 ms, errors in the GET run.
	db := r.Databases[0]
	db.Webhooks.Drain.Last = time.Unix(30, 0)
	db.Webhooks.LagCreates.OK = 3000 // 300/s achieved
	db.Memory.HWM = 200 << 20
	db.Requests[1].Summary.P99 = 6 * time.Millisecond
	db.Requests[0].Summary.Errors = 1
	db.HOL.Lag.P99 = 600 * time.Millisecond
	db.Uploads[0].HWM = 160 << 20
	for _, tg := range db.Targets() {
		if tg.Result != "MISS" {
			t.Errorf("%s: %s (%s), want MISS", tg.Name, tg.Result, tg.Measured)
		}
	}

	// Late and lost deliveries are reported.
	db.Webhooks.Drain.Late = 3
	db.Webhooks.Expected = 30005
	if m := db.Targets()[3].Measured; !strings.Contains(m, "3 more arrived late") || !strings.Contains(m, "2 never arrived") {
		t.Errorf("drain target: %s", m)
	}
	md := r.Markdown()
	if !strings.Contains(md, "| drain: delivered late | 3,") || !strings.Contains(md, "| **drain: never delivered** | **2** ") {
		t.Errorf("late/lost rows missing")
	}

	// A lag run below 500/s never passes, however short the lag.
	db.Webhooks.LagRate, db.Webhooks.LagCreates.OK = 100, 1000
	lagT := db.Targets()[4]
	if lagT.Result != "MISS" || !strings.Contains(lagT.Measured, "--lag-rate 100") {
		t.Errorf("lag at 100/s: %+v", lagT)
	}

	// Nothing measured: every target n/a.
	for _, tg := range (&DBReport{}).Targets() {
		if tg.Result != "n/a" {
			t.Errorf("%s: %s with nothing measured", tg.Name, tg.Result)
		}
	}
}

func TestMarkdown(t *testing.T) {
	md := sampleReport().Markdown()
	for _, want := range []string{
		"# Signet benchmark",
		"Command: `signet bench --duration 10s`",
		"## Machine", "| CPU | Test CPU @ 3 GHz |", "| cores | 2 (GOMAXPROCS 2) |", "| RAM | 24.0 GiB |", "| Go | go1.26.8 |",
		"## SQLite", "### Targets", "### Requests", "### Webhooks", "### Memory (RSS)", "### Server processes",
		"| GET /signing/{id} | closed loop, 32 workers | 60,000 | 6,000 | 4.00 ms |",
		"| 60 % |", // GET vs bare
		"| POST /signing (100 KB PDF) | closed loop, 32 workers | 900 | 90.0 |",
		"| **drain: deliveries/s** | **2,500** |",
		"| **lag: event timestamp → arrival** | **p50 20.0 ms, p90 120 ms, p99 120 ms, max 120 ms** |",
		"| **server VmHWM (peak RSS)** | **72.0 MB** |",
		"| get | 20.0 s | 30.0 s | 1.50 | 8.0 s | 0.40 | 40.0 MB | GET |",
		"| POST /signing, signzy sandbox | closed loop, 32 workers | 450 | 45.0 | 600 ms | 900 ms | 900 ms | 900 ms | 0 | 3 % |",
		"### Webhook head-of-line", "| hanging endpoint: attempts seen | 8 (6 distinct deliveries) |",
		"| healthy endpoint: signing.created delivered | 2,000 of 2,000 |",
		"| **healthy endpoint: event timestamp → arrival** | **p50 40.0 ms, p90 300 ms, p99 300 ms, max 300 ms** |",
		"### Memory under large uploads",
		"| 10 MB | 14.0 MB | 32 | 2 | 64 | 40 | 0 | 5000 ms | 9000 ms | 30.0 MB | **310.0 MB** (400) | 305.0 MB |",
		"| peak RSS < 300 MB with 32 concurrent creates of 10 MB PDFs | 310.0 MB peak",
		"**PASS**", "**MISS**",
		"## PostgreSQL", "**Not measured:** PostgreSQL is not supported \\| yet",
		"## Notes", "- a note",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Every table row has the same number of cells as its header.
	var cols int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row has %d separators, header %d: %s", n, cols, line)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{0.9, 0.4, 0.6}, 0.6}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.xs); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	xs := []float64{3, 1, 2}
	Median(xs)
	if xs[0] != 3 {
		t.Error("Median sorted its argument")
	}
}

// getRounds are three GET rounds: GET/bare ratios 40 %, 60 %, 55 %;
// half-load p99s 9 ms, 3 ms, 4 ms; the bare handler's at the same rates
// 2, 3 and 2.5 ms.
func getRounds() *DBReport {
	d := &DBReport{}
	for i, r := range []struct {
		get, bare  int
		p99, floor time.Duration
	}{{4000, 10000, ms(9), ms(2)}, {6000, 10000, ms(3), ms(3)}, {5500, 10000, ms(4), 2500 * time.Microsecond}} {
		round := i + 1
		d.Requests = append(d.Requests,
			Measurement{Key: KeyGet, Round: round, Name: fmt.Sprintf("GET, round %d", round), Summary: sum(r.get*10, 10*time.Second, ms(1), ms(5), 0)},
			Measurement{Key: KeyGetBare, Round: round, Name: fmt.Sprintf("bare, round %d", round), Summary: sum(r.bare*10, 10*time.Second, ms(1), ms(2), 0)},
			Measurement{Key: KeyGetHalf, Round: round, Name: fmt.Sprintf("half, round %d", round), Offered: r.get * 5,
				Summary: sum(r.get*5, 10*time.Second, ms(1), r.p99, 0)},
			Measurement{Key: KeyGetHalfBare, Round: round, Name: fmt.Sprintf("half bare, round %d", round), Offered: r.get * 5,
				Summary: sum(r.get*5, 10*time.Second, 500*time.Microsecond, r.floor, 0)})
	}
	return d
}

func TestGetTargetsAreJudgedOnTheMedianRound(t *testing.T) {
	d := getRounds()
	tg := d.Targets()
	if tg[0].Result != "PASS" || !strings.Contains(tg[0].Measured, "55 %, median of 3 rounds (40 % = 4,000 / 10,000; 60 % = 6,000 / 10,000; 55 % = 5,500 / 10,000 req/s)") {
		t.Errorf("ratio: %+v", tg[0])
	}
	if tg[1].Result != "PASS" || !strings.Contains(tg[1].Measured, "p99 4.00 ms, median of 3 rounds (9.00 ms, 3.00 ms, 4.00 ms)") ||
		!strings.Contains(tg[1].Measured, "the bare handler at the same rates: p99 2.50 ms (median)") {
		t.Errorf("p99: %+v", tg[1])
	}
	// One bad round does not decide; two do.
	d.Requests[4].Summary.OK = 35000 // round 2: 35 %
	d.Requests[6].Summary.P99 = ms(7)
	tg = d.Targets()
	if tg[0].Result != "MISS" || tg[1].Result != "MISS" {
		t.Errorf("two rounds of three missing: %+v", tg[:2])
	}
	// Errors in any round miss.
	d = getRounds()
	d.Requests[10].Summary.Dropped = 1
	if tg := d.Targets(); tg[0].Result != "PASS" || tg[1].Result != "MISS" {
		t.Errorf("a dropped half-load request: %+v", tg[:2])
	}

	md := (&Report{Databases: []*DBReport{getRounds()}}).Markdown()
	for _, want := range []string{
		"### GET rounds",
		"| 1 | 4,000 | 10,000 | 40 % | 2,000/s | 1.00 ms | 9.00 ms | 0 | 2.00 ms |",
		"| **median** | | | **55 %** | | | **4.00 ms** | | 2.50 ms |",
		"| GET, round 2 |  | 60,000 | 6,000 | 1.00 ms | 5.00 ms | 5.00 ms | 5.00 ms | 0 | 60 % |", // ratio against its own round's baseline
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestBusyMachineWarning(t *testing.T) {
	r := sampleReport()
	r.LoadBefore, r.LoadAfter = "0.08 0.20 0.30", "2.40 1.25 0.30" // the run's own load shows at the end
	if strings.Contains(r.Markdown(), "other work was running") {
		t.Error("warned on a quiet machine")
	}
	r.LoadBefore = "3.50 2.00 1.00"
	if !strings.Contains(r.Markdown(), "**Warning: other work was running on this machine** (load average 3.50 when the run started, on 2 cores)") {
		t.Error("no warning on a busy machine")
	}
	if busy("") || busy("unknown") || !busy("0.51 0 0") {
		t.Error("busy()")
	}
}

func TestFormatting(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := formatInt(n); got != want {
			t.Errorf("formatInt(%d) = %q", n, got)
		}
	}
	for r, want := range map[float64]string{0: "0.0", 83.62: "83.6", 99.96: "100.0", 1457.6: "1,458", 14223.2: "14,223"} {
		if got := formatRate(r); got != want {
			t.Errorf("formatRate(%v) = %q, want %q", r, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0", 346 * time.Microsecond: "0.346 ms", 4170 * time.Microsecond: "4.17 ms",
		20200 * time.Microsecond: "20.2 ms", 339 * time.Millisecond: "339 ms", 1104 * time.Millisecond: "1104 ms", 12 * time.Second: "12.0 s"} {
		if got := formatDur(d); got != want {
			t.Errorf("formatDur(%v) = %q, want %q", d, got, want)
		}
	}
	if got := formatMB(150 << 20); got != "150.0 MB" {
		t.Errorf("formatMB = %q", got)
	}
	if got := oneLine("a\n b | `c`"); got != `a b \| 'c'` {
		t.Errorf("oneLine = %q", got)
	}
}
