package sim

import (
	"encoding/base64"
	"errors"
	"time"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// The operations faults can be injected into.
const (
	OpSign    = "sign"    // POST /rp/v6.0/sign
	OpCollect = "collect" // POST /rp/v6.0/collect
	OpCancel  = "cancel"  // POST /rp/v6.0/cancel
)

// FailNextWith makes the next request of op answer status with BankID's
// errorCode and details. (FailNext uses the code BankID answers with the
// status: 400 invalidParameters, 401 unauthorized, 404 notFound, 408
// requestTimeout, 500 internalError, 503 maintenance, ….)
func (s *Server) FailNextWith(op string, status int, errorCode, details string) {
	s.Add(op, simkit.Fault{Status: status, Code: errorCode, Message: details})
}

// Errors of the test hooks.
var (
	// ErrUnknownOrder: the simulator does not know the orderRef (or has
	// forgotten it after its retention).
	ErrUnknownOrder = errors.New("bankid sim: no such order")
	// ErrFinished: the order is no longer pending.
	ErrFinished = errors.New("bankid sim: order already finished")
)

// pending returns the pending order ref, or an error; s.mu must be held.
func (s *Server) pending(ref string) (*order, error) {
	o := s.lookup(ref)
	if o == nil {
		return nil, ErrUnknownOrder
	}
	if o.status != statusPending {
		return nil, ErrFinished
	}
	return o, nil
}

// withPending runs fn on the pending order ref under the lock.
func (s *Server) withPending(ref string, fn func(o *order, now time.Time)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.pending(ref)
	if err != nil {
		return err
	}
	fn(o, s.cfg.Now())
	return nil
}

// Open is the BankID app picking the order up (a scanned QR code, the
// autostart link): the order's hintCode becomes started.
func (s *Server) Open(orderRef string) error {
	return s.withPending(orderRef, func(o *order, now time.Time) { o.start(now) })
}

// Sign is the signer approving the order in the app: it completes, with
// completion data as from a device at deviceIP.
func (s *Server) Sign(orderRef, deviceIP string) error {
	return s.withPending(orderRef, func(o *order, now time.Time) { s.complete(o, deviceIP, now) })
}

// Decline is the signer cancelling in the app: failed/userCancel.
func (s *Server) Decline(orderRef string) error {
	return s.withPending(orderRef, func(o *order, now time.Time) { o.finish(statusFailed, hintUserCancel, now) })
}

// Expire makes the pending order expire now: failed/expiredTransaction.
func (s *Server) Expire(orderRef string) error {
	return s.withPending(orderRef, func(o *order, now time.Time) { o.finish(statusFailed, hintExpired, now) })
}

// SetHint makes the pending order report hintCode (any word: one from a
// later API version, say) until something else happens to it.
func (s *Server) SetHint(orderRef, hintCode string) error {
	return s.withPending(orderRef, func(o *order, now time.Time) { o.hint, o.activity = hintCode, now })
}

// FailOrder ends the pending order as failed with hintCode (certificateErr,
// startFailed, transactionRiskBlocked, userDeclinedCall, or an unknown one).
func (s *Server) FailOrder(orderRef, hintCode string) error {
	return s.withPending(orderRef, func(o *order, now time.Time) { o.finish(statusFailed, hintCode, now) })
}

// Order is a snapshot of one order, for tests.
type Order struct {
	OrderRef       string
	Status         string // pending, failed or complete
	HintCode       string
	PersonalNumber string
	EndUserIP      string
	// UserVisibleData and UserNonVisibleData are decoded from base64.
	UserVisibleData       string
	UserNonVisibleData    string
	UserVisibleDataFormat string
	ReturnURL             string
	QRStartToken          string
	AutoStartToken        string
}

// Orders returns a snapshot of every order the simulator knows.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	refs := make([]string, 0, len(s.orders))
	for ref := range s.orders {
		refs = append(refs, ref)
	}
	s.mu.Unlock()
	var out []Order
	for _, ref := range refs {
		if o, ok := s.Order(ref); ok {
			out = append(out, o)
		}
	}
	return out
}

// Order returns a snapshot of the order, if the simulator knows it.
func (s *Server) Order(orderRef string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookup(orderRef)
	if o == nil {
		return Order{}, false
	}
	vis, _ := base64.StdEncoding.DecodeString(o.visibleData)
	nonVis, _ := base64.StdEncoding.DecodeString(o.nonVisibleData)
	return Order{
		OrderRef: o.ref, Status: o.status, HintCode: o.hint, PersonalNumber: o.pnr, EndUserIP: o.endUserIP,
		UserVisibleData: string(vis), UserNonVisibleData: string(nonVis), UserVisibleDataFormat: o.format,
		ReturnURL: o.returnURL, QRStartToken: o.qrStartToken, AutoStartToken: o.autoStartToken,
	}, true
}
