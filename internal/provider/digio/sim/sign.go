package sim

import (
	"fmt"
	"net/http"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// sign completes the signer's signature: the document is stamped with it,
// and once every signer signed it is completed. The doc.signed webhook is
// sent after each signature, as Digio does. It answers the request itself
// when it cannot (and returns false).
//
// The PDF work runs without the lock; if the document changed meanwhile
// (another signer of it signed), it is redone on the new state.
func (s *Server) sign(w http.ResponseWriter, l signerLink) bool {
	for range 3 {
		s.mu.Lock()
		d, p, _, pr := s.resolve(l)
		if pr == nil {
			pr = finished(d, p)
		}
		if pr != nil {
			s.mu.Unlock()
			skin.Notice(w, *pr)
			return false
		}
		now := s.cfg.Now()
		base, version := d.current, d.version
		stamp := stampText(d, p, now)
		s.mu.Unlock()

		signed, err := pdf.Stamp(base, stamp)
		if err != nil {
			skin.Notice(w, simkit.Notice{Status: http.StatusInternalServerError, Title: "Signing failed", Message: "The eSign service could not sign this document."})
			return false
		}

		s.mu.Lock()
		d2, p2, _, pr := s.resolve(l)
		if pr != nil || d2 != d || p2 != p || finished(d, p) != nil || d.version != version {
			s.mu.Unlock()
			continue // changed meanwhile: look again
		}
		p.status, p.updated = partySigned, now
		d.current, d.version, d.updated, d.lastSigned = signed, d.version+1, now, p.identifier
		if d.allSigned() {
			d.status, d.ended = docCompleted, now
		}
		ds := s.prepareWebhook(d, eventSigned, p)
		s.mu.Unlock()
		s.notifier.Send(ds...)
		return true
	}
	skin.Notice(w, simkit.Notice{Status: http.StatusServiceUnavailable, Title: "Busy", Message: "The document is being signed by someone else; please try again."})
	return false
}

// decline records the signer's rejection: the signer becomes "rejected",
// the document "rejected", and the doc.sign.rejected webhook is sent. It
// answers the request itself when it cannot (and returns false).
func (s *Server) decline(w http.ResponseWriter, l signerLink) bool {
	s.mu.Lock()
	d, p, _, pr := s.resolve(l)
	if pr == nil {
		pr = finished(d, p)
	}
	if pr != nil {
		s.mu.Unlock()
		skin.Notice(w, *pr)
		return false
	}
	now := s.cfg.Now()
	p.status, p.updated, p.comment = partyRejected, now, declineMessage
	d.end(docRejected, partyCancelled, now)
	ds := s.prepareWebhook(d, eventRejected, p)
	s.mu.Unlock()
	s.notifier.Send(ds...)
	return true
}

// stampText is the visible signature put on every page.
func stampText(d *doc, p *party, now time.Time) string {
	name := p.name
	if name == "" {
		name = p.identifier
	}
	reason := ""
	if p.reason != "" {
		reason = " - Reason: " + p.reason
	}
	return fmt.Sprintf("Digitally signed by %s using %s\nDate: %s IST%s\nDigio sandbox - document %s",
		name, signTypeLabel(p.signType), now.In(ist).Format("2006-01-02 15:04:05"), reason, d.id)
}
