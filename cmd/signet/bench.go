package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/bench"
)

const benchUsage = `usage: signet bench [flags]

Measures this binary's server against baselines run on the same machine in
the same run, and prints a Markdown report (also written to --out).

  --database sqlite|postgres://…|both   databases to measure (both: sqlite and --postgres)
  --postgres URL                        the PostgreSQL database of "both" (SIGNET_BENCH_POSTGRES)
  --duration 10s                        length of each measurement
  --concurrency 32                      workers of the closed-loop runs
  --only PHASES                         run only these of get,list,post,upload,webhooks,hol,rss
  --out FILE.md                         also write the report here
  --rss-conns 1000                      slow keep-alive connections of the rss phase
  --lag-rate 500                        sessions/s of the webhook lag run (the target is checked at 500)
  --cpuprofile DIR                      the servers write a CPU profile and an allocations profile (.allocs.pprof) of each phase to DIR
`

// benchCmd is `signet bench`, and its hidden helpers: `bench
// baseline-server` (the GET baseline) and `bench profile-serve` (serve
// under a CPU profile).
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "baseline-server":
			return benchBaselineServer(ctx, args[1:], stderr)
		case "profile-serve":
			return benchProfileServe(ctx, args[1:], getenv, stderr)
		}
	}
	fs := flag.NewFlagSet("signet bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage) }
	database := fs.String("database", "sqlite", "")
	postgres := fs.String("postgres", getenv("SIGNET_BENCH_POSTGRES"), "")
	duration := fs.Duration("duration", 10*time.Second, "")
	concurrency := fs.Int("concurrency", 32, "")
	only := fs.String("only", "", "")
	out := fs.String("out", "", "")
	rssConns := fs.Int("rss-conns", bench.TargetRSSConns, "")
	lagRate := fs.Float64("lag-rate", bench.TargetLagRate, "")
	profileDir := fs.String("cpuprofile", "", "")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *duration <= 0 || *concurrency < 1 || *rssConns < 1 || *lagRate <= 0 {
		return fmt.Errorf("%w: --duration, --concurrency, --rss-conns and --lag-rate must be positive", errUsage)
	}
	dbs, err := benchDatabases(*database, *postgres)
	if err != nil {
		return err
	}
	var phases []string
	if *only != "" {
		for _, p := range strings.Split(*only, ",") {
			p = strings.TrimSpace(p)
			if !slices.Contains(bench.Phases, p) {
				return fmt.Errorf("%w: --only: unknown phase %q (want some of %s)", errUsage, p, strings.Join(bench.Phases, ","))
			}
			phases = append(phases, p)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	report, err := bench.Run(ctx, bench.Options{
		Exe: exe, Databases: dbs, Duration: *duration, Concurrency: *concurrency, Only: phases,
		Command: benchCommandLine(args), ProfileDir: *profileDir, RSSConns: *rssConns, LagRate: *lagRate, Progress: stderr,
	})
	if report == nil {
		return err
	}
	md := report.Markdown()
	if _, werr := io.WriteString(stdout, md); werr != nil && err == nil {
		err = werr
	}
	if *out != "" {
		if werr := os.WriteFile(*out, []byte(md), 0o644); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// benchDatabases reads --database: sqlite, a postgres:// URL, both, or a
// comma-separated list of these.
func benchDatabases(spec, postgres string) ([]string, error) {
	var out []string
	for _, d := range strings.Split(spec, ",") {
		switch d = strings.TrimSpace(d); {
		case d == "sqlite":
			out = append(out, d)
		case d == "both":
			if postgres == "" {
				return nil, fmt.Errorf("%w: --database both needs --postgres URL (or SIGNET_BENCH_POSTGRES)", errUsage)
			}
			out = append(out, "sqlite", postgres)
		case d == "postgres" && postgres != "":
			out = append(out, postgres)
		case strings.HasPrefix(d, "postgres://"), strings.HasPrefix(d, "postgresql://"):
			out = append(out, d)
		default:
			return nil, fmt.Errorf("%w: --database: want sqlite, postgres://…, or both; got %q", errUsage, redactDSN(d))
		}
	}
	return slices.Compact(out), nil
}

// benchCommandLine is the command as typed, with database passwords hidden.
func benchCommandLine(args []string) string {
	parts := []string{"signet", "bench"}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && strings.Contains(v, "://") {
			a = k + "=" + redactDSN(v)
		} else if strings.Contains(a, "://") {
			a = redactDSN(a)
		}
		if a == "" || strings.ContainsAny(a, " \t'\"$&;|<>*?()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// benchBaselineServer serves the bare GET baseline until interrupted.
func benchBaselineServer(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("signet bench baseline-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	bodyFile := fs.String("body", "", "file with the JSON to answer every GET /signing/{id} with")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *bodyFile == "" {
		return fmt.Errorf("%w: --body is required", errUsage)
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	return bench.ServeBaseline(ctx, *addr, body)
}

// benchProfileServe runs `signet serve` with the arguments after "--"
// under a CPU profile written to --cpuprofile when it shuts down, and
// writes the allocations profile to --memprofile then, if given.
func benchProfileServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("signet bench profile-serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("cpuprofile", "", "CPU profile file")
	memFile := fs.String("memprofile", "", "allocations profile file (optional)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	rest := fs.Args()
	if *file == "" || len(rest) == 0 || rest[0] != "serve" {
		return fmt.Errorf("%w: want --cpuprofile FILE -- serve [flags]", errUsage)
	}
	f, err := os.Create(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := NewMain(rest[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	stopPacing := m.paceGC(getenv) // as `signet serve` does, so the profile is of the same server
	err = m.Run(ctx)
	stopPacing()
	pprof.StopCPUProfile()
	if *memFile != "" {
		err = errors.Join(err, writeAllocs(*memFile))
	}
	return errors.Join(err, m.Close())
}

// writeAllocs writes the profile of every allocation sampled since the
// process started.
func writeAllocs(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
}
