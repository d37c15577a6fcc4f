package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// HoldOptions configures HoldConns.
type HoldOptions struct {
	Addr     string // host:port
	Key      string // X-API-Key
	Conns    int
	Interval time.Duration // between one connection's requests
	Ramp     time.Duration // the connections are opened evenly over this
	Hold     time.Duration // how long every connection keeps going once all are open
	Path     func(conn, request int) string
}

// HoldResult says how many connections were open at once and how their
// requests went.
type HoldResult struct {
	Opened  int // the most connections open at the same time
	Summary Summary
}

// HoldConns opens o.Conns separate TCP connections to o.Addr and keeps each
// alive by sending one HTTP/1.1 GET every o.Interval on it, as many slow
// clients would. It writes requests and reads answers by hand so that each
// goroutine owns exactly one connection (an http.Transport would share
// and reuse a few). onOpen, if set, is called once all connections have
// been opened (or failed to).
func HoldConns(ctx context.Context, o HoldOptions, onOpen func()) HoldResult {
	o.Conns = max(o.Conns, 1)
	var open, peak atomic.Int64
	recs := make([]Recorder, o.Conns)
	start := time.Now()
	end := start.Add(o.Ramp + o.Hold)
	var opened sync.WaitGroup
	opened.Add(o.Conns)
	var wg sync.WaitGroup
	for i := range o.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := &recs[i]
			// Spread the dials over the ramp, and the requests over the interval.
			at := start.Add(time.Duration(int64(o.Ramp) * int64(i) / int64(o.Conns)))
			sleepUntil(ctx, at)
			var d net.Dialer
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			conn, err := d.DialContext(dctx, "tcp", o.Addr)
			cancel()
			opened.Done()
			if err != nil {
				rec.Error(err)
				return
			}
			for n := open.Add(1); ; {
				if p := peak.Load(); n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			defer func() { conn.Close(); open.Add(-1) }()
			br := bufio.NewReader(conn)
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				if err := slowGet(conn, br, o.Addr, o.Key, o.Path(i, n)); err != nil {
					rec.Error(err)
					return // the server closed it, or it broke: it no longer counts as open
				}
				rec.Record(time.Since(t0))
				sleepUntil(ctx, t0.Add(o.Interval))
			}
		}()
	}
	announced := make(chan struct{})
	go func() {
		defer close(announced)
		opened.Wait()
		if onOpen != nil {
			onOpen()
		}
	}()
	wg.Wait()
	<-announced // the caller's onOpen has returned before we report
	var all Recorder
	for i := range recs {
		all.Merge(&recs[i])
	}
	return HoldResult{Opened: int(peak.Load()), Summary: all.Summarize(time.Since(start))}
}

// slowGet makes one GET on an open connection and reads the answer.
func slowGet(conn net.Conn, br *bufio.Reader, host, key, path string) error {
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\nUser-Agent: signet-bench\r\n\r\n", path, host, key); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Method: "GET", Path: path, Status: resp.StatusCode}
	}
	if resp.Close {
		return fmt.Errorf("GET %s: the server closed the connection", path)
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}
