package signzy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// ParseCallback verifies a Signzy callback and returns the contract it is
// about. Signzy proves a callback only by echoing the secret Signet gave
// it (callbackUrlAuthorizationHeader) as the Authorization header; a
// missing or different header is signing.ErrUnauthorized. A body that is
// not a JSON object with a contractId is signing.ErrInvalid.
//
// The body (the pullData shape) is not trusted for the status: the
// Callback carries no Update, so Signet pulls the contract before acting,
// as Signzy integrations do.
func (a *Adapter) ParseCallback(header http.Header, body []byte) (signing.Callback, error) {
	if !a.authorized(header.Get("Authorization")) {
		return signing.Callback{}, fmt.Errorf("%w: signzy callback: missing or wrong Authorization header", signing.ErrUnauthorized)
	}
	var c struct {
		ContractID json.RawMessage `json:"contractId"`
	}
	if err := httpx.DecodeCallback(body, &c); err != nil {
		return signing.Callback{}, err
	}
	id, ok := httpx.CallbackString(c.ContractID)
	if !ok {
		return signing.Callback{}, signing.Invalid("body.contractId", "must be a string")
	}
	id = strings.TrimSpace(id)
	if !flexjson.ID(id) {
		return signing.Callback{}, signing.Invalid("body.contractId", "must be a non-empty id of at most %d printable characters", flexjson.MaxID)
	}
	return signing.Callback{Ref: id}, nil
}

// authorized compares the header with the callback secret in constant
// time.
func (a *Adapter) authorized(got string) bool {
	return got != "" && httpx.SameSecret(got, a.cfg.CallbackSecret)
}
