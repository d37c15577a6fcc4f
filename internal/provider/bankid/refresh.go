package bankid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid/errcode"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Refresh collects every open order of the session's signers (POST
// /collect) and reports each signer's progress in Update.Signers: IN_PROGRESS
// once the app has their order, SIGNED with BankID's completion data as
// the signer's Evidence, FAILED with a reason when they declined or
// BankID refused them. BankID hands a finished order out once, so a
// completion is reported the first time a collect returns it, before
// anything else: Signet stores it with the signer's status in one write,
// and FetchDocument builds the signed document from it later without
// asking BankID again.
//
// An order that timed out unpicked (startFailed, expiredTransaction), that
// BankID cancelled for another order of the same person, or that BankID no
// longer knows ends the attempt, not the session: it leaves the state
// (Update.State), and the signer's page starts another when the signer is
// there. Update.Status is COMPLETED when every signer has signed, FAILED
// when one failed, IN_PROGRESS when one is at it, else PENDING.
func (a *Adapter) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	st, err := ParseState(ref.State, ref.Ref)
	if err != nil {
		return signing.Update{}, &signing.ProviderError{Provider: Name, Op: httpx.OpRefresh, Message: "the session's BankID state is unreadable", Err: err}
	}
	var (
		u         signing.Update
		changed   bool
		words     []string
		collected int
		evidences []json.RawMessage
	)
	signedBefore := 0
signers:
	for i := range st.Signers {
		sg := &st.Signers[i]
		if i < len(ref.Signers) && ref.Signers[i].Status.Terminal() {
			if ref.Signers[i].Status == signing.SignerSigned {
				signedBefore++
			}
			continue
		}
		if sg.Order == nil {
			continue
		}
		c, err := a.collectOrder(ctx, httpx.OpRefresh, sg.Order.OrderRef)
		switch {
		case errors.Is(err, signing.ErrNotFound):
			// Collected elsewhere, kept past BankID's retention, or gone:
			// this attempt is over.
			sg.Order, changed = nil, true
			words = append(words, signerWords(i, len(st.Signers), "No such order"))
			continue
		case err != nil && collected == 0:
			return signing.Update{}, err
		case err != nil:
			// What was collected (perhaps a completion, which BankID will
			// not hand out again) is reported now; the rest next time.
			break signers
		}
		collected++
		words = append(words, signerWords(i, len(st.Signers), providerStatus(c)))
		out, reason := classify(c)
		if out == outSigned {
			if problem := st.checkCompletion(sg, c); problem != "" {
				out, reason = outDeclined, problem
			}
		}
		switch out {
		case outWaiting, outSigning:
			if sg.Order.Hint != c.HintCode {
				sg.Order.Hint, changed = c.HintCode, true
			}
			if out == outSigning {
				u.Signers = append(u.Signers, signing.SignerUpdate{Index: i, Status: signing.SignerInProgress})
			}
		case outSigned:
			ev := evidence(sg.Order.OrderRef, c, a.cfg.Now())
			evidences = append(evidences, ev)
			u.Signers = append(u.Signers, signing.SignerUpdate{Index: i, Status: signing.SignerSigned, Evidence: ev})
			sg.Order, changed = nil, true
		case outTimedOut:
			sg.Order, changed = nil, true
		case outInterrupted:
			sg.Order, sg.Halt, changed = nil, HaltInterrupted, true
		case outDeclined:
			u.Signers = append(u.Signers, signing.SignerUpdate{Index: i, Status: signing.SignerFailed, Reason: reason})
			sg.Order, changed = nil, true
		}
	}
	u.ProviderStatus = httpx.Clip(strings.Join(words, "; "), 500)
	u.Status = sessionStatus(u.Signers, signedBefore, len(st.Signers))
	if u.Status == signing.StatusFailed {
		for _, su := range u.Signers {
			if su.Status == signing.SignerFailed {
				u.Reason = su.Reason
				break
			}
		}
	}
	switch len(evidences) {
	case 0:
	case 1:
		u.Evidence = evidences[0]
	default:
		u.Evidence, _ = json.Marshal(evidences) // valid JSON values
	}
	if changed {
		if u.State, err = st.encode(); err != nil {
			return signing.Update{}, &signing.ProviderError{Provider: Name, Op: httpx.OpRefresh, Message: "cannot encode the state", Err: err}
		}
	}
	return u, nil
}

// sessionStatus is the session's status after the signers' updates, with
// signedBefore of n signers signed already.
func sessionStatus(updates []signing.SignerUpdate, signedBefore, n int) signing.Status {
	signed, active := signedBefore, signedBefore > 0
	for _, su := range updates {
		switch su.Status {
		case signing.SignerFailed:
			return signing.StatusFailed
		case signing.SignerSigned:
			signed++
		}
		active = true
	}
	switch {
	case signed >= n:
		return signing.StatusCompleted
	case active:
		return signing.StatusInProgress
	}
	return signing.StatusPending
}

// signerWords prefixes BankID's words with the signer when there are
// several.
func signerWords(i, n int, words string) string {
	if n == 1 {
		return words
	}
	return fmt.Sprintf("signer %d: %s", i+1, words)
}

