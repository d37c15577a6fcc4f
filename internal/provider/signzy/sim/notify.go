package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Callback statuses shown in pullData's callbackStatus.
const (
	callbackSuccess = "SUCCESS"
	callbackFailed  = "FAILED"
)

// delivery is one callback to send: the contract's (to callbackUrl, once
// the contract is finished) or a signer's (to signerCallbackUrl, after
// that signer acted). The body is the pullData shape with links, not
// base64: Signzy does not document its callback body, and integrations
// only read contractId from it and pull again.
type delivery struct {
	contractID string
	contract   bool // whether callbackStatus tracks this delivery
	url, auth  string
	body       []byte
}

// prepareCallbacks lists the callbacks c's latest change calls for (sg
// being the signer who acted, if any); s.mu must be held.
func (s *Server) prepareCallbacks(c *contract, sg *signer) []delivery {
	body, err := json.Marshal(s.view(c, false))
	if err != nil {
		return nil
	}
	var out []delivery
	if sg != nil && c.signerCallbackURL != "" {
		out = append(out, delivery{contractID: c.id, url: c.signerCallbackURL, auth: c.signerCallbackAuth, body: body})
	}
	if c.finished() && c.callbackURL != "" {
		out = append(out, delivery{contractID: c.id, contract: true, url: c.callbackURL, auth: c.callbackAuth, body: body})
	}
	return out
}

// sendCallbacks sends each delivery once, now, and leaves those that
// failed to background retries on cfg.CallbackRetries. It must be called
// without s.mu held: the receiver (Signet) typically pulls the contract
// before answering.
func (s *Server) sendCallbacks(ds []delivery) {
	for _, d := range ds {
		ok := s.send(d)
		s.recordCallback(d, ok)
		if ok || len(s.cfg.CallbackRetries) == 0 {
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
	for _, wait := range s.cfg.CallbackRetries {
		t := time.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		ok := s.send(d)
		s.recordCallback(d, ok)
		if ok {
			return
		}
	}
}

// send POSTs one callback; a 2xx answer is success.
func (s *Server) send(d delivery) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if d.auth != "" {
		req.Header.Set("Authorization", d.auth)
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}

func (s *Server) recordCallback(d delivery, ok bool) {
	if !d.contract {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.contracts[d.contractID]; c != nil {
		c.callbackStatus = callbackFailed
		if ok {
			c.callbackStatus = callbackSuccess
		}
	}
}
