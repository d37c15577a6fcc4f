package sim

import (
	"encoding/json"
	"net/http"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// Callback statuses shown in pullData's callbackStatus.
const (
	callbackSuccess = "SUCCESS"
	callbackFailed  = "FAILED"
)

// prepareCallbacks lists the callbacks c's latest change calls for (sg
// being the signer who acted, if any); s.mu must be held. They go to the
// signer's signerCallbackUrl after that signer acted, and to callbackUrl
// once the contract is finished; the latter's outcome is pullData's
// callbackStatus. The body is the pullData shape with links, not base64:
// Signzy does not document its callback body, and integrations only read
// contractId from it and pull again.
func (s *Server) prepareCallbacks(c *contract, sg *signer) []simkit.Callback {
	body, err := json.Marshal(s.view(c, false))
	if err != nil {
		return nil
	}
	var out []simkit.Callback
	if sg != nil && c.signerCallbackURL != "" {
		out = append(out, simkit.Callback{URL: c.signerCallbackURL, Header: authorization(c.signerCallbackAuth), Body: body})
	}
	if c.finished() && c.callbackURL != "" {
		id := c.id
		out = append(out, simkit.Callback{URL: c.callbackURL, Header: authorization(c.callbackAuth), Body: body,
			Done: func(ok bool) { s.recordCallback(id, ok) }})
	}
	return out
}

// authorization is the header a callback carries: the secret the client
// asked for, as is.
func authorization(secret string) http.Header {
	if secret == "" {
		return nil
	}
	return http.Header{"Authorization": {secret}}
}

func (s *Server) recordCallback(contractID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.contracts[contractID]; c != nil {
		c.callbackStatus = callbackFailed
		if ok {
			c.callbackStatus = callbackSuccess
		}
	}
}
