package bankid

import (
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// outcome is what one collect answer means for a session.
type outcome struct {
	status signing.Status // PENDING means "nothing new"
	reason string         // for FAILED: readable, for the signer's client
}

// collectTable is the one table from BankID's collect vocabulary
// (status/hintCode) onto Signet's statuses. A complete order is COMPLETED
// whatever its hintCode; answers not in the table are handled by
// mapCollect: an unknown pending hint changes nothing, an unknown failed
// hint fails the session naming the code.
var collectTable = map[string]outcome{
	// The order exists; the app has not picked it up yet.
	"pending/outstandingTransaction": {status: signing.StatusPending},
	"pending/noClient":               {status: signing.StatusPending},
	// The signer has the order in the app.
	"pending/started":         {status: signing.StatusInProgress},
	"pending/userSign":        {status: signing.StatusInProgress},
	"pending/userMrtd":        {status: signing.StatusInProgress},
	"pending/userCallConfirm": {status: signing.StatusInProgress},
	"pending/processing":      {status: signing.StatusInProgress},
	// Nobody signed in time, or the app could not start the order.
	"failed/expiredTransaction": {status: signing.StatusExpired},
	"failed/startFailed":        {status: signing.StatusExpired},
	// The signer said no.
	"failed/userCancel":       {status: signing.StatusFailed, reason: "The signer declined to sign in the BankID app"},
	"failed/userDeclinedCall": {status: signing.StatusFailed, reason: "The signer declined the BankID verification call"},
	// The order was cancelled: by Signet, or by BankID because another
	// order for the same person started.
	"failed/cancelled": {status: signing.StatusCancelled},
	// BankID would not let this signer sign.
	"failed/certificateErr":         {status: signing.StatusFailed, reason: "The signer's BankID is blocked, revoked or not valid for signing"},
	"failed/notSupportedByUserApp":  {status: signing.StatusFailed, reason: "The signer's BankID app is too old for this order; it must be updated"},
	"failed/transactionRiskBlocked": {status: signing.StatusFailed, reason: "BankID blocked the signing as too risky"},
}

// mapCollect maps a parsed collect answer with collectTable.
func mapCollect(c *collectResponse) outcome {
	if c.Status == statusComplete {
		return outcome{status: signing.StatusCompleted}
	}
	if o, ok := collectTable[c.Status+"/"+c.HintCode]; ok {
		return o
	}
	if c.Status == statusFailed {
		code := httpx.Clip(c.HintCode, 100)
		if code == "" {
			code = "no hintCode"
		}
		return outcome{status: signing.StatusFailed, reason: "BankID reported the signing failed (" + code + ")"}
	}
	// pending with a hint Signet does not know (a later API version), or a
	// status it does not know: nothing new.
	return outcome{status: signing.StatusPending}
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
