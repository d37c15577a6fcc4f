package digio

import (
	"context"
	"encoding/json"

	"github.com/signet-dev/signet/internal/provider/httpx"
)

// Size limits for what Digio sends back. The signed PDF may be as large
// as the contract Signet accepted (15 MiB) plus signatures; JSON answers
// are small.
const (
	maxPDF  = 64 << 20
	maxJSON = 4 << 20
)

// request is a call to Digio's path with the client's credentials.
func (a *Adapter) request(op, method, path string, body any) httpx.Request {
	return httpx.Request{Op: op, Method: method, Path: path, Header: a.auth, JSON: body, Limit: maxJSON}
}

// callJSON sends one request to Digio and decodes a 2xx answer into out.
// body, when not nil, is sent as JSON. Every failure is a
// *signing.ProviderError for op. retryBadBody says whether a 2xx answer
// that cannot be read is worth asking again (true for reads; false for
// uploads, where asking again could create a second, billable document).
func (a *Adapter) callJSON(ctx context.Context, op, method, path string, body, out any, retryBadBody bool) error {
	r := a.request(op, method, path, body)
	r.RetryBadBody = retryBadBody
	_, err := a.http.DoJSON(ctx, r, out)
	return err
}

// errorMessage is Digio's message from an error body
// ({"code","message","details"}): Digio's HTTP policy is httpx's, with
// that body. A 404 (no such document) wraps signing.ErrNotFound, and is
// Gone when Digio's body says so (see refine).
func errorMessage(body []byte) string {
	var e struct {
		Code    text `json:"code"`
		Message text `json:"message"`
		Details text `json:"details"`
		Error   text `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil {
		for _, m := range []text{e.Message, e.Details, e.Error, e.Code} {
			if m.set() {
				return string(m)
			}
		}
	}
	return ""
}

// refine marks Digio's own "Document not found" (a 404 whose error body
// names the document) as Gone: the document no longer exists at Digio. A
// 404 for an unknown path ("Resource not found") or a bare one, which a
// wrong base URL gives too, stays a plain not-found.
var refine = httpx.GoneWhen404Names("document", errorMessage)
