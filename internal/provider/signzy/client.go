package signzy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Operation names, as in signing.ProviderError.Op.
const (
	opInitiate = "initiate"
	opRefresh  = "refresh"
	opDocument = "document"
)

// Size limits for what Signzy sends back. A pullData answer with
// base64EncodedOutput carries the whole signed PDF (Signet accepts up to
// 15 MiB, so about 20 MiB of base64); error bodies are small.
const (
	maxResponse  = 64 << 20
	maxErrorBody = 64 << 10
	maxMessage   = 500 // runes of Signzy's message kept for failureReason
)

// post sends body as JSON to Signzy's path and decodes a 2xx answer into
// out. Every failure is a *signing.ProviderError for op. badBodyRetryable
// says whether a 2xx answer that cannot be read is worth asking again
// (true for reads; false for initiate, where asking again could mint a
// second, billable contract).
func (a *Adapter) post(ctx context.Context, op, path string, body, out any, badBodyRetryable bool) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Message: "cannot encode the request", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(payload))
	if err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Message: "cannot build the request", Err: err}
	}
	req.Header.Set("Authorization", a.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := a.client.Do(req)
	if err != nil {
		return httpx.Unreachable(Name, "Signzy", op, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return statusError(op, resp.StatusCode, b)
	}
	b, err := httpx.ReadLimited(resp.Body, maxResponse)
	if err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Retryable: !errors.Is(err, httpx.ErrTooLarge),
			StatusCode: resp.StatusCode, Message: "cannot read Signzy's answer", Err: err}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Retryable: badBodyRetryable,
			StatusCode: resp.StatusCode, Message: "Signzy's answer is not the expected JSON", Err: err}
	}
	return nil
}

// statusError turns a non-2xx answer into a ProviderError carrying
// Signzy's own message. 5xx, 429 and 408 are retryable; other 4xx are
// permanent. A 404 (Signzy's "Contract not found", also what an expired
// contract answers) wraps signing.ErrNotFound so callers can tell it apart.
func statusError(op string, status int, body []byte) error {
	pe := &signing.ProviderError{
		Provider:   Name,
		Op:         op,
		StatusCode: status,
		Retryable:  httpx.RetryableStatus(status),
		Message:    errorMessage(status, body),
	}
	if status == http.StatusNotFound {
		pe.Err = signing.ErrNotFound
	}
	return pe
}

// errorMessage is Signzy's message from an error body, or the status text
// when the body is not Signzy's error JSON (a proxy's HTML page, say).
func errorMessage(status int, body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) == nil && e.Message.set() {
		return clip(string(e.Message), maxMessage)
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("HTTP %d", status)
}

// clip makes s fit a log line or failureReason: control characters become
// spaces and it is cut to n runes.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
