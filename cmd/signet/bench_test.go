package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBenchBinary runs a very short `signet bench` through the built
// binary, as a user would: every phase must run and report a non-zero
// throughput. It asserts nothing about speed.
func TestBenchBinary(t *testing.T) {
	if os.Getenv(databaseEnv) != "" {
		t.Skip("runs once, in the main run: the bench makes its own databases")
	}
	t.Parallel()
	bin := signetBinary(t)
	out := filepath.Join(t.TempDir(), "report.md")
	cmd, lines := startBinary(t, bin, "bench", "--database", "sqlite", "--duration", "300ms", "--concurrency", "4", "--out", out)
	var mu sync.Mutex
	var progress []string
	done := make(chan struct{})
	go func() {
		for l := range lines {
			mu.Lock()
			progress = append(progress, l)
			mu.Unlock()
		}
		close(done)
	}()
	soFar := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(progress, "\n")
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		<-done
		if err != nil {
			t.Fatalf("signet bench: %v\n%s", err, soFar())
		}
	case <-time.After(4 * time.Minute):
		cmd.Process.Kill()
		<-waitErr // this test's Wait, not the cleanup's, reaps it
		t.Fatalf("signet bench still running after 4 minutes\n%s", soFar())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	t.Log(report)

	for _, section := range []string{"# Signet benchmark", "## Machine", "| CPU |", "| Go | go", "## SQLite", "### Targets",
		"### Requests", "### GET rounds", "### Webhooks", "### Webhook head-of-line", "### Memory under large uploads", "### Memory (RSS)", "### Server processes", "## Notes",
		"Command: `signet bench --database sqlite --duration 300ms --concurrency 4 --out "} {
		if !strings.Contains(report, section) {
			t.Errorf("report lacks %q", section)
		}
	}
	if strings.Contains(report, "### Failures") || strings.Contains(report, "Not measured") {
		t.Errorf("a phase failed:\n%s", report)
	}
	// Every target was measured (PASS or MISS, whichever: no speed is asserted).
	targets := 0
	for _, line := range strings.Split(report, "\n") {
		if strings.HasSuffix(line, "| **PASS** |") || strings.HasSuffix(line, "| **MISS** |") {
			targets++
		}
	}
	if targets != 9 {
		t.Errorf("%d targets measured, want 9", targets)
	}

	// Each request row: requests/s is the fourth cell and must be > 0.
	var rows []string
	for round := 1; round <= 3; round++ {
		rows = append(rows, fmt.Sprintf("GET /signing/{id}, round %d", round), fmt.Sprintf("GET /signing/{id} at half of its max, round %d", round),
			fmt.Sprintf("baseline: bare net/http handler, same JSON bytes, round %d", round))
	}
	for _, row := range append(rows, "GET /signing?limit=20", "POST /signing, provider local (100 KB PDF)",
		"POST /signing, provider signzy, sandbox (100 KB PDF)", "baseline: raw SQLite insert of the same row") {
		cells := tableRow(report, row)
		if len(cells) < 4 {
			t.Errorf("no row %q", row)
			continue
		}
		if rate := number(cells[3]); rate <= 0 {
			t.Errorf("%s: %q requests/s", row, cells[3])
		}
	}
	for row, cell := range map[string]int{"**drain: deliveries/s**": 1, "lag: signing.created delivered": 1, "**server VmHWM (peak RSS)**": 1, "slow GETs": 1,
		"healthy endpoint: signing.created delivered": 1, "1 MB": 4, "10 MB": 4, "**median**": 3} {
		cells := tableRow(report, row)
		if len(cells) <= cell || number(cells[cell]) <= 0 {
			t.Errorf("%s: %v", row, cells)
		}
	}
}

// tableRow is the cells of the Markdown table row whose first cell is
// first (exactly), or nil.
func tableRow(report, first string) []string {
	for _, line := range strings.Split(report, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == first {
			return cells
		}
	}
	return nil
}

// number reads the leading number of a cell such as "**2,345**", "4.5 ms"
// or "1,000 of 1,000"; 0 if there is none.
func number(cell string) float64 {
	cell = strings.TrimLeft(cell, "*")
	end := 0
	for end < len(cell) && strings.ContainsRune("0123456789.,", rune(cell[end])) {
		end++
	}
	f, _ := strconv.ParseFloat(strings.ReplaceAll(cell[:end], ",", ""), 64)
	return f
}
