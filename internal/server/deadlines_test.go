package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// slowServer serves a handler that reads the whole body and answers with
// its length (or 400 when reading failed), behind the moving deadlines,
// scaled down so that the test takes seconds.
func slowServer(t *testing.T) string {
	t.Helper()
	s := &Server{cfg: Config{BodyIdle: 400 * time.Millisecond, BodyGrace: 600 * time.Millisecond, MinBodyRate: 2000, WriteIdle: time.Second}}
	h := s.deadlines(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := readBody(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d", len(b))
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// send writes a request whose body of n bytes is sent in chunks of size
// every gap, and returns the status line ("" when the connection closed).
func send(t *testing.T, addr string, n, chunk int, gap time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", n)
	for sent := 0; sent < n; sent += chunk {
		if _, err := c.Write([]byte(strings.Repeat("a", min(chunk, n-sent)))); err != nil {
			break // the server gave up on us
		}
		time.Sleep(gap)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestSlowBodyCompletes: a body arriving steadily, if slowly, is read to
// the end however long it takes in total (here 3 × the idle deadline).
func TestSlowBodyCompletes(t *testing.T) {
	addr := slowServer(t)
	if got := send(t, addr, 6000, 300, 60*time.Millisecond); got != "HTTP/1.1 200 OK" {
		t.Errorf("steady slow body: %q, want 200", got)
	}
}

// TestStalledAndTricklingBodies: a body that stops arriving, or trickles
// in below the minimum rate, is cut off: a 400 or a closed connection.
func TestStalledAndTricklingBodies(t *testing.T) {
	addr := slowServer(t)
	for name, c := range map[string]struct {
		chunk int
		gap   time.Duration
	}{
		"stalled":   {1000, 700 * time.Millisecond},
		"trickling": {10, 100 * time.Millisecond},
	} {
		got := send(t, addr, 4000, c.chunk, c.gap)
		if got != "" && !strings.HasPrefix(got, "HTTP/1.1 400") {
			t.Errorf("%s body: %q, want 400 or a closed connection", name, got)
		}
	}
}

// TestShortBody: a body shorter than its Content-Length is a 400.
func TestShortBody(t *testing.T) {
	addr := slowServer(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")
	c.(*net.TCPConn).CloseWrite()
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "HTTP/1.1 400") && line != "" {
		t.Errorf("short body: %q", line)
	}
	io.Copy(io.Discard, c)
}
