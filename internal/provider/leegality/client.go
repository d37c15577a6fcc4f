package leegality

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// maxResponse bounds what Leegality sends back. Signet accepts PDFs up to
// 15 MiB; a downloaded signed PDF is a little larger.
const maxResponse = 64 << 20

// call is one request to Leegality's API.
type call struct {
	op     string
	method string
	path   string     // under BaseURL, e.g. /v3.3/document/details
	query  url.Values // may be nil
	body   any        // JSON-encoded when not nil
	// retryBadBody says whether a 2xx answer that cannot be read is
	// worth asking again: true for reads; false for create, where asking
	// again mints a second document (Leegality has no idempotency key).
	retryBadBody bool
}

// do makes c with the auth token and decodes the data of a successful
// envelope into out (when out is not nil). Every failure is a
// *signing.ProviderError for c.op: httpx's for the HTTP exchange, and for
// an answer under HTTP 2xx with status 0 (Leegality's way of refusing a
// request: validation errors, unknown documents) a permanent error with
// its message, unless the message says the trouble is temporary (see
// temporary).
func (a *Adapter) do(ctx context.Context, c call, out any) error {
	path := c.path
	if len(c.query) > 0 {
		path += "?" + c.query.Encode()
	}
	var env envelope
	status, err := a.http.DoJSON(ctx, httpx.Request{Op: c.op, Method: c.method, Path: path,
		Header: http.Header{"X-Auth-Token": {a.cfg.AuthToken}}, JSON: c.body, Limit: maxResponse, RetryBadBody: c.retryBadBody}, &env)
	if err != nil {
		return err
	}
	if !env.succeeded() {
		return refusal(c.op, status, env.Messages)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return &signing.ProviderError{Provider: Name, Op: c.op, Retryable: c.retryBadBody,
			StatusCode: status, Message: "Leegality's answer has no usable data", Err: err}
	}
	return nil
}

// httpMessage is Leegality's message from an error body that is its
// envelope: Leegality's HTTP policy is httpx's, with that body. A 404
// wraps signing.ErrNotFound.
func httpMessage(body []byte) string {
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		return firstMessage(env.Messages)
	}
	return ""
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
		pe.Err, pe.Gone = signing.ErrNotFound, true
	}
	return pe
}

// refine marks an HTTP 404 whose body is Leegality's envelope saying the
// document does not exist as Gone, like the same words under HTTP 200. A
// bare 404, which a wrong base URL gives too, stays a plain not-found.
func refine(pe *signing.ProviderError, body []byte) {
	var env envelope
	if pe.StatusCode == http.StatusNotFound && json.Unmarshal(body, &env) == nil && notFound(env.Messages) {
		pe.Gone = true
	}
}

// firstMessage is the first message's text (or its code when it has no
// text), fit for failureReason.
func firstMessage(ms messages) string {
	for _, m := range ms {
		if m.Message.set() {
			return httpx.Clip(m.Message.trimmed(), httpx.MaxMessage)
		}
		if m.Code.set() {
			return httpx.Clip(m.Code.trimmed(), httpx.MaxMessage)
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
