package bench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The targets of the performance issue.
const (
	TargetGetRatio     = 0.50                   // GET ≥ 50 % of the bare handler
	TargetGetHalfP99   = 5 * time.Millisecond   // GET p99 ≤ 5 ms at half of Signet's max GET load
	TargetPostRatio    = 0.40                   // POST ≥ 40 % of the raw insert
	TargetDeliveries   = 2000.0                 // webhook deliveries/s
	TargetLagRate      = 500.0                  // events/s offered in the lag run
	TargetLagP99       = 500 * time.Millisecond // p99 event-to-delivery lag at TargetLagRate
	TargetRSS          = 150 << 20              // peak RSS with the idle connections
	TargetRSSConns     = 1000
	TargetHOLRate      = 200.0                  // events/s offered in the head-of-line run
	TargetHOLP99       = 500 * time.Millisecond // the healthy endpoint's p99 lag while another hangs
	TargetUploads      = 32                     // concurrent creates of the upload run
	TargetGetRounds    = 3                      // GET targets are judged on the median of this many rounds
	lagRateAchievedMin = 0.95                   // the lag run counts as "at 500/s" if at least 95 % of that was created
)

// UploadTargets are the peak-RSS bounds of the upload run, by PDF size.
var UploadTargets = []UploadTarget{{PDFBytes: 1 << 20, MaxRSS: 150 << 20}, {PDFBytes: 10 << 20, MaxRSS: 300 << 20}}

// UploadTarget is one PDF size of the upload run and its peak-RSS bound.
type UploadTarget struct {
	PDFBytes int
	MaxRSS   int64
}

// Measurement keys: the rows of the request table.
const (
	KeyGet     = "get"
	KeyGetBare = "get-bare"
	KeyGetHalf = "get-half"
	// KeyGetHalfBare: the bare handler at the same rate as KeyGetHalf,
	// the floor this machine and generator put under that p99.
	KeyGetHalfBare = "get-half-bare"
	KeyList        = "list"
	KeyPost        = "post" // provider local: no outside HTTP call
	KeyPostSbx     = "post-sandbox"
	KeyPostRaw     = "post-raw"
	KeyLagPosts    = "lag-posts"
)

// Report is one run of `signet bench`.
type Report struct {
	Command     string
	LoadBefore  string // load averages (1, 5, 15 min) when the run started
	LoadAfter   string
	Started     time.Time
	Finished    time.Time
	Machine     Machine
	Duration    time.Duration
	Concurrency int
	Databases   []*DBReport
	Notes       []string
}

// DBReport is everything measured on one database.
type DBReport struct {
	Name     string // SQLite, PostgreSQL
	Database string // the DSN, password redacted
	Skipped  string // why the database was not measured at all
	Requests []Measurement
	Webhooks *WebhookResult
	HOL      *HOLResult
	Memory   *MemoryResult
	Uploads  []UploadResult // one per PDF size
	Phases   []PhaseServer  // the server process of each phase
	Failures []string       // phases that could not be completed, and why
	Profiles []string       // CPU profile files written by the servers
}

// Measurement is one row of the request table.
type Measurement struct {
	Key     string
	Name    string // what was requested
	Load    string // how: closed loop at c, or fixed rate
	Summary Summary
	Offered int // fixed-rate runs: requests offered
	Round   int // runs repeated in rounds (GET): 1, 2, …; 0 for a run made once
}

// PhaseServer is what the server process of one phase used.
type PhaseServer struct {
	Phase    string
	Wall     time.Duration // from ready to stopped
	CPU      time.Duration // the server's CPU time (user + system) in that time
	BenchCPU time.Duration // the bench process's own CPU time in that time (load generator, receiver)
	PeakRSS  int64         // VmHWM just before it was stopped
	Note     string
}

func cores(cpu, wall time.Duration) string {
	if wall <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", cpu.Seconds()/wall.Seconds())
}

