package sim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"time"
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

// delivery is one webhook to send.
type delivery struct {
	body []byte
}

// prepareWebhook renders the webhook for d's latest change (p being the
// signer it is about); s.mu must be held. It returns nothing when the
// account has no webhook.
func (s *Server) prepareWebhook(d *doc, event string, p *party) []delivery {
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
	return []delivery{{body: body}}
}

// sendWebhooks sends each delivery once, now, and leaves those that
// failed to background retries on cfg.WebhookRetries. It must be called
// without s.mu held: the receiver (Signet) typically reads the document
// before answering.
func (s *Server) sendWebhooks(ds []delivery) {
	for _, d := range ds {
		if s.send(d) || len(s.cfg.WebhookRetries) == 0 {
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			continue
		}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.retry(d)
	}
}

// retry re-sends d on the retry schedule until it succeeds, the schedule
// ends or the Server is closed.
func (s *Server) retry(d delivery) {
	defer s.wg.Done()
	for _, wait := range s.cfg.WebhookRetries {
		t := time.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if s.send(d) {
			return
		}
	}
}

// send POSTs one webhook; a 2xx answer within WebhookTimeout is success.
func (s *Server) send(d delivery) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(d.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if s.cfg.WebhookSecret != "" {
		req.Header.Set(ChecksumHeader, Checksum(s.cfg.WebhookSecret, d.body))
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}

// Checksum is the X-Digio-Checksum of body: hex HMAC-SHA256 keyed with
// secret.
func Checksum(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
