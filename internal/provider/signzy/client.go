package signzy

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/signet-dev/signet/internal/provider/httpx"
)

// maxResponse bounds what Signzy sends back. A pullData answer with
// base64EncodedOutput carries the whole signed PDF (Signet accepts up to
// 15 MiB, so about 20 MiB of base64).
const maxResponse = 64 << 20

// Signzy's HTTP policy is httpx's, with Signzy's error body
// (errorMessage). A 404 (Signzy's "Contract not found", also what an
// expired contract answers) wraps signing.ErrNotFound; when Signzy's own
// error body names the contract, the contract is Gone (see refine).

// post sends body as JSON to Signzy's path with the token and decodes a
// 2xx answer into out. Every failure is a *signing.ProviderError for op.
// retryBadBody says whether a 2xx answer that cannot be read is worth
// asking again (true for reads; false for initiate, where asking again
// could mint a second, billable contract).
func (a *Adapter) post(ctx context.Context, op, path string, body, out any, retryBadBody bool) error {
	_, err := a.http.DoJSON(ctx, httpx.Request{Op: op, Method: http.MethodPost, Path: path,
		Header: http.Header{"Authorization": {a.cfg.Token}}, JSON: body, Limit: maxResponse, RetryBadBody: retryBadBody}, out)
	return err
}

// errorMessage is Signzy's message from an error body:
// {"name":"error","message":"…","reason":"VALIDATION_ERROR","type":"Bad Request","statusCode":400}.
func errorMessage(body []byte) string {
	var e struct {
		Message text `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message.set() {
		return string(e.Message)
	}
	return ""
}

// refine marks Signzy's own "Contract not found" (a 404 whose error body
// says so) as Gone: the contract no longer exists at Signzy. A bare 404,
// which a wrong base URL gives too, stays a plain not-found.
var refine = httpx.GoneWhen404Names("contract", errorMessage)
