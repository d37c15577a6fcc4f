package digio

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// ChecksumHeader is the header carrying a Digio webhook's checksum.
const ChecksumHeader = "X-Digio-Checksum"

// ParseCallback verifies a Digio webhook and returns the document it is
// about. The X-Digio-Checksum header must be the hex HMAC-SHA256 of the
// raw body keyed with the webhook secret; a missing or different checksum
// is signing.ErrUnauthorized (checked first, in constant time, over the
// exact bytes received). A body that is not Digio's envelope with a
// payload.document.id is signing.ErrInvalid.
//
// Because the checksum covers the whole body, the document details in it
// are as trustworthy as a details answer: when the payload carries them
// (an agreement_status or signing_parties) or the event itself reports a
// rejection or failure, the Callback carries their mapping (the same
// mapDocument a refresh uses). Otherwise its Update is nil and Signet
// refreshes before acting.
func (a *Adapter) ParseCallback(header http.Header, body []byte) (signing.Callback, error) {
	if !a.checksumValid(header.Values(ChecksumHeader), body) {
		return signing.Callback{}, fmt.Errorf("%w: digio webhook: missing or wrong %s", signing.ErrUnauthorized, ChecksumHeader)
	}
	var w webhook
	if err := httpx.DecodeCallback(body, &w); err != nil {
		return signing.Callback{}, err
	}
	d := &w.Payload.V.Document.V
	id := strings.TrimSpace(string(d.ID))
	if id == "" {
		return signing.Callback{}, signing.Invalid("body.payload.document.id", "is required")
	}
	if !validRef(id) {
		return signing.Callback{}, signing.Invalid("body.payload.document.id", "must be an id of at most %d printable characters", flexjson.MaxID)
	}
	cb := signing.Callback{Ref: id}
	event := w.Event.word()
	if d.AgreementStatus.set() || d.Status.set() || len(d.SigningParties) > 0 || event == eventRejected || event == eventFailed {
		u := mapDocument(d, event)
		cb.Update = &u
	}
	return cb, nil
}

// checksumValid compares the header with the body's HMAC in constant
// time. Exactly one header value is accepted; hex case does not matter.
func (a *Adapter) checksumValid(values []string, body []byte) bool {
	if len(values) != 1 {
		return false
	}
	return httpx.ValidMAC(sha256.New, a.cfg.WebhookSecret, body, values[0])
}
