package bankid

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
)

// State is the adapter-private data kept with a BankID session: what
// every signer approves, and for each signer their page token and their
// current BankID order. Signet's BankID page reads it (ParseState) to
// find the signer by their page token and to draw their QR code.
//
// An order lives in the state from its start (when the signer arrives at
// the page) until a collect reports it finished; its completion data is
// then the signer's evidence (Update.Signers), not state, so that it is
// stored with the signer's SIGNED status in one write.
type State struct {
	// DocumentSHA256 is the hash shown to the signers (hex).
	DocumentSHA256 string `json:"documentSha256"`
	// UserVisibleData is the text sent to BankID for every signer, base64
	// as sent; each signature must cover exactly this.
	UserVisibleData string `json:"userVisibleData"`
	// Signers are the session's signers in signing order.
	Signers []SignerState `json:"signers"`
}

// SignerState is one signer's part of the State.
type SignerState struct {
	// PageToken is the unguessable token in the signer's page URL that
	// lets them (and nobody else) see their page.
	PageToken string `json:"pageToken"`
	// PersonalNumber is the one person allowed to sign as this signer.
	PersonalNumber string `json:"personalNumber"`
	// EndUserIP is sent as endUserIp with the signer's orders.
	EndUserIP string `json:"endUserIp"`
	// Order is the signer's current order; nil when none is running.
	Order *Order `json:"order,omitempty"`
	// ClaimedAt is when a caller claimed starting an order (Unix ms): no
	// other starts one until startLease has passed.
	ClaimedAt int64 `json:"claimedAt,omitempty"`
	// RetryAt is the earliest time an order is started again without the
	// signer asking (Unix ms), after BankID could not be reached.
	RetryAt int64 `json:"retryAt,omitempty"`
	// AutoStarts counts the orders started since the signer last asked
	// (opened or reloaded the page): each replaces one that timed out.
	AutoStarts int `json:"autoStarts,omitempty"`
	// Halt says why no order is started until the signer asks again
	// (one of the Halt constants), "" when nothing holds them back.
	Halt string `json:"halt,omitempty"`
	// Detail is BankID's words about the last failure, for the page.
	Detail string `json:"detail,omitempty"`
}

// Order is one BankID order of a signer.
type Order struct {
	OrderRef string `json:"orderRef"`
	// AutoStartToken starts the BankID app on the signer's own device.
	AutoStartToken string `json:"autoStartToken"`
	// QRStartToken and QRStartSecret make the animated QR code.
	QRStartToken  string `json:"qrStartToken"`
	QRStartSecret string `json:"qrStartSecret"`
	// StartedAt is when BankID accepted the order (Unix seconds); the QR
	// code's time is counted from it.
	StartedAt int64 `json:"startedAt"`
	// Hint is the last collect's hintCode ("" before the first collect).
	Hint string `json:"hint,omitempty"`
}

// Why a signer's page starts no order until the signer asks again.
const (
	// HaltBusy: BankID refused the order (alreadyInProgress): another
	// order is in progress for the same person, in another session or
	// another service. BankID cancelled that one too; starting again by
	// itself could cancel the person's next one while they sign it.
	HaltBusy = "busy"
	// HaltInterrupted: BankID cancelled the signer's order because
	// another order for the same person was started elsewhere.
	HaltInterrupted = "interrupted"
	// HaltTimedOut: the signer left maxAutoStarts orders in a row
	// unanswered (never stored: Held derives it).
	HaltTimedOut = "timedOut"
	// HaltRefused: BankID refused to start the order for another reason
	// (Detail says which).
	HaltRefused = "refused"
)

// Started reports whether the BankID app has picked the order up (QR code
// scanned or app opened): the signer is at it.
func (o *Order) Started() bool {
	return o != nil && o.Hint != "" && o.Hint != "outstandingTransaction" && o.Hint != "noClient"
}

// legacyState is the state of sessions made before orders started at the
// page: one signer, whose order was started with the session and whose
// orderRef is the session's ProviderRef.
type legacyState struct {
	AutoStartToken string `json:"autoStartToken"`
	QRStartToken   string `json:"qrStartToken"`
	QRStartSecret  string `json:"qrStartSecret"`
	StartedAt      int64  `json:"startedAt"`
	PageToken      string `json:"pageToken"`
	PersonalNumber string `json:"personalNumber"`
}

// ParseState reads a session's provider state. providerRef is the
// session's ProviderRef, which names the order of a session made by an
// earlier release (those started their one order with the session).
func ParseState(raw json.RawMessage, providerRef string) (State, error) {
	var s State
	if err := json.Unmarshal(raw, &s); err != nil {
		return State{}, fmt.Errorf("bankid: provider state: %w", err)
	}
	if len(s.Signers) == 0 {
		var old legacyState
		_ = json.Unmarshal(raw, &old) // it parsed as an object above
		if old.PageToken == "" || old.QRStartToken == "" {
			return State{}, errors.New("bankid: provider state has no signers")
		}
		s.Signers = []SignerState{{PageToken: old.PageToken, PersonalNumber: old.PersonalNumber, Order: &Order{
			OrderRef: providerRef, AutoStartToken: old.AutoStartToken, QRStartToken: old.QRStartToken,
			QRStartSecret: old.QRStartSecret, StartedAt: old.StartedAt}}}
	}
	for i, sg := range s.Signers {
		if sg.PageToken == "" {
			return State{}, fmt.Errorf("bankid: provider state: signer %d has no page token", i+1)
		}
		if o := sg.Order; o != nil && (o.OrderRef == "" || o.QRStartToken == "" || o.QRStartSecret == "") {
			return State{}, fmt.Errorf("bankid: provider state: signer %d's order lacks its reference or QR secrets", i+1)
		}
	}
	return s, nil
}

// Signer finds the signer whose page token is token, comparing in
// constant time; -1 if none.
func (s State) Signer(token string) int {
	found := -1
	for i, sg := range s.Signers {
		if httpx.SameSecret(token, sg.PageToken) {
			found = i
		}
	}
	return found
}

// encode writes s as the provider state.
func (s State) encode() (json.RawMessage, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("bankid: provider state: %w", err)
	}
	return b, nil
}

// Held says why no order is started for the signer until they ask again
// (a Halt constant; HaltTimedOut once maxAutoStarts orders in a row went
// unanswered), or "" if nothing holds them back.
func (sg *SignerState) Held() string {
	if sg.Halt == "" && sg.AutoStarts >= maxAutoStarts {
		return HaltTimedOut
	}
	return sg.Halt
}

// Live reports whether the signer has an order that may still be running
// at BankID at now. An order older than orderLife has surely ended there
// (BankID expires it), even if no collect said so.
func (sg *SignerState) Live(now time.Time) bool {
	return sg.Order != nil && now.Unix() < sg.Order.StartedAt+int64(orderLife/time.Second)
}

// The times around starting orders.
const (
	// orderLife bounds how long an order can run at BankID: three minutes
	// after it was picked up at most, with a margin.
	orderLife = 4 * time.Minute
	// maxAutoStarts is how many orders in a row the page starts by itself,
	// each when the one before timed out unscanned (30 s at BankID):
	// about three minutes of QR code, then the signer presses Start again.
	maxAutoStarts = 5
	// retryDelay is how long the page waits before it tries again by
	// itself after BankID could not be reached.
	retryDelay = 5 * time.Second
)
