package sim

import (
	"encoding/json"
	"time"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// prepareWebhook builds the webhook for v's latest action on d
// (webhookType Success or Error); s.mu must be held. It returns none when
// the workflow has no webhook URL. Leegality re-sends a webhook that was
// not answered 2xx (cfg.WebhookRetries).
func (s *Server) prepareWebhook(d *document, v *invitation, kind, status string, now time.Time) []simkit.Callback {
	if s.cfg.WebhookURL == "" {
		return nil
	}
	body, err := json.Marshal(webhookView{
		WebhookType:    kind,
		DocumentID:     d.id,
		DocumentStatus: status,
		IRN:            optional(d.irn),
		Request:        s.invitationView(d, v, now),
		MAC:            MAC(s.cfg.PrivateSalt, d.id),
	})
	if err != nil {
		return nil
	}
	return []simkit.Callback{{URL: s.cfg.WebhookURL, Body: body}}
}
