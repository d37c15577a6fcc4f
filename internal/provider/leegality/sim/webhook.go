package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// webhook is one webhook to send: the workflow's webhook URL and the body.
type webhook struct {
	url  string
	body []byte
}

// prepareWebhook builds the webhook for v's latest action on d
// (webhookType Success or Error); s.mu must be held. It returns nil when
// the workflow has no webhook URL.
func (s *Server) prepareWebhook(d *document, v *invitation, kind, status string, now time.Time) *webhook {
	if s.cfg.WebhookURL == "" {
		return nil
	}
	body, err := json.Marshal(webhookView{
		WebhookType:    kind,
		DocumentID:     d.id,
		DocumentStatus: status,
		IRN:            optional(d.irn),
		Request:        s.invitationView(d, v, now),
		MAC:            mac(s.cfg.PrivateSalt, d.id),
	})
	if err != nil {
		return nil
	}
	return &webhook{url: s.cfg.WebhookURL, body: body}
}

// sendWebhook sends h once, now, and leaves it to background re-sends on
// cfg.WebhookRetries if it was not answered 2xx. It must be called
// without s.mu held: the receiver (Signet) typically reads the document's
// details before answering.
func (s *Server) sendWebhook(h *webhook) {
	if h == nil || s.send(h) || len(s.cfg.WebhookRetries) == 0 {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go s.resend(h)
}

// resend re-sends h on the retry schedule until it is answered 2xx, the
// schedule ends or the Server is closed.
func (s *Server) resend(h *webhook) {
	defer s.wg.Done()
	for _, wait := range s.cfg.WebhookRetries {
		t := time.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if s.send(h) {
			return
		}
	}
}

// send POSTs one webhook; a 2xx answer is success.
func (s *Server) send(h *webhook) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(h.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}
