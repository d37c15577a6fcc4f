package digio

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
	opCancel   = "cancel"
	opDocument = "document"
)

// Size limits for what Digio sends back. The signed PDF may be as large
// as the contract Signet accepted (15 MiB) plus signatures; JSON answers
// and error bodies are small.
const (
	maxPDF       = 64 << 20
	maxJSON      = 4 << 20
	maxErrorBody = 64 << 10
	maxMessage   = 500 // runes of Digio's message kept for failureReason
)

// call sends one request to Digio and returns the body of a 2xx answer.
// body, when not nil, is sent as JSON. Every failure is a
// *signing.ProviderError for op.
func (a *Adapter) call(ctx context.Context, op, method, path string, body any, limit int64, accept string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		payload, err := json.Marshal(body)
		if err != nil {
			return nil, &signing.ProviderError{Provider: Name, Op: op, Message: "cannot encode the request", Err: err}
		}
		rd = bytes.NewReader(payload)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, &signing.ProviderError{Provider: Name, Op: op, Message: "cannot build the request", Err: err}
	}
	req.SetBasicAuth(a.cfg.ClientID, a.cfg.ClientSecret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)

	resp, err := a.client.Do(req)
	if err != nil {
		return nil, httpx.Unreachable(Name, "Digio", op, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, statusError(op, resp.StatusCode, b)
	}
	b, err := httpx.ReadLimited(resp.Body, limit)
	if err != nil {
		if !errors.Is(err, httpx.ErrTooLarge) && ctx.Err() != nil {
			return nil, httpx.Unreachable(Name, "Digio", op, err)
		}
		return nil, &signing.ProviderError{Provider: Name, Op: op, Retryable: !errors.Is(err, httpx.ErrTooLarge),
			StatusCode: resp.StatusCode, Message: "cannot read Digio's answer", Err: err}
	}
	return b, nil
}

// callJSON is call for a JSON answer, decoded into out. badBodyRetryable
// says whether a 2xx answer that cannot be read is worth asking again
// (true for reads; false for uploads, where asking again could create a
// second, billable document).
func (a *Adapter) callJSON(ctx context.Context, op, method, path string, body, out any, badBodyRetryable bool) error {
	b, err := a.call(ctx, op, method, path, body, maxJSON, "application/json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Retryable: badBodyRetryable,
			StatusCode: http.StatusOK, Message: "Digio's answer is not the expected JSON", Err: err}
	}
	return nil
}

// statusError turns a non-2xx answer into a ProviderError carrying
// Digio's own message. 5xx, 429 and 408 are retryable; other 4xx are
// permanent. A 404 (no such document) wraps signing.ErrNotFound so callers
// can tell it apart.
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

// errorMessage is Digio's message from an error body
// ({"code","message","details"}), or the status text when the body is not
// Digio's error JSON (a proxy's HTML page, say).
func errorMessage(status int, body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) == nil {
		for _, m := range []text{e.Message, e.Details, e.Error, e.Code} {
			if m.set() {
				return clip(string(m), maxMessage)
			}
		}
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
