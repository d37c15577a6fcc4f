package sim

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The operations faults can be injected into.
const (
	OpInitiate = "initiate" // POST /api/v3/contract/initiate
	OpPullData = "pullData" // POST /api/v3/contract/pullData
	OpDownload = "download" // GET /api/files/…
)

// fault is one injected misbehaviour: a delay before answering, then
// either the normal answer (status 0) or an error.
type fault struct {
	delay   time.Duration
	status  int
	message string
}

// FailNext makes the next request of op answer status with a Signzy error
// body. Calls queue up: two FailNext calls fail the next two requests.
func (s *Server) FailNext(op string, status int) {
	s.FailNextWith(op, status, "Simulated failure: "+http.StatusText(status))
}

// FailNextWith is FailNext with Signzy's message given.
func (s *Server) FailNextWith(op string, status int, message string) {
	s.addFault(op, fault{status: status, message: message})
}

// DelayNext makes the next request of op wait d before answering
// normally, so that a client with a shorter timeout gives up. The wait
// ends early when the client goes away.
func (s *Server) DelayNext(op string, d time.Duration) {
	s.addFault(op, fault{delay: d})
}

func (s *Server) addFault(op string, f fault) {
	switch op {
	case OpInitiate, OpPullData, OpDownload:
	default:
		panic(fmt.Sprintf("signzy sim: unknown op %q", op)) // a test's typo
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
	writeError(w, f.status, f.message)
	return true
}

// ErrUnknownContract is returned by the test hooks for an id the simulator
// does not know (or has forgotten after expiry).
var ErrUnknownContract = errors.New("signzy sim: unknown contract")

// ErrFinished is returned by the test hooks for a contract that is no
// longer open.
var ErrFinished = errors.New("signzy sim: contract already finished")

// FailAadhaar records a failed Aadhaar eSign attempt for the contract's
// first signer still to sign, with message as eMudhra's error. With
// retryLeft the signer may try again (the contract stays open); without,
// the signer's status becomes FAILED, the contract ends and the callback
// is sent. It stands in for the parts of the Aadhaar journey (OTP,
// biometrics) the signer page does not simulate.
func (s *Server) FailAadhaar(contractID, message string, retryLeft bool) error {
	s.mu.Lock()
	c := s.lookup(contractID)
	if c == nil {
		s.mu.Unlock()
		return ErrUnknownContract
	}
	if c.finished() {
		s.mu.Unlock()
		return ErrFinished
	}
	var sg *signer
	for _, x := range c.signers {
		if x.status != signerSigned {
			sg = x
			break
		}
	}
	now := s.cfg.Now()
	a := sg.openAttempt()
	a.aadhaarState, a.errorMessage, a.aadhaarError = "0", message, message
	sg.failures++
	sg.aadhaarStatus, sg.aadhaarError, sg.errorMessage = "0", message, message
	sg.lastSignTime = now
	if retryLeft {
		sg.status = signerInProgress
		s.mu.Unlock()
		return nil
	}
	sg.status = signerFailed
	c.status, c.ended = contractFailed, now
	n := s.prepareCallbacks(c, sg)
	s.mu.Unlock()
	s.sendCallbacks(n)
	return nil
}

// CancelContract cancels an open contract the way Signzy's dashboard
// does: contractCancelTimestamp is set, no signer declined. The callback
// is sent.
func (s *Server) CancelContract(contractID string) error {
	s.mu.Lock()
	c := s.lookup(contractID)
	if c == nil {
		s.mu.Unlock()
		return ErrUnknownContract
	}
	if c.finished() {
		s.mu.Unlock()
		return ErrFinished
	}
	now := s.cfg.Now()
	c.status, c.ended, c.cancelled = contractCancelled, now, now
	n := s.prepareCallbacks(c, nil)
	s.mu.Unlock()
	s.sendCallbacks(n)
	return nil
}

// Expire moves the contract's deadline to now, as if its contractTtl had
// run out: from then on Signzy answers 404 for it.
func (s *Server) Expire(contractID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookup(contractID)
	if c == nil {
		return ErrUnknownContract
	}
	c.expires = s.cfg.Now()
	return nil
}

// SetSignerStatus gives the contract's first signer a status word of the
// test's choosing, such as one Signzy might add in future.
func (s *Server) SetSignerStatus(contractID, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookup(contractID)
	if c == nil {
		return ErrUnknownContract
	}
	c.signers[0].status = status
	return nil
}
