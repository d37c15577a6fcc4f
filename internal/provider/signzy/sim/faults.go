package sim

import (
	"errors"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// The operations faults can be injected into.
const (
	OpInitiate = "initiate" // POST /api/v3/contract/initiate
	OpPullData = "pullData" // POST /api/v3/contract/pullData
	OpDownload = "download" // GET /api/files/…
)

// FailNextWith makes the next request of op answer status with a Signzy
// error body carrying message.
func (s *Server) FailNextWith(op string, status int, message string) {
	s.Add(op, simkit.Fault{Status: status, Message: message})
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
	c, err := s.lockOpen(contractID)
	if err != nil {
		return err
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
	s.Notifier.Send(n...)
	return nil
}

// CancelContract cancels an open contract the way Signzy's dashboard
// does: contractCancelTimestamp is set, no signer declined. The callback
// is sent.
func (s *Server) CancelContract(contractID string) error {
	c, err := s.lockOpen(contractID)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	c.status, c.ended, c.cancelled = contractCancelled, now, now
	n := s.prepareCallbacks(c, nil)
	s.mu.Unlock()
	s.Notifier.Send(n...)
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

// lockOpen locks s.mu and finds an open contract, returned still locked.
// On an error it unlocks.
func (s *Server) lockOpen(contractID string) (*contract, error) {
	s.mu.Lock()
	c := s.lookup(contractID)
	switch {
	case c == nil:
		s.mu.Unlock()
		return nil, ErrUnknownContract
	case c.finished():
		s.mu.Unlock()
		return nil, ErrFinished
	}
	return c, nil
}
