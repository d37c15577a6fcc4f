package bench

import (
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
			{Key: KeyPostRaw, Name: "baseline: raw SQLite insert", Load: "closed loop, 32 workers", Summary: sum(15000, 10*time.Second, ms(2), ms(30), 0)},
		},
		Webhooks: &WebhookResult{Endpoints: 10, Sessions: 3000, Expected: 30000, BacklogReady: true, DrainComplete: true,
			Drain:   Drain{Delivered: 30000, First: time.Unix(0, 0), Last: time.Unix(12, 0)},
			LagRate: 500, LagOffered: 5000, LagCreates: sum(5000, 10*time.Second, ms(5), ms(40), 0),
			LagExpected: 5000, LagDelivered: 5000, Lag: sum(5000, 10*time.Second, ms(20), ms(120), 0),
			TypeCounts: map[string]int{"signing.created": 35000}},
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
	if len(all) != 6 {
		t.Fatalf("%d targets, want 6: %+v", len(all), all)
	}
	results := []string{}
	for _, tg := range all {
		results = append(results, tg.Result)
	}
	// GET ratio 60 % PASS; half-load p99 4 ms PASS; POST 6 % MISS;
	// 30,000 in 12 s = 2,500/s PASS; lag p99 120 ms at 500/s PASS; RSS 72 MB PASS.
	if strings.Join(results, ",") != "PASS,PASS,MISS,PASS,PASS,PASS" {
		t.Errorf("results %v: %+v", results, all)
	}
	if !strings.Contains(all[0].Measured, "60 %") || !strings.Contains(all[2].Measured, "6 %") {
		t.Errorf("ratios: %q, %q", all[0].Measured, all[2].Measured)
	}

	// Misses: a slow drain, lag measured below 500/s, too much memory,
	// half-load p99 over 5 ms, errors in the GET run.
	db := r.Databases[0]
	db.Webhooks.Drain.Last = time.Unix(30, 0)
	db.Webhooks.LagCreates.OK = 3000 // 300/s achieved
	db.Memory.HWM = 200 << 20
	db.Requests[1].Summary.P99 = 6 * time.Millisecond
	db.Requests[0].Summary.Errors = 1
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
