package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/signet-dev/signet/internal/signing"
)

// AttemptTimeout bounds one delivery attempt (CONTRACT.md §3).
const AttemptTimeout = 10 * time.Second

// Sender makes single delivery attempts.
type Sender struct {
	client  *http.Client
	now     func() time.Time
	timeout time.Duration
}

// NewSender returns a Sender whose connections pass guard, that never
// follows redirects (a 3xx is a failed attempt) and gives up after
// timeout (AttemptTimeout if zero).
func NewSender(guard Guard, now func() time.Time, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = AttemptTimeout
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: guard.Control}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		Proxy:                 nil, // a proxy would dial on our behalf, past the guard
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &Sender{
		client: &http.Client{
			Transport:     transport,
			Timeout:       timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now:     now,
		timeout: timeout,
	}
}

// Stalled reports whether a failed attempt held its worker for at least
// half the attempt timeout: a receiver that hangs, not one that refuses.
func (s *Sender) Stalled(a signing.Attempt) bool {
	return !a.Succeeded && time.Duration(a.DurationMs)*time.Millisecond >= s.timeout/2
}

// Send makes one attempt to deliver d and reports how it went.
func (s *Sender) Send(ctx context.Context, d signing.Delivery) signing.Attempt {
	start := time.Now()
	at := s.now().UTC()
	a := signing.Attempt{DeliveryID: d.ID, EndpointID: d.EndpointID, TenantID: d.TenantID, EventType: d.EventType,
		Attempt: d.Attempts + 1, AttemptedAt: at}
	status, err := s.post(ctx, d, at)
	a.DurationMs = time.Since(start).Milliseconds()
	a.ResponseStatus = status
	switch {
	case err != nil:
		a.Error = err.Error()
	case status < 200 || status > 299:
		a.Error = fmt.Sprintf("endpoint answered HTTP %d", status)
	default:
		a.Succeeded = true
	}
	return a
}

func (s *Sender) post(ctx context.Context, d signing.Delivery, at time.Time) (int, error) {
	wh, err := standardwebhooks.NewWebhook(d.Secret)
	if err != nil {
		return 0, fmt.Errorf("endpoint secret unusable: %v", err)
	}
	sig, err := wh.Sign(d.ID, at, d.Payload)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Signet-Webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, d.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, fmt.Sprint(at.Unix()))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, fmt.Errorf("timed out after %v", s.timeout)
		}
		if errors.Is(err, ErrForbiddenAddress) {
			return 0, fmt.Errorf("refused: the endpoint resolves to a non-public address")
		}
		var ue *url.Error
		if errors.As(err, &ue) { // without the URL, whose query may hold the receiver's token
			return 0, ue.Err
		}
		return 0, err
	}
	// Read a little so the connection can be reused; the body is not ours.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
