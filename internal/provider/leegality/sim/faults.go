package sim

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The operations faults can be injected into.
const (
	OpCreate   = "create"        // POST /v3.0/sign/request
	OpStatus   = "status"        // GET /v3.2/sign/request
	OpDetails  = "details"       // GET /v3.3/document/details
	OpFetch    = "fetchDocument" // GET /v3.3/document/fetchDocument
	OpDownload = "download"      // GET /cdn/… (a fetchDocument link)
	OpDelete   = "delete"        // DELETE /v3.0/sign/request
)

// fault is one injected misbehaviour: a delay before answering, then the
// normal answer (status 0), an HTTP error, or a status-0 refusal.
type fault struct {
	delay   time.Duration
	status  int  // HTTP status of the answer; 0: answer normally
	refusal bool // HTTP 200 with status 0 instead
	code    string
	message string
}

// FailNext makes the next request of op answer the HTTP status, with
// Leegality's envelope as the body. Calls queue up: two FailNext calls
// fail the next two requests.
func (s *Server) FailNext(op string, status int) {
	s.addFault(op, fault{status: status, code: "simulated.failure", message: "Simulated failure: " + http.StatusText(status)})
}

// RefuseNext makes the next request of op answer the way Leegality
// refuses a request: HTTP 200 with status 0 and messages [{code, message}].
func (s *Server) RefuseNext(op, code, message string) {
	s.addFault(op, fault{status: http.StatusOK, refusal: true, code: code, message: message})
}

// DelayNext makes the next request of op wait d before answering
// normally, so that a client with a shorter timeout gives up. The wait
// ends early when the client goes away.
func (s *Server) DelayNext(op string, d time.Duration) {
	s.addFault(op, fault{delay: d})
}

func (s *Server) addFault(op string, f fault) {
	switch op {
	case OpCreate, OpStatus, OpDetails, OpFetch, OpDownload, OpDelete:
	default:
		panic(fmt.Sprintf("leegality sim: unknown op %q", op)) // a test's typo
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
	switch {
	case f.refusal:
		writeRefusal(w, f.code, f.message)
	case f.status != 0:
		writeHTTPError(w, f.status, f.code, f.message)
	default:
		return false
	}
	return true
}

// ErrUnknownDocument is returned by the hooks below for a documentId the
// simulator does not know (or no longer knows).
var ErrUnknownDocument = errors.New("leegality sim: unknown document")

// ErrFinished is returned by Expire for a document with no invitation
// left to expire.
var ErrFinished = errors.New("leegality sim: document already finished")

// Expire makes the document's unsigned invitations expire now, as if
// their expiryDate had passed. Like Leegality, the document stays SENT;
// the invitations say expired: true. No webhook is sent.
func (s *Server) Expire(documentID string) error {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[documentID]
	if d == nil || d.isDeleted() {
		return ErrUnknownDocument
	}
	n := 0
	for _, v := range d.invitations {
		if !d.isCompleted() && !d.rejected() && !v.isSigned() && !v.isExpired(now) {
			v.expires = now
			n++
		}
	}
	if n == 0 {
		return ErrFinished
	}
	return nil
}

// UnknownStatusNext makes the next details (or status) answer about the
// document carry words no Leegality version has used: the document's
// status and the open invitations' action. It stands in for a future API
// addition.
func (s *Server) UnknownStatusNext(documentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[documentID]
	if d == nil || d.isDeleted() {
		return ErrUnknownDocument
	}
	s.unknownNext[documentID] = true
	return nil
}
