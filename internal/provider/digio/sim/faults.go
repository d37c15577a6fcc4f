package sim

import (
	"errors"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// The operations faults can be injected into.
const (
	OpUpload   = "upload"   // POST /v2/client/document/uploadpdf
	OpDetails  = "details"  // GET /v2/client/document/{id}
	OpDownload = "download" // GET /v2/client/document/download
	OpCancel   = "cancel"   // POST /v2/client/document/{id}/cancel
)

// FailNextWith makes the next request of op answer status with Digio's
// error code and message.
func (s *Server) FailNextWith(op string, status int, code, message string) {
	s.Add(op, simkit.Fault{Status: status, Code: code, Message: message})
}

// ErrUnknownDocument is returned by the test hooks for an id the
// simulator does not know.
var ErrUnknownDocument = errors.New("digio sim: unknown document")

// ErrFinished is returned by the test hooks for a document that is no
// longer open.
var ErrFinished = errors.New("digio sim: document already finished")

// Expire makes an open document expire now, as it would at its
// expire_on: agreement_status and its unsigned signers become "expired".
// Digio sends no webhook for an expiry.
func (s *Server) Expire(documentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.openDoc(documentID)
	if err != nil {
		return err
	}
	d.end(docExpired, partyExpired, s.cfg.Now())
	return nil
}

// UnknownStatusNext makes the next details answer for the document carry
// status words the adapter has never seen (agreement_status
// "under_review", signers "pending_verification"), as a future Digio
// might.
func (s *Server) UnknownStatusNext(documentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.lookup(documentID)
	if d == nil {
		return ErrUnknownDocument
	}
	d.unknownNext++
	return nil
}

// FailSigning makes the eSign of the document's first signer still to
// sign fail, with Digio's error code and message (an Aadhaar OTP or
// name-match failure at the eSign service provider, which the gateway
// page does not simulate). The signer and the document become "failed"
// and the doc.sign.failed webhook is sent.
func (s *Server) FailSigning(documentID, code, message string) error {
	s.mu.Lock()
	d, err := s.openDoc(documentID)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	var p *party
	for _, x := range d.parties {
		if x.status != partySigned {
			p = x
			break
		}
	}
	now := s.cfg.Now()
	p.status, p.updated, p.errorMsg = partyFailed, now, message
	d.errorCode, d.errorMsg = code, message
	d.end(docFailed, partyCancelled, now)
	n := s.prepareWebhook(d, eventFailed, p)
	s.mu.Unlock()
	s.Notifier.Send(n...)
	return nil
}

// openDoc finds an open document; s.mu must be held.
func (s *Server) openDoc(id string) (*doc, error) {
	d := s.lookup(id)
	if d == nil {
		return nil, ErrUnknownDocument
	}
	if !d.open() {
		return nil, ErrFinished
	}
	return d, nil
}
