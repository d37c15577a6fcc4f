package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Machine describes where a run took place.
type Machine struct {
	CPU        string
	Cores      int
	GOMAXPROCS int
	MemTotal   int64 // bytes
	GoVersion  string
	OS         string
	FileLimit  uint64
}

// DescribeMachine reads the CPU model, the memory and the OS release.
func DescribeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		CPU: "unknown", OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if fs := strings.Fields(v); len(fs) == 2 {
					kb, _ := strconv.ParseInt(fs[0], 10, 64)
					m.MemTotal = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	var parts []string
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				parts = append(parts, strings.Trim(v, `"`))
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		parts = append(parts, "Linux "+utsString(u.Release[:]))
	}
	parts = append(parts, runtime.GOOS+"/"+runtime.GOARCH)
	m.OS = strings.Join(parts, ", ")
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		m.FileLimit = lim.Cur
	}
	return m
}

func utsString[T int8 | uint8](b []T) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

// String is one line for logs.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s RAM, %s, %s", m.CPU, m.Cores, formatBytes(m.MemTotal), m.GoVersion, m.OS)
}
