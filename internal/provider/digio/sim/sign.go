package sim

import (
	"net/http"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// sign completes the signer's signature: the eSign service signs the
// document as it stands (a PAdES signature by a certificate naming the
// signer, added incrementally, so that earlier signers' signatures stay
// valid), and once every signer signed the document is completed. The
// doc.signed webhook is sent after each signature, as Digio does. It
// answers the request itself when it cannot (and returns false).
//
// The PDF work runs without the lock; if the document changed meanwhile
// (another signer of it signed), it is redone on the new state.
func (s *Server) sign(w http.ResponseWriter, r *http.Request, l signerLink) bool {
	for range 3 {
		d, p, _, ok := s.lockSigner(w, r, l)
		if !ok {
			return false
		}
		base, version := d.current, d.version
		who := sandboxAadhaar(p)
		sig := simkit.ESignature{Name: who.name, State: who.state, Reason: signReason(d, p), Location: "India"}
		s.mu.Unlock()

		signed, err := s.ESigner.Sign(r.Context(), base, sig)
		if err != nil {
			skin.Notice(w, simkit.Notice{Status: http.StatusInternalServerError, Title: "Signing failed", Message: "The eSign service could not sign this document."})
			return false
		}

		s.mu.Lock()
		d2, p2, _, pr := s.resolve(l)
		if pr != nil || d2 != d || p2 != p || mayAct(d, p) != nil || d.version != version {
			s.mu.Unlock()
			continue // changed meanwhile: look again
		}
		now := s.cfg.Now()
		p.status, p.updated = partySigned, now
		if p.signType == "aadhaar" {
			p.aadhaar = &who
		}
		held := 0 // the bytes the new copy replaces: none while current is the original
		if d.version > 0 {
			held = len(d.current)
		}
		d.current, d.version, d.updated, d.lastSigned = signed, d.version+1, now, p.identifier
		s.retained.Add(d.id, d, int64(len(signed)-held))
		if d.allSigned() {
			d.status, d.ended = docCompleted, now
		}
		ds := s.prepareWebhook(d, eventSigned, p)
		s.mu.Unlock()
		s.Notifier.Send(ds...)
		return true
	}
	skin.Notice(w, simkit.Notice{Status: http.StatusServiceUnavailable, Title: "Busy", Message: "The document is being signed by someone else; please try again."})
	return false
}

// decline records the signer's rejection: the signer becomes "rejected",
// the document "rejected", and the doc.sign.rejected webhook is sent. It
// answers the request itself when it cannot (and returns false).
func (s *Server) decline(w http.ResponseWriter, r *http.Request, l signerLink) bool {
	d, p, _, ok := s.lockSigner(w, r, l)
	if !ok {
		return false
	}
	now := s.cfg.Now()
	p.status, p.updated, p.comment = partyRejected, now, declineMessage
	d.end(docRejected, partyCancelled, now)
	ds := s.prepareWebhook(d, eventRejected, p)
	s.mu.Unlock()
	s.Notifier.Send(ds...)
	return true
}

// signReason is the reason written into the signature: the signer's
// reason for signing, else the document's name.
func signReason(d *doc, p *party) string {
	what := p.reason
	if what == "" {
		what = d.fileName
	}
	return signTypeLabel(p.signType) + " via Digio: " + what
}