// checkCompletion says what is wrong with a completed order of sg, or "":
// BankID must report the person Signet asked for, and the signature must
// cover the text Signet sent (which names the document's SHA-256).
func (st State) checkCompletion(sg *SignerState, c *collectResponse) string {
	cd := c.CompletionData
	if sg.PersonalNumber != "" && strings.TrimSpace(cd.User.PersonalNumber) != sg.PersonalNumber {
		return "BankID reports a signer other than the personal number Signet asked for"
	}
	sig, err := decodeBase64(cd.Signature)
	if err != nil {
		return "BankID's signature is not base64"
	}
	if cd.OCSPResponse != "" {
		if _, err := decodeBase64(cd.OCSPResponse); err != nil {
			return "BankID's OCSP response is not base64"
		}
	}
	if st.UserVisibleData == "" {
		return ""
	}
	signedText, err := signedVisibleData(sig)
	if err != nil {
		return "BankID's signature is not readable XML"
	}
	want, _ := decodeBase64(st.UserVisibleData)
	if signedText != nil && !bytes.Equal(signedText, want) {
		return "BankID's signature does not cover the text Signet sent (document name and SHA-256)"
	}
	return ""
}

// Cancel cancels every order of the session's signers that may still run
// at BankID (POST /cancel). An order BankID no longer knows, or has
// already finished, cannot be signed any more either: that is success.
func (a *Adapter) Cancel(ctx context.Context, ref signing.ProviderRef) error {
	st, err := ParseState(ref.State, ref.Ref)
	if err != nil {
		return nil // no state, no order: nothing runs at BankID
	}
	var errs []error
	for _, sg := range st.Signers {
		if sg.Order == nil {
			continue
		}
		err := a.post(ctx, httpx.OpCancel, "/cancel", orderRequest{OrderRef: sg.Order.OrderRef}, nil, true)
		if code := errorCode(err); code == errcode.InvalidParameters || code == errcode.NotFound {
			continue // already cancelled, finished or gone
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ParseCallback always fails: BankID never calls back. Relying parties
// poll /collect (Signet every 2 s while an order is open), so anything
// arriving at /callbacks/bankid is not from BankID. It wraps
// signing.ErrNotFound (there is no BankID callback endpoint) and
// signing.ErrUnauthorized (nothing there can be trusted).
func (a *Adapter) ParseCallback(http.Header, []byte) (signing.Callback, error) {
	return signing.Callback{}, errNoCallbacks
}

var errNoCallbacks = fmt.Errorf("bankid: BankID sends no callbacks (orders are collected): %w (%w)", signing.ErrNotFound, signing.ErrUnauthorized)

// collectOrder calls /collect for an order. An answer that cannot be read
// is retryable: collecting has no side effects. A completion is kept in
// memory for a while and answered again for a collect BankID answers "No
// such order", as it does after handing the completion out once: a
// second, concurrent collect of this process then sees the completion
// too rather than losing it.
func (a *Adapter) collectOrder(ctx context.Context, op, orderRef string) (*collectResponse, error) {
	id := strings.TrimSpace(orderRef)
	if id == "" {
		return nil, fmt.Errorf("bankid %s: %w: no orderRef", op, signing.ErrInvalid)
	}
	var raw json.RawMessage
	if err := a.post(ctx, op, "/collect", orderRequest{OrderRef: id}, &raw, true); err != nil {
		if c := a.recall(id); c != nil && errors.Is(err, signing.ErrNotFound) {
			return c, nil
		}
		return nil, err
	}
	c, err := parseCollect(raw)
	if err != nil {
		return nil, &signing.ProviderError{Provider: Name, Op: op, Retryable: true, StatusCode: http.StatusOK,
			Message: "BankID's collect answer is not usable", Err: err}
	}
	if c.OrderRef != "" && c.OrderRef != id {
		return nil, &signing.ProviderError{Provider: Name, Op: op, Retryable: true, StatusCode: http.StatusOK,
			Message: "BankID answered about another order"}
	}
	if c.Status == statusComplete {
		a.remember(id, c)
	}
	return c, nil
}

// completionMemory is how long a collected completion is kept in memory.
const completionMemory = 10 * time.Minute

// remember keeps a completion collected for orderRef.
func (a *Adapter) remember(orderRef string, c *collectResponse) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	for ref, k := range a.completions {
		if now.Sub(k.at) > completionMemory {
			delete(a.completions, ref)
		}
	}
	a.completions[orderRef] = keptCompletion{c: c, at: now}
}

// recall returns the completion kept for orderRef, if any.
func (a *Adapter) recall(orderRef string) *collectResponse {
	a.mu.Lock()
	defer a.mu.Unlock()
	k, ok := a.completions[orderRef]
	if !ok || a.cfg.Now().Sub(k.at) > completionMemory {
		return nil
	}
	return k.c
}

// keptCompletion is a completion in memory.
type keptCompletion struct {
	c  *collectResponse
	at time.Time
}
