package sim

import (
	"time"

	"github.com/google/uuid"
)

// Collect statuses and the hint codes the simulator uses.
const (
	statusPending  = "pending"
	statusFailed   = "failed"
	statusComplete = "complete"

	hintOutstanding = "outstandingTransaction"
	hintStarted     = "started"
	hintUserSign    = "userSign"
	hintExpired     = "expiredTransaction"
	hintStartFailed = "startFailed"
	hintUserCancel  = "userCancel"
	hintCancelled   = "cancelled"
)

// order is one simulated order.
type order struct {
	ref            string
	autoStartToken string
	qrStartToken   string
	qrStartSecret  string
	pnr            string // requirement.personalNumber; "" lets anyone sign
	endUserIP      string
	visibleData    string // base64, as sent
	nonVisibleData string // base64, as sent
	format         string
	returnURL      string

	status, hint string
	created      time.Time
	activity     time.Time // the last thing that happened, for OrderTTL
	finished     time.Time
	completion   *completionData
	// picked is whether the app picked the order up (QR scanned,
	// autostart, opened); until then StartWindow applies.
	picked bool
}

// completionData is the proof of a completed order, as collect shows it.
type completionData struct {
	User            completionUser   `json:"user"`
	Device          completionDevice `json:"device"`
	BankIDIssueDate string           `json:"bankIdIssueDate"`
	Signature       string           `json:"signature"`
	OCSPResponse    string           `json:"ocspResponse"`
}

type completionUser struct {
	PersonalNumber string `json:"personalNumber"`
	Name           string `json:"name"`
	GivenName      string `json:"givenName"`
	Surname        string `json:"surname"`
}

type completionDevice struct {
	IPAddress string `json:"ipAddress"`
	UHI       string `json:"uhi"`
}

// collectView is a collect answer.
type collectView struct {
	OrderRef       string          `json:"orderRef"`
	Status         string          `json:"status"`
	HintCode       string          `json:"hintCode,omitempty"`
	CompletionData *completionData `json:"completionData,omitempty"`
}

func (o *order) view() collectView {
	v := collectView{OrderRef: o.ref, Status: o.status, HintCode: o.hint}
	if o.status == statusComplete {
		v.HintCode = "" // BankID sends no hintCode with complete
		v.CompletionData = o.completion
	}
	return v
}

// finish ends a pending order.
func (o *order) finish(status, hint string, now time.Time) {
	o.status, o.hint, o.finished, o.activity = status, hint, now, now
}

// waiting reports whether the app has not picked the pending order up.
func (o *order) waiting() bool {
	return o.status == statusPending && !o.picked
}

// start is the app picking the order up (QR scanned, autostart, opened).
func (o *order) start(now time.Time) {
	if o.waiting() {
		o.hint = hintStarted
	}
	o.picked = true
	o.activity = now
}

// lookup returns the live order ref, expiring or forgetting it first as
// its age says; nil if there is none. s.mu must be held.
func (s *Server) lookup(ref string) *order {
	o := s.orders[ref]
	if o == nil {
		return nil
	}
	now := s.cfg.Now()
	if s.age(o, now) {
		delete(s.orders, ref)
		return nil
	}
	return o
}

// age applies time to o: an order the app did not pick up within
// StartWindow fails with startFailed, a started one without action for
// OrderTTL with expiredTransaction; a finished one past its retention is
// to be forgotten (true).
func (s *Server) age(o *order, now time.Time) bool {
	switch {
	case o.waiting() && !now.Before(o.created.Add(s.cfg.StartWindow)):
		o.finish(statusFailed, hintStartFailed, o.created.Add(s.cfg.StartWindow))
	case o.status == statusPending && !now.Before(o.activity.Add(s.cfg.OrderTTL)):
		o.finish(statusFailed, hintExpired, o.activity.Add(s.cfg.OrderTTL))
	}
	switch o.status {
	case statusComplete:
		return !now.Before(o.finished.Add(s.cfg.CompletedRetention))
	case statusFailed:
		return !now.Before(o.finished.Add(s.cfg.FailedRetention))
	}
	return false
}

// sweep ages every order, forgetting the old ones. s.mu must be held.
func (s *Server) sweep(now time.Time) {
	for ref, o := range s.orders {
		if s.age(o, now) {
			delete(s.orders, ref)
		}
	}
}

func newUUID() string { return uuid.NewString() }
