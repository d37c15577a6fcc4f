package simkit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// Callback is one callback (or webhook) a simulator sends.
type Callback struct {
	URL    string
	Header http.Header // sent as is, with Content-Type application/json
	Body   []byte
	// Done, if set, is told the outcome of every attempt: ok when it was
	// answered 2xx.
	Done func(ok bool)
}

// Notifier sends a simulator's callbacks: each at once, and one that is
// not answered 2xx again in the background, after each wait of Retries in
// turn, until it is, the waits run out or the Notifier is closed.
type Notifier struct {
	client  *http.Client
	timeout time.Duration
	retries []time.Duration

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // background re-sends
}

// NewNotifier returns a Notifier sending with client (one with no timeout
// of its own is fine), each attempt bounded by timeout, re-sending after
// the waits of retries (none if empty).
func NewNotifier(client *http.Client, timeout time.Duration, retries []time.Duration) *Notifier {
	if client == nil {
		client = &http.Client{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Notifier{client: client, timeout: timeout, retries: retries, ctx: ctx, cancel: cancel}
}

// Send sends each callback once, now, and leaves those that failed to the
// background re-sends. Call it without holding a lock the receiver's
// answer may need: the receiver (Signet) typically asks the simulator for
// the state before it answers.
func (n *Notifier) Send(cbs ...Callback) {
	for _, cb := range cbs {
		if n.send(cb) || len(n.retries) == 0 {
			continue
		}
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			continue
		}
		n.wg.Add(1)
		n.mu.Unlock()
		go n.resend(cb)
	}
}

// Close stops the background re-sends and waits for them to end. A
// closed Notifier sends nothing more.
func (n *Notifier) Close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
	return nil
}

func (n *Notifier) resend(cb Callback) {
	defer n.wg.Done()
	for _, wait := range n.retries {
		t := time.NewTimer(wait)
		select {
		case <-n.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if n.send(cb) {
			return
		}
	}
}

// send POSTs cb once and reports whether it was answered 2xx.
func (n *Notifier) send(cb Callback) bool {
	ok := n.post(cb)
	if cb.Done != nil {
		cb.Done(ok)
	}
	return ok
}

func (n *Notifier) post(cb Callback) bool {
	ctx, cancel := n.ctx, context.CancelFunc(func() {})
	if n.timeout > 0 {
		ctx, cancel = context.WithTimeout(n.ctx, n.timeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb.URL, bytes.NewReader(cb.Body))
	if err != nil {
		return false
	}
	for k, vs := range cb.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}
