package bankid

import (
	"github.com/signet-dev/signet/internal/provider/httpx"
)

// outcome is what one collect answer means for the signer whose order it
// is. Orders are attempts: one that times out or is interrupted ends the
// attempt, not the session (the session has its own deadline, and the
// signer's page starts another order).
type outcome int

// The outcomes of a collect.
const (
	// outWaiting: the order exists; the app has not picked it up (or a
	// pending hint Signet does not know). Nothing new.
	outWaiting outcome = iota
	// outSigning: the signer has the order in the app.
	outSigning
	// outSigned: the order is complete.
	outSigned
	// outTimedOut: nobody picked the order up in time (startFailed), or the
	// signer left it (expiredTransaction). The signer may start again.
	outTimedOut
	// outInterrupted: BankID cancelled the order because another one for the
	// same person started (Signet cancels only orders of ended sessions,
	// which it no longer collects). The signer may start again when they
	// ask.
	outInterrupted
	// outDeclined: the signer said no, or BankID would not let them sign;
	// the signer fails with a reason.
	outDeclined
)

// collectTable is the one table from BankID's collect vocabulary
// (status/hintCode) onto outcomes, with the reason of a decline. A
// complete order is signed whatever its hintCode; answers not in the
// table are handled by classify: an unknown pending hint is waiting, an
// unknown failed hint a decline naming the code.
var collectTable = map[string]struct {
	outcome outcome
	reason  string
}{
	"pending/outstandingTransaction": {outcome: outWaiting},
	"pending/noClient":               {outcome: outWaiting},
	"pending/started":                {outcome: outSigning},
	"pending/userSign":               {outcome: outSigning},
	"pending/userMrtd":               {outcome: outSigning},
	"pending/userCallConfirm":        {outcome: outSigning},
	"pending/processing":             {outcome: outSigning},
	"failed/expiredTransaction":      {outcome: outTimedOut},
	"failed/startFailed":             {outcome: outTimedOut},
	"failed/cancelled":               {outcome: outInterrupted},
	"failed/userCancel":              {outcome: outDeclined, reason: "The signer declined to sign in the BankID app"},
	"failed/userDeclinedCall":        {outcome: outDeclined, reason: "The signer declined the BankID verification call"},
	"failed/certificateErr":          {outcome: outDeclined, reason: "The signer's BankID is blocked, revoked or not valid for signing"},
	"failed/notSupportedByUserApp":   {outcome: outDeclined, reason: "The signer's BankID app is too old for this order; it must be updated"},
	"failed/transactionRiskBlocked":  {outcome: outDeclined, reason: "BankID blocked the signing as too risky"},
}

// classify maps a parsed collect answer with collectTable; reason is set
// for outDeclined.
func classify(c *collectResponse) (outcome, string) {
	if c.Status == statusComplete {
		return outSigned, ""
	}
	if e, ok := collectTable[c.Status+"/"+c.HintCode]; ok {
		return e.outcome, e.reason
	}
	if c.Status == statusFailed {
		code := httpx.Clip(c.HintCode, 100)
		if code == "" {
			code = "no hintCode"
		}
		return outDeclined, "BankID reported the signing failed (" + code + ")"
	}
	// pending with a hint Signet does not know (a later API version), or a
	// status it does not know: nothing new.
	return outWaiting, ""
}

// providerStatus is the audit trail's record of BankID's words, e.g.
// "pending/userSign".
func providerStatus(c *collectResponse) string {
	s := httpx.Clip(c.Status, 40)
	if c.HintCode != "" {
		s += "/" + httpx.Clip(c.HintCode, 60)
	}
	return s
}
