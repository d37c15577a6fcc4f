package sim

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The operations faults can be injected into.
const (
	OpUpload   = "upload"   // POST /v2/client/document/uploadpdf
	OpDetails  = "details"  // GET /v2/client/document/{id}
	OpDownload = "download" // GET /v2/client/document/download
	OpCancel   = "cancel"   // POST /v2/client/document/{id}/cancel
)

// fault is one injected misbehaviour: a delay before answering, then
// either the normal answer (status 0) or an error.
type fault struct {
	delay         time.Duration
	status        int
	code, message string
}

// FailNext makes the next request of op answer status with a Digio error
// body. Calls queue up: two FailNext calls fail the next two requests.
func (s *Server) FailNext(op string, status int) {
	s.FailNextWith(op, status, statusCode(status), "Simulated failure: "+http.StatusText(status))
}

// FailNextWith is FailNext with Digio's error code and message given.
func (s *Server) FailNextWith(op string, status int, code, message string) {
	s.addFault(op, fault{status: status, code: code, message: message})
}

// DelayNext makes the next request of op wait d before answering
// normally, so that a client with a shorter timeout gives up. The wait
// ends early when the client goes away.
func (s *Server) DelayNext(op string, d time.Duration) {
	s.addFault(op, fault{delay: d})
}

func (s *Server) addFault(op string, f fault) {
	switch op {
	case OpUpload, OpDetails, OpDownload, OpCancel:
	default:
		panic(fmt.Sprintf("digio sim: unknown op %q", op)) // a test's typo
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], f)
}

// injectFault applies the next fault queued for op, if any. It reports
// whether it answered the request.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, op string) bool {
	s.mu.Lock()
	q := s.faults[op]
	if len(q) == 0 {
		s.mu.Unlock()
		return false
	}
	f := q[0]
	s.faults[op] = q[1:]
	s.mu.Unlock()

	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true // the client left; nobody reads an answer
		}
	}
	if f.status == 0 {
		return false
	}
	writeError(w, f.status, f.code, f.message)
	return true
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
	s.sendWebhooks(n)
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