// WebhookResult is the webhook delivery measurement.
type WebhookResult struct {
	// Drain: a backlog built while the receiver answered 503, then drained.
	Endpoints       int
	Sessions        int // sessions created while the receiver refused
	Expected        int // deliveries that backlog held: Sessions × Endpoints
	BacklogReady    bool
	BacklogWait     time.Duration // from the last create until every delivery had been tried once
	RefusedAttempts int           // attempts answered 503 before the switch
	Drain           Drain
	FirstAfterStart time.Duration // from the draining server being ready to the first success
	DrainComplete   bool

	// Lag: sessions created at a fixed rate with the receiver answering 200.
	LagRate      float64
	LagOffered   int
	LagCreates   Summary // the POST /signing requests of the lag run
	LagExpected  int     // signing.created deliveries expected (one per created session)
	LagDelivered int
	Lag          Summary // arrival − event timestamp, signing.created events
	TypeCounts   map[string]int
}

// AchievedLagRate is the rate sessions were actually created at in the
// lag run.
func (w *WebhookResult) AchievedLagRate() float64 { return w.LagCreates.Rate() }

// MemoryResult is the idle-connections memory measurement.
type MemoryResult struct {
	Conns     int           // connections held open
	Opened    int           // connections that were established
	Interval  time.Duration // between one connection's requests
	Held      time.Duration
	Requests  Summary // the slow GETs
	IdleRSS   int64   // before the connections were opened
	PeakRSS   int64   // highest VmRSS sampled while they were open
	HWM       int64   // VmHWM at the end (peak over the process's life)
	SampledAt int     // how many samples were taken
}

// HOLResult is the head-of-line measurement: one tenant, two endpoints,
// one of which never answers.
type HOLResult struct {
	Rate           float64
	Offered        int
	Creates        Summary // the POST /signing requests, latency from their due time
	Expected       int     // deliveries expected at the healthy endpoint (one per created session)
	Delivered      int     // of those, delivered within Wait
	Wait           time.Duration
	Lag            Summary // healthy endpoint: arrival − event timestamp, signing.created
	HungAttempts   int     // attempts that reached the hanging endpoint
	HungDeliveries int     // distinct deliveries among them
}

// UploadResult is one PDF size of the upload run: rounds of concurrent
// creates against a fresh server whose VmRSS is sampled meanwhile.
type UploadResult struct {
	PDFBytes   int
	BodyBytes  int // the request body: the PDF in base64, in JSON
	Concurrent int
	Rounds     int
	Creates    Summary // from the first attempt to 201, retries included
	Deferred   int     // answers 503 with Retry-After, retried after it (not errors)
	IdleRSS    int64   // before the first round
	PeakRSS    int64   // highest VmRSS sampled during the rounds
	HWM        int64   // VmHWM at the end
	Samples    int
}

// Peak is the higher of the sampled peak and the kernel's high-water mark.
func (u UploadResult) Peak() int64 { return max(u.PeakRSS, u.HWM) }

// Measurement returns the first row with key k.
func (d *DBReport) Measurement(k string) (Measurement, bool) {
	return d.measurementIn(k, -1)
}

// measurementIn is the row with key k of round r (any round for r < 0).
func (d *DBReport) measurementIn(k string, r int) (Measurement, bool) {
	i := slices.IndexFunc(d.Requests, func(m Measurement) bool { return m.Key == k && (r < 0 || m.Round == r) })
	if i < 0 {
		return Measurement{}, false
	}
	return d.Requests[i], true
}

// GetRound is one round of the GET runs: Signet closed loop, the bare
// handler closed loop, Signet open loop at half of that round's rate.
type GetRound struct {
	Round                         int
	Get, Bare, Half, HalfBare     Measurement
	HasBare, HasHalf, HasHalfBare bool
}

// Ratio is Signet's GET throughput over the bare handler's.
func (g GetRound) Ratio() float64 {
	if !g.HasBare || g.Bare.Summary.Rate() <= 0 {
		return 0
	}
	return g.Get.Summary.Rate() / g.Bare.Summary.Rate()
}

