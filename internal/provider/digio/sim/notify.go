package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// Digio's document events.
const (
	eventSigned   = "doc.signed"        // a signer signed (the document may wait for others)
	eventRejected = "doc.sign.rejected" // a signer declined
	eventFailed   = "doc.sign.failed"   // a signer's eSign failed
)

// ChecksumHeader carries a webhook's checksum: the hex HMAC-SHA256 of the
// raw body, keyed with the account's webhook secret.
const ChecksumHeader = "X-Digio-Checksum"

// envelope is Digio's webhook body.
type envelope struct {
	Entities  []string   `json:"entities"`
	Payload   envPayload `json:"payload"`
	CreatedAt int64      `json:"created_at"`
	ID        string     `json:"id"`
	Event     string     `json:"event"`
}

type envPayload struct {
	Document docView `json:"document"`
}

// prepareWebhook renders the webhook for d's latest change (p being the
// signer it is about); s.mu must be held. It returns nothing when the
// account has no webhook. It carries X-Digio-Checksum when the account
// has a webhook secret, and is re-sent until answered 2xx
// (cfg.WebhookRetries).
func (s *Server) prepareWebhook(d *doc, event string, p *party) []simkit.Callback {
	if s.cfg.WebhookURL == "" {
		return nil
	}
	now := s.cfg.Now()
	v := s.view(d, true, false)
	switch event {
	case eventRejected:
		v.ErrorCode, v.ErrorMessage = "SIGNING_REJECTED", p.comment
		v.SignerIdentifier = p.identifier
	case eventFailed:
		v.ErrorCode, v.ErrorMessage = d.errorCode, d.errorMsg
		v.SignerIdentifier = p.identifier
	}
	body, err := json.Marshal(envelope{
		Entities:  []string{"document"},
		Payload:   envPayload{Document: v},
		CreatedAt: now.UnixMilli(),
		ID:        newID("WHN", now),
		Event:     event,
	})
	if err != nil {
		return nil
	}
	h := http.Header{}
	if s.cfg.WebhookSecret != "" {
		h.Set(ChecksumHeader, Checksum(s.cfg.WebhookSecret, body))
	}
	return []simkit.Callback{{URL: s.cfg.WebhookURL, Header: h, Body: body}}
}

// Checksum is the X-Digio-Checksum of body: hex HMAC-SHA256 keyed with
// secret.
func Checksum(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
