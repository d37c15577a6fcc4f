package leegality

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// Size limits for what Leegality sends back. Signet accepts PDFs up to
// 15 MiB; a downloaded signed PDF is a little larger. Error bodies are
// small.
const (
	maxResponse  = 64 << 20
	maxErrorBody = 64 << 10
	maxMessage   = 500 // runes of Leegality's message kept for failureReason
)

// call is one request to Leegality's API.
type call struct {
	op     string
	method string
	path   string     // under BaseURL, e.g. /v3.3/document/details
	query  url.Values // may be nil
	body   any        // JSON-encoded when not nil
	// badBodyRetryable says whether a 2xx answer that cannot be read is
	// worth asking again: true for reads; false for create, where asking
	// again mints a second document (Leegality has no idempotency key).
	badBodyRetryable bool
}

// do makes c and decodes the data of a successful envelope into out (when
// out is not nil). Every failure is a *signing.ProviderError for c.op:
//
//   - no answer (refused, reset, timeout): retryable;
//   - HTTP 5xx, 429, 408: retryable; other non-2xx: permanent, with
//     Leegality's message when the body is its envelope;
//   - HTTP 2xx with status 0: Leegality's way of refusing a request
//     (validation errors, unknown documents): permanent with its message,
//     unless the message says the trouble is temporary (see temporary).
func (a *Adapter) do(ctx context.Context, c call, out any) error {
	var payload io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return &signing.ProviderError{Provider: Name, Op: c.op, Message: "cannot encode the request", Err: err}
		}
		payload = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	target := a.base + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, c.method, target, payload)
	if err != nil {
		return &signing.ProviderError{Provider: Name, Op: c.op, Message: "cannot build the request", Err: err}
	}
	req.Header.Set("X-Auth-Token", a.cfg.AuthToken)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := a.client.Do(req)
	if err != nil {
		return httpx.Unreachable(Name, "Leegality", c.op, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return statusError(c.op, resp.StatusCode, b)
	}
	b, err := httpx.ReadLimited(resp.Body, maxResponse)
	if err != nil {
		return &signing.ProviderError{Provider: Name, Op: c.op, Retryable: !errors.Is(err, httpx.ErrTooLarge),
			StatusCode: resp.StatusCode, Message: "cannot read Leegality's answer", Err: err}
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return &signing.ProviderError{Provider: Name, Op: c.op, Retryable: c.badBodyRetryable,
			StatusCode: resp.StatusCode, Message: "Leegality's answer is not the expected JSON", Err: err}
	}
	if !env.succeeded() {
		return refusal(c.op, resp.StatusCode, env.Messages)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return &signing.ProviderError{Provider: Name, Op: c.op, Retryable: c.badBodyRetryable,
			StatusCode: resp.StatusCode, Message: "Leegality's answer has no usable data", Err: err}
	}
	return nil
}

// statusError turns a non-2xx answer into a ProviderError carrying
// Leegality's own message. 5xx, 429 and 408 are retryable; other 4xx are
// permanent. A 404 wraps signing.ErrNotFound.
func statusError(op string, status int, body []byte) error {
	pe := &signing.ProviderError{
		Provider:   Name,
		Op:         op,
		StatusCode: status,
		Retryable:  httpx.RetryableStatus(status),
		Message:    httpMessage(status, body),
	}
	if status == http.StatusNotFound {
		pe.Err = signing.ErrNotFound
	}
	return pe
}

// httpMessage is Leegality's message from an error body, or the status
// text when the body is not its envelope (a gateway's HTML page, say).
func httpMessage(status int, body []byte) string {
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		if m := firstMessage(env.Messages); m != "" {
			return m
		}
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("HTTP %d", status)
}

// refusal is a failed envelope (status 0) as a ProviderError: permanent,
// carrying Leegality's message, unless that message says the trouble is
// temporary. Codes that say the document does not exist wrap
// signing.ErrNotFound.
func refusal(op string, status int, ms messages) error {
	msg := firstMessage(ms)
	if msg == "" {
		msg = "Leegality refused the request without a message"
	}
	pe := &signing.ProviderError{Provider: Name, Op: op, StatusCode: status, Message: msg, Retryable: temporary(ms)}
	if notFound(ms) {
		pe.Err = signing.ErrNotFound
	}
	return pe
}

// firstMessage is the first message's text (or its code when it has no
// text), fit for failureReason.
func firstMessage(ms messages) string {
	for _, m := range ms {
		if m.Message.set() {
			return clip(m.Message.trimmed(), maxMessage)
		}
		if m.Code.set() {
			return clip(m.Code.trimmed(), maxMessage)
		}
	}
	return ""
}

// temporaryHints are words with which a status-0 answer says that asking
// again later may succeed. Leegality documents no such codes; these are
// the phrasings of its generic server-side failures and of rate limits.
var temporaryHints = []string{
	"try again", "temporar", "timeout", "timed out", "service unavailable",
	"internal server error", "internal error", "server error", "something went wrong",
	"too many requests", "rate limit", "maintenance", "server busy",
}

func temporary(ms messages) bool {
	for _, m := range ms {
		// Codes are dotted ("rate.limit.exceeded"): read them as words.
		s := strings.NewReplacer(".", " ", "_", " ").Replace(strings.ToLower(string(m.Message) + " " + string(m.Code)))
		for _, h := range temporaryHints {
			if strings.Contains(s, h) {
				return true
			}
		}
	}
	return false
}

// notFound reports whether the messages say the document does not exist
// (Leegality's "no.document.found" and its kin).
func notFound(ms messages) bool {
	for _, m := range ms {
		c := strings.ToLower(m.Code.trimmed())
		if (strings.Contains(c, "not.found") || strings.Contains(c, "no.document") || strings.Contains(c, "not.exist")) ||
			strings.Contains(strings.ToLower(string(m.Message)), "not found") {
			return true
		}
	}
	return false
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