// GetRounds are the GET rounds measured, in order.
func (d *DBReport) GetRounds() []GetRound {
	var out []GetRound
	for _, m := range d.Requests {
		if m.Key != KeyGet {
			continue
		}
		g := GetRound{Round: m.Round, Get: m}
		g.Bare, g.HasBare = d.measurementIn(KeyGetBare, m.Round)
		g.Half, g.HasHalf = d.measurementIn(KeyGetHalf, m.Round)
		g.HalfBare, g.HasHalfBare = d.measurementIn(KeyGetHalfBare, m.Round)
		out = append(out, g)
	}
	return out
}

// Median is the middle value of xs, the mean of the two middle ones for
// an even count; 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Target is one target of the issue, checked against a run.
type Target struct {
	Name     string
	Measured string
	Result   string // PASS, MISS, or n/a when not measured
}

// Targets checks the targets against what was measured.
func (d *DBReport) Targets() []Target {
	var out []Target
	na := func(name, why string) { out = append(out, Target{Name: name, Measured: why, Result: "n/a"}) }
	check := func(name, measured string, pass bool) {
		r := "MISS"
		if pass {
			r = "PASS"
		}
		out = append(out, Target{Name: name, Measured: measured, Result: r})
	}

	rounds := d.GetRounds()
	name := "GET /signing/{id} ≥ 50 % of a bare net/http handler's throughput (median of the rounds)"
	var ratios []float64
	var each []string
	getErrors := false
	for _, g := range rounds {
		if g.HasBare && g.Bare.Summary.Rate() > 0 {
			ratios = append(ratios, g.Ratio())
			each = append(each, fmt.Sprintf("%s = %s / %s", formatPct(g.Ratio()), formatRate(g.Get.Summary.Rate()), formatRate(g.Bare.Summary.Rate())))
			getErrors = getErrors || g.Get.Summary.Errors > 0
		}
	}
	if len(ratios) > 0 {
		med := Median(ratios)
		measured := fmt.Sprintf("%s, median of %d %s (%s req/s)", formatPct(med), len(ratios), plural(len(ratios), "round"), strings.Join(each, "; "))
		if getErrors {
			measured += "; some GETs failed"
		}
		check(name, measured, med >= TargetGetRatio && !getErrors)
	} else {
		na(name, "not measured")
	}

	name = "GET /signing/{id} p99 ≤ 5 ms at half of Signet's max GET throughput (median of the rounds)"
	var p99s, floors []float64
	each = nil
	bad, offered := 0, 0.0
	for _, g := range rounds {
		if h := g.Half; g.HasHalf && h.Summary.OK > 0 {
			p99s = append(p99s, float64(h.Summary.P99))
			each = append(each, formatDur(h.Summary.P99))
			bad += int(h.Summary.Errors + h.Summary.Dropped)
			offered += float64(h.Offered) / h.Summary.Elapsed.Seconds()
		}
		if f := g.HalfBare.Summary; g.HasHalfBare && f.OK > 0 {
			floors = append(floors, float64(f.P99))
		}
	}
	if len(p99s) > 0 {
		med := time.Duration(Median(p99s))
		measured := fmt.Sprintf("p99 %s, median of %d %s (%s) at %s req/s offered on average", formatDur(med), len(p99s), plural(len(p99s), "round"),
			strings.Join(each, ", "), formatRate(offered/float64(len(p99s))))
		if len(floors) > 0 {
			measured += fmt.Sprintf("; the bare handler at the same rates: p99 %s (median)", formatDur(time.Duration(Median(floors))))
		}
		if bad > 0 {
			measured += fmt.Sprintf(" (%s failed or not sent)", formatInt(bad))
		}
		check(name, measured, med <= TargetGetHalfP99 && bad == 0)
	} else {
		na(name, "not measured")
	}

	name = "POST /signing (100 KB PDF, provider local) ≥ 40 % of a raw single-row insert"
	post, okPost := d.Measurement(KeyPost)
	raw, okRaw := d.Measurement(KeyPostRaw)
	if okPost && okRaw && raw.Summary.Rate() > 0 {
		ratio := post.Summary.Rate() / raw.Summary.Rate()
		measured := fmt.Sprintf("%s (%s vs %s /s)", formatPct(ratio), formatRate(post.Summary.Rate()), formatRate(raw.Summary.Rate()))
		if sbx, ok := d.Measurement(KeyPostSbx); ok {
			measured += fmt.Sprintf("; signzy sandbox beside it: %s (%s /s)", formatPct(sbx.Summary.Rate()/raw.Summary.Rate()), formatRate(sbx.Summary.Rate()))
		}
		check(name, measured, ratio >= TargetPostRatio && post.Summary.Errors == 0)
	} else {
		na(name, "not measured")
	}

	name = "webhook deliveries ≥ 2,000/s (backlog drain)"
	lagName := "webhook lag p99 < 500 ms at 500 events/s"
	if w := d.Webhooks; w != nil {
		if w.Drain.Delivered >= 2 {
			measured := fmt.Sprintf("%s/s (%s deliveries in %s)", formatRate(w.Drain.Rate()), formatInt(w.Drain.Delivered), formatDur(w.Drain.Span()))
			if w.Drain.Late > 0 {
				measured += fmt.Sprintf("; %s more arrived late", formatInt(w.Drain.Late))
			}
			if lost := w.Expected - w.Drain.Delivered - w.Drain.Late; lost > 0 {
				measured += fmt.Sprintf("; %s never arrived", formatInt(lost))
			}
			check(name, measured, w.Drain.Rate() >= TargetDeliveries)
		} else {
			na(name, "no backlog drained")
		}
		if w.Lag.OK > 0 {
			achieved := w.AchievedLagRate()
			measured := fmt.Sprintf("p99 %s at %s/s created", formatDur(w.Lag.P99), formatRate(achieved))
			atRate := achieved >= lagRateAchievedMin*w.LagRate && w.LagRate >= TargetLagRate
			switch {
			case w.LagRate < TargetLagRate:
				measured += fmt.Sprintf(" (--lag-rate %s: below the target's 500/s)", formatRate(w.LagRate))
			case !atRate:
				measured += fmt.Sprintf(" (below the %s/s asked for)", formatRate(w.LagRate))
			}
			if lost := w.LagExpected - w.LagDelivered; lost > 0 {
				measured += fmt.Sprintf("; %s events not delivered", formatInt(lost))
			}
			check(lagName, measured, atRate && w.Lag.P99 < TargetLagP99 && w.LagDelivered >= w.LagExpected)
		} else {
			na(lagName, "no events delivered")
		}
	} else {
		na(name, "not measured")
		na(lagName, "not measured")
	}

	name = "healthy webhook endpoint's lag p99 < 500 ms at 200 events/s while another endpoint of the tenant hangs"
	if h := d.HOL; h == nil {
		na(name, "not measured")
	} else if h.Lag.OK == 0 {
		na(name, "no events delivered to the healthy endpoint")
	} else {
		achieved := h.Creates.Rate()
		atRate := h.Rate >= TargetHOLRate && achieved >= lagRateAchievedMin*h.Rate
		measured := fmt.Sprintf("p99 %s at %s/s created; %s hung attempts", formatDur(h.Lag.P99), formatRate(achieved), formatInt(h.HungAttempts))
		if !atRate {
			measured += fmt.Sprintf(" (below the %s/s asked for)", formatRate(h.Rate))
		}
		if lost := h.Expected - h.Delivered; lost > 0 {
			measured += fmt.Sprintf("; %s events not delivered within %s", formatInt(lost), h.Wait)
		}
		check(name, measured, atRate && h.Lag.P99 < TargetHOLP99 && h.Delivered >= h.Expected)
	}

	for _, ut := range UploadTargets {
		name := fmt.Sprintf("peak RSS < %s with %d concurrent creates of %s PDFs", wholeMB(ut.MaxRSS), TargetUploads, wholeMB(int64(ut.PDFBytes)))
		i := slices.IndexFunc(d.Uploads, func(u UploadResult) bool { return u.PDFBytes == ut.PDFBytes })
		if i < 0 || d.Uploads[i].Creates.OK == 0 {
			na(name, "not measured")
			continue
		}
		u := d.Uploads[i]
		measured := fmt.Sprintf("%s peak over %d %s (%s creates, %s answered 503 and retried)", formatMB(u.Peak()), u.Rounds, plural(u.Rounds, "round"),
			formatInt(u.Creates.OK), formatInt(u.Deferred))
		if u.Creates.Errors > 0 {
			measured += fmt.Sprintf("; %s failed", formatInt(int(u.Creates.Errors)))
		}
		check(name, measured, u.Peak() < ut.MaxRSS && u.Creates.Errors == 0 && u.Concurrent >= TargetUploads)
	}

	name = "peak RSS < 150 MB with 1,000 slow keep-alive connections"
	if m := d.Memory; m != nil && m.HWM > 0 {
		peak := max(m.HWM, m.PeakRSS)
		measured := fmt.Sprintf("%s peak (VmHWM) with %s connections", formatMB(peak), formatInt(m.Opened))
		check(name, measured, peak < TargetRSS && m.Opened >= min(m.Conns, TargetRSSConns) && m.Conns >= TargetRSSConns)
	} else {
		na(name, "not measured")
	}
	return out
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Signet benchmark\n\n")
	p("Command: `%s`  \n", r.Command)
	p("Run: %s, took %s. Each measurement ran for %s; closed-loop runs used %d concurrent workers.\n\n",
		r.Started.UTC().Format(time.RFC3339), r.Finished.Sub(r.Started).Round(time.Second), r.Duration, r.Concurrency)

	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n", r.Machine.CPU)
	p("| cores | %d (GOMAXPROCS %d) |\n", r.Machine.Cores, r.Machine.GOMAXPROCS)
	p("| RAM | %s |\n", formatBytes(r.Machine.MemTotal))
	p("| Go | %s |\n", r.Machine.GoVersion)
	p("| OS | %s |\n", r.Machine.OS)
	p("| open files (bench) | %d |\n", r.Machine.FileLimit)
	p("| load average (1/5/15 min) | %s at the start; %s at the end (including this run's own load) |\n\n", r.LoadBefore, r.LoadAfter)
	p("Signet, the baselines and the load generator share this machine: every number below includes the generator's own CPU use, for Signet and its baselines alike.\n\n")
	if busy(r.LoadBefore) {
		p("**Warning: other work was running on this machine** (load average %s when the run started, on %d cores). Absolute numbers and latency tails are unreliable; the per-phase CPU table below shows how much of the machine Signet and the generator actually got. Repeat on a quiet machine before judging a target.\n\n",
			strings.Fields(r.LoadBefore + " ?")[0], r.Machine.Cores)
	}

	for _, d := range r.Databases {
		p("## %s\n\n", d.Name)
		p("Database: `%s`\n\n", d.Database)
		if d.Skipped != "" {
			p("**Not measured:** %s\n\n", oneLine(d.Skipped))
			continue
		}
		p("### Targets\n\n")
		p("| target | measured | result |\n|---|---|---|\n")
		for _, t := range d.Targets() {
			p("| %s | %s | %s |\n", t.Name, t.Measured, resultCell(t.Result))
		}
		p("\n")

		if len(d.Requests) > 0 {
			p("### Requests\n\n")
			p("| measurement | load | requests | req/s | p50 | p90 | p99 | max | errors | vs baseline |\n")
			p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, m := range d.Requests {
				s := m.Summary
				p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", m.Name, m.Load, formatInt(s.OK), formatRate(s.Rate()),
					formatDur(s.P50), formatDur(s.P90), formatDur(s.P99), formatDur(s.Max), errorsCell(s), d.ratioCell(m))
			}
			p("\n")
			for _, m := range d.Requests {
				if m.Summary.FirstError != "" {
					p("- first error of %s: `%s`\n", m.Name, oneLine(m.Summary.FirstError))
				}
			}
			p("\n")
		}

		if rounds := d.GetRounds(); len(rounds) > 1 {
			p("### GET rounds\n\n")
			p("Each round runs Signet's GET closed loop, then the bare handler's, then Signet's open loop at half of that round's GET rate, then the bare handler's open loop at that same rate (the floor the machine and the generator put under the p99); the targets are judged on the medians.\n\n")
			p("| round | GET req/s | bare handler req/s | GET / bare | half load offered | half load p50 | half load p99 | half load failed or not sent | bare handler p99 at that rate |\n")
			p("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			var ratios, p99s, floors []float64
			for _, g := range rounds {
				half, p50, p99, bad, floor := "–", "–", "–", "–", "–"
				if h := g.Half.Summary; g.HasHalf {
					half = formatRate(float64(g.Half.Offered)/h.Elapsed.Seconds()) + "/s"
					p50, p99, bad = formatDur(h.P50), formatDur(h.P99), formatInt(int(h.Errors+h.Dropped))
					p99s = append(p99s, float64(h.P99))
				}
				if f := g.HalfBare.Summary; g.HasHalfBare {
					floor = formatDur(f.P99)
					floors = append(floors, float64(f.P99))
				}
				ratio := "–"
				if g.HasBare {
					ratio = formatPct(g.Ratio())
					ratios = append(ratios, g.Ratio())
				}
				p("| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Round, formatRate(g.Get.Summary.Rate()), formatRate(g.Bare.Summary.Rate()), ratio, half, p50, p99, bad, floor)
			}
			p("| **median** | | | **%s** | | | **%s** | | %s |\n\n", formatPct(Median(ratios)), formatDur(time.Duration(Median(p99s))), formatDur(time.Duration(Median(floors))))
		}

		if w := d.Webhooks; w != nil {
			p("### Webhooks\n\n")
			p("| measurement | value |\n|---|---|\n")
			p("| drain: endpoints | %d |\n", w.Endpoints)
			p("| drain: backlog | %s deliveries (%s sessions × %d endpoints), every one refused with 503 at least once%s |\n",
				formatInt(w.Expected), formatInt(w.Sessions), w.Endpoints, cond(!w.BacklogReady, " (not all were tried before the switch)", ""))
			p("| drain: attempts refused while the backlog built | %s |\n", formatInt(w.RefusedAttempts))
			p("| drain: server ready → first success | %s |\n", formatDur(w.FirstAfterStart))
			p("| drain: delivered | %s of %s in %s |\n", formatInt(w.Drain.Delivered), formatInt(w.Expected), formatDur(w.Drain.Span()))
			if w.Drain.Late > 0 {
				p("| drain: delivered late | %s, after a pause of ≥ %s; the last %s after the burst ended |\n",
					formatInt(w.Drain.Late), StragglerGap, formatDur(w.Drain.LastLate.Sub(w.Drain.Last)))
			}
			if lost := w.Expected - w.Drain.Delivered - w.Drain.Late; lost > 0 {
				p("| **drain: never delivered** | **%s** (nothing arrived for %s) |\n", formatInt(lost), stallTimeout)
			}
			p("| **drain: deliveries/s** | **%s** |\n", formatRate(w.Drain.Rate()))
			if w.LagOffered > 0 {
				openLoopRows(p, "lag: ", w.LagRate, w.LagOffered, w.LagCreates)
				p("| lag: signing.created delivered | %s of %s%s |\n", formatInt(w.LagDelivered), formatInt(w.LagExpected),
					cond(w.LagDelivered < w.LagExpected, fmt.Sprintf(" (the rest did not arrive: nothing came for %s)", stallTimeout), ""))
				lagRow(p, "lag: event timestamp → arrival", w.Lag)
			}
			if len(w.TypeCounts) > 0 {
				var types []string
				for t := range w.TypeCounts {
					types = append(types, t)
				}
				slices.Sort(types)
				var parts []string
				for _, t := range types {
					parts = append(parts, fmt.Sprintf("%s %s", t, formatInt(w.TypeCounts[t])))
				}
				p("| events delivered, by type (both runs) | %s |\n", strings.Join(parts, ", "))
			}
			p("\n")
		}

		if h := d.HOL; h != nil {
			p("### Webhook head-of-line\n\n")
			p("| measurement | value |\n|---|---|\n")
			openLoopRows(p, "", h.Rate, h.Offered, h.Creates)
			p("| hanging endpoint: attempts seen | %s (%s distinct deliveries) |\n", formatInt(h.HungAttempts), formatInt(h.HungDeliveries))
			p("| healthy endpoint: signing.created delivered | %s of %s%s |\n", formatInt(h.Delivered), formatInt(h.Expected),
				cond(h.Delivered < h.Expected, fmt.Sprintf(" (the rest not within %s of the last create)", h.Wait), ""))
			lagRow(p, "healthy endpoint: event timestamp → arrival", h.Lag)
			p("\n")
		}

		if len(d.Uploads) > 0 {
			p("### Memory under large uploads\n\n" +
				"| PDF | request body | concurrent | rounds | created | 503, retried | failed | create p50 | create p99 | VmRSS before | **peak VmRSS** (samples) | VmHWM |\n" +
				"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, u := range d.Uploads {
				p("| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | **%s** (%d) | %s |\n", wholeMB(int64(u.PDFBytes)), formatMB(int64(u.BodyBytes)),
					u.Concurrent, u.Rounds, formatInt(u.Creates.OK), formatInt(u.Deferred), formatInt(int(u.Creates.Errors)),
					formatDur(u.Creates.P50), formatDur(u.Creates.P99), formatMB(u.IdleRSS), formatMB(u.PeakRSS), u.Samples, formatMB(u.HWM))
			}
			p("\n")
			for _, u := range d.Uploads {
				if u.Creates.FirstError != "" {
					p("- first failed create with %s PDFs: `%s`\n", wholeMB(int64(u.PDFBytes)), oneLine(u.Creates.FirstError))
				}
			}
			p("\n")
		}

		if m := d.Memory; m != nil {
			p("### Memory (RSS)\n\n")
			p("| measurement | value |\n|---|---|\n")
			p("| connections | %s opened of %s, each a keep-alive connection doing one GET /signing/{id} every %s, held %s |\n",
				formatInt(m.Opened), formatInt(m.Conns), m.Interval, m.Held)
			p("| slow GETs | %s ok (%s/s), p99 %s, %s errors |\n", formatInt(m.Requests.OK), formatRate(m.Requests.Rate()),
				formatDur(m.Requests.P99), formatInt(int(m.Requests.Errors)))
			p("| server VmRSS before | %s |\n", formatMB(m.IdleRSS))
			p("| server VmRSS peak while held (%d samples) | %s |\n", m.SampledAt, formatMB(m.PeakRSS))
			p("| **server VmHWM (peak RSS)** | **%s** |\n\n", formatMB(m.HWM))
			if m.Requests.FirstError != "" {
				p("- first error of the slow GETs: `%s`\n\n", oneLine(m.Requests.FirstError))
			}
		}

		if len(d.Phases) > 0 {
			p("### Server processes\n\n")
			p("Each phase ran against a fresh `signet serve` process on the same database. CPU is user + system time over the process's life from ready to stop; cores busy is that over the wall time (the machine has %d).\n\n", r.Machine.Cores)
			p("| phase | wall | server CPU | server cores busy | bench CPU | bench cores busy | server peak RSS (VmHWM) | note |\n|---|---:|---:|---:|---:|---:|---:|---|\n")
			for _, ph := range d.Phases {
				p("| %s | %.1f s | %.1f s | %s | %.1f s | %s | %s | %s |\n", ph.Phase, ph.Wall.Seconds(), ph.CPU.Seconds(), cores(ph.CPU, ph.Wall),
					ph.BenchCPU.Seconds(), cores(ph.BenchCPU, ph.Wall), formatMB(ph.PeakRSS), ph.Note)
			}
			p("\n")
		}
		if len(d.Profiles) > 0 {
			p("CPU profiles: %s\n\n", strings.Join(d.Profiles, ", "))
		}
		if len(d.Failures) > 0 {
			p("### Failures\n\n")
			for _, f := range d.Failures {
				p("- %s\n", oneLine(f))
			}
			p("\n")
		}
	}
	if len(r.Notes) > 0 {
		p("## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
		p("\n")
	}
	return b.String()
}

// openLoopRows are the rows of the creates of an open-loop webhook run.
func openLoopRows(p func(string, ...any), prefix string, rate float64, offered int, c Summary) {
	p("| %ssessions offered / created | %s offered at %s/s; %s created (%s/s achieved), %s failed, %s not sent (the server was over 1 s behind) |\n",
		prefix, formatInt(offered), formatRate(rate), formatInt(c.OK), formatRate(c.Rate()), formatInt(int(c.Errors)), formatInt(int(c.Dropped)))
	if c.FirstError != "" {
		p("| %sfirst failed create | `%s` |\n", prefix, oneLine(c.FirstError))
	}
	p("| %sPOST /signing latency (from its due time) | p50 %s, p99 %s |\n", prefix, formatDur(c.P50), formatDur(c.P99))
}

// lagRow is the bold row of a delivery-lag distribution.
func lagRow(p func(string, ...any), label string, lag Summary) {
	p("| **%s** | **p50 %s, p90 %s, p99 %s, max %s** |\n", label, formatDur(lag.P50), formatDur(lag.P90), formatDur(lag.P99), formatDur(lag.Max))
}

// busy reports whether a 1-minute load average taken before the run says
// other work was running: anything over 0.5 is someone else's.
func busy(load string) bool {
	f := strings.Fields(load)
	if len(f) == 0 {
		return false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return err == nil && v > 0.5
}

// ratioCell is a row's throughput relative to its baseline (of the same
// round).
func (d *DBReport) ratioCell(m Measurement) string {
	base := map[string]string{KeyGet: KeyGetBare, KeyPost: KeyPostRaw, KeyPostSbx: KeyPostRaw}[m.Key]
	if base == "" {
		return ""
	}
	b, ok := d.measurementIn(base, m.Round)
	if !ok || b.Summary.Rate() == 0 {
		return ""
	}
	return formatPct(m.Summary.Rate() / b.Summary.Rate())
}

func errorsCell(s Summary) string {
	if s.Dropped > 0 {
		return fmt.Sprintf("%s + %s not sent", formatInt(int(s.Errors)), formatInt(int(s.Dropped)))
	}
	return formatInt(int(s.Errors))
}

func resultCell(r string) string {
	if r == "PASS" || r == "MISS" {
		return "**" + r + "**"
	}
	return r
}

// plural is word for n of them: "1 round", "3 rounds".
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func cond(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// oneLine keeps a message inside a table cell or list item.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// formatInt writes n with thousands separators: 12,345.
func formatInt(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatRate writes a rate: one decimal below 100, whole numbers above.
func formatRate(r float64) string {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return "–"
	case r < 100:
		return fmt.Sprintf("%.1f", r)
	}
	return formatInt(int(math.Round(r)))
}

// formatDur writes a latency in milliseconds with about three significant
// digits, or seconds from 10 s up.
func formatDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d == 0:
		return "0"
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case ms < 1:
		return fmt.Sprintf("%.3f ms", ms)
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

func formatPct(r float64) string { return fmt.Sprintf("%.0f %%", r*100) }

// formatMB writes bytes in MB (2^20 bytes), as the RSS target is stated.
func formatMB(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// wholeMB writes a size that is a whole number of MB without decimals.
func wholeMB(b int64) string {
	if b%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", b>>20)
	}
	return formatMB(b)
}

func formatBytes(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}
