package bench

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tsignet\nVmPeak:\t 1000 kB\nVmHWM:\t   81920 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n"
	m, err := parseStatus(bufio.NewScanner(strings.NewReader(status)))
	if err != nil || m.RSS != 40<<20 || m.HWM != 80<<20 {
		t.Errorf("%+v, %v", m, err)
	}
	if _, err := parseStatus(bufio.NewScanner(strings.NewReader("Name: x\n"))); err == nil {
		t.Error("missing fields accepted")
	}
	if _, err := parseStatus(bufio.NewScanner(strings.NewReader("VmRSS: 12 MB\nVmHWM: 1 kB\n"))); err == nil {
		t.Error("unknown unit accepted")
	}
	self, err := ReadMemory(os.Getpid())
	if err != nil || self.RSS <= 0 || self.HWM < self.RSS {
		t.Errorf("own memory %+v, %v", self, err)
	}
}

func TestChildLifecycle(t *testing.T) {
	dir := t.TempDir()
	// A child that exits at once is reported with its output.
	c, err := StartChild("quitter", "/bin/sh", []string{"-c", "echo about to fail; exit 3"}, nil, filepath.Join(dir, "q.log"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.WaitReady(context.Background(), "http://127.0.0.1:1/readyz", 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "about to fail") {
		t.Errorf("WaitReady: %v", err)
	}
	// A long-running child stops on SIGTERM.
	c, err = StartChild("sleeper", "/bin/sh", []string{"-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"}, []string{"X=1"}, filepath.Join(dir, "s.log"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the shell install its trap
	if c.Exited() {
		t.Fatal("exited early")
	}
	if err := c.Stop(10 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if !c.Exited() {
		t.Error("still running after Stop")
	}
	out, err := RunChild(context.Background(), 10*time.Second, "/bin/sh", "-c", "echo key; echo noise >&2")
	if err != nil || out != "key\n" {
		t.Errorf("RunChild = %q, %v", out, err)
	}
	if _, err := RunChild(context.Background(), 10*time.Second, "/bin/sh", "-c", "echo 'bad flag' >&2; exit 2"); err == nil || err.Error() != "bad flag" {
		t.Errorf("RunChild failure: %v", err)
	}
	// A child that hangs is ended and reported.
	start := time.Now()
	_, err = RunChild(context.Background(), 200*time.Millisecond, "/bin/sh", "-c", "exec sleep 30")
	if err == nil || !strings.Contains(err.Error(), "did not finish within 200ms") || time.Since(start) > 20*time.Second {
		t.Errorf("hung child: %v after %v", err, time.Since(start))
	}
	dump := "SIGQUIT: quit\n\ngoroutine 1 gp=0x1 m=nil [select]:\nruntime.gopark(0x1)\n\t/go/proc.go:462\ndatabase/sql.(*DB).conn(0x2)\n\t/go/sql.go:1369\n\ngoroutine 2 [x]:\nother()\n"
	if got := stuckAt(dump); got != "runtime.gopark(0x1) ← database/sql.(*DB).conn(0x2)" {
		t.Errorf("stuckAt = %q", got)
	}
	if got := tailLines("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("tailLines = %q", got)
	}
}

func TestFreeAddrAndFileLimit(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil || !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Errorf("FreeAddr = %q, %v", addr, err)
	}
	if n, err := RaiseFileLimit(); err != nil || n == 0 {
		t.Errorf("RaiseFileLimit = %d, %v", n, err)
	}
	if m := DescribeMachine(); m.Cores < 1 || m.GoVersion == "" || m.OS == "" || m.CPU == "" {
		t.Errorf("machine %+v", m)
	}
}

func TestCPUAndLoad(t *testing.T) {
	stat := "4242 (signet (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 100 0 0"
	if d, err := parseStat(stat); err != nil || d != 3250*time.Millisecond {
		t.Errorf("parseStat = %v, %v; want 3.25s", d, err)
	}
	if _, err := parseStat("garbage"); err == nil {
		t.Error("garbage parsed")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn a little CPU so it is measurable
	}
	if d, err := ReadCPU(os.Getpid()); err != nil || d <= 0 {
		t.Errorf("ReadCPU(self) = %v, %v", d, err)
	}
	if SelfCPU() <= 0 {
		t.Error("SelfCPU is 0")
	}
	if l := LoadAverage(); len(strings.Fields(l)) != 3 {
		t.Errorf("LoadAverage = %q", l)
	}
}
