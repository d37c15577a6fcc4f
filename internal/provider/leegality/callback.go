package leegality

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// ParseCallback verifies a Leegality webhook and returns the document it
// is about. The proof is in the body: mac = hex HMAC-SHA1(key = private
// salt, message = documentId). A body that is not a JSON object with a
// documentId string is signing.ErrInvalid; a missing or wrong mac is
// signing.ErrUnauthorized. No header is involved.
//
// The mac covers only the documentId: everything else in the webhook
// (webhookType, documentStatus, the invitee's request{}) could have been
// changed by anyone who saw one genuine webhook of that document. So the
// Callback carries no Update, and Signet re-fetches the document's details
// from Leegality before acting.
func (a *Adapter) ParseCallback(_ http.Header, body []byte) (signing.Callback, error) {
	var w struct {
		DocumentID json.RawMessage `json:"documentId"`
		MAC        json.RawMessage `json:"mac"`
	}
	if err := httpx.DecodeCallback(body, &w); err != nil {
		return signing.Callback{}, err
	}
	id, ok := httpx.CallbackString(w.DocumentID)
	if !ok {
		return signing.Callback{}, signing.Invalid("body.documentId", "must be a string")
	}
	if !flexjson.ID(id) {
		return signing.Callback{}, signing.Invalid("body.documentId", "must be a non-empty id of at most %d printable characters", flexjson.MaxID)
	}
	if mac, ok := httpx.CallbackString(w.MAC); !ok || !a.validMAC(id, mac) {
		return signing.Callback{}, fmt.Errorf("%w: leegality webhook: missing or wrong mac", signing.ErrUnauthorized)
	}
	return signing.Callback{Ref: id}, nil
}

// validMAC checks mac (hex, either case) against HMAC-SHA1 of documentID
// in constant time.
func (a *Adapter) validMAC(documentID, mac string) bool {
	return httpx.ValidMAC(sha1.New, a.cfg.PrivateSalt, []byte(documentID), mac)
}
