package sim

import (
	"errors"
	"net/http"

	"github.com/signet-dev/signet/internal/provider/simkit"
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

// RefuseNext makes the next request of op answer the way Leegality
// refuses a request: HTTP 200 with status 0 and messages [{code, message}].
// (FailNext answers an HTTP error status, as Leegality does for outages
// and rate limits.)
func (s *Server) RefuseNext(op, code, message string) {
	s.Add(op, simkit.Fault{Status: http.StatusOK, Code: code, Message: message})
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
