package sim

import (
	"net/http"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// skin is the look and words of the simulated Aadhaar eSign page.
var skin = &simkit.Skin{
	Name:   "Signzy eSign (sandbox)",
	Banner: "Signzy sandbox: this page simulates the Aadhaar eSign journey. Nothing is sent to UIDAI.",
	Ink:    "#1a237e", Paper: "#f4f6fb", Accent: "#1a237e",
	Sign: "Sign with Aadhaar", Decline: "Decline",
}

// signerDone reports whether the signer has nothing left to do.
func signerDone(c *contract, sg *signer) bool {
	return c.finished() || sg.status == signerSigned || sg.status == signerCancelled || sg.status == signerFailed
}

// findSigner returns the live contract and signer of a signerId; s.mu
// must be held.
func (s *Server) findSigner(signerID string) (*contract, *signer) {
	c := s.lookup(s.signers[signerID])
	if c == nil {
		return nil, nil
	}
	return c, c.signer(signerID)
}

// lockSigner locks s.mu and returns the contract and signer of signerID,
// still locked, when the signer may act. Otherwise it unlocks, answers the
// request itself and returns false.
func (s *Server) lockSigner(w http.ResponseWriter, r *http.Request, signerID string) (*contract, *signer, bool) {
	s.mu.Lock()
	c, sg := s.findSigner(signerID)
	if n := closedNotice(c, sg); n != nil {
		s.mu.Unlock()
		skin.Refuse(w, r, *n)
		return nil, nil, false
	}
	return c, sg, true
}

// page handles GET /api/v3/contract/esign/{signerId}: the signer's link.
// Opening it starts an Aadhaar eSign attempt, so that a pull now reports
// the signer as in progress.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	c, sg, ok := s.lockSigner(w, r, r.PathValue("signerId"))
	if !ok {
		return
	}
	sg.openAttempt()
	if sg.status == signerPending {
		sg.status = signerInProgress
	}
	sg.ip = simkit.ClientIP(r)
	p := simkit.Page{
		Title: "Sign " + c.name,
		Facts: []simkit.Fact{
			{Label: "Contract", Value: c.name},
			{Label: "From", Value: c.executer},
			{Label: "Signer", Value: sg.name},
			{Label: "Signature", Value: sg.signatureType + " via " + c.eSignProvider},
			{Label: "Valid until", Value: humanTime(c.expires) + " IST"},
			{Label: "Document", Value: "View the contract (PDF)", Link: s.fileURL(c, c.originalHash+".pdf")},
		},
		Form: &simkit.Form{Hidden: []simkit.Input{{Name: "signerId", Value: sg.id}}},
	}
	s.mu.Unlock()
	skin.Render(w, http.StatusOK, p)
}

// submit handles the page's form: action=sign or action=decline. The
// signer then goes to the contract's success or failure redirect, which
// initiate requires, so the closing page is not shown.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	skin.Submit(w, r, "signerId", s.sign, s.decline, simkit.Notice{Status: http.StatusOK, Title: "Done", Message: "Your response has been recorded. You may close this page."})
}

// decline records the signer's refusal, ends the contract, calls back and
// returns the failure redirect. It answers the request itself when it
// cannot (and returns false).
func (s *Server) decline(w http.ResponseWriter, r *http.Request, signerID string) (string, bool) {
	c, sg, ok := s.lockSigner(w, r, signerID)
	if !ok {
		return "", false
	}
	now := s.cfg.Now()
	sg.status = signerCancelled
	sg.cancelMessage = declineMessage
	sg.lastSignTime = now
	sg.ip = simkit.ClientIP(r)
	c.status, c.cancelled, c.ended = contractCancelled, now, now
	ds := s.prepareCallbacks(c, sg)
	target := c.failureURL
	s.mu.Unlock()
	s.Notifier.Send(ds...)
	return target, true
}

// closedNotice says why the signer cannot act (an unknown or expired
// link, or a finished contract), or nil if they can; s.mu must be held.
func closedNotice(c *contract, sg *signer) *simkit.Notice {
	if c == nil || sg == nil {
		return &simkit.Notice{Status: http.StatusNotFound, Title: "Link not valid", Message: "This signing link is not valid or the contract has expired."}
	}
	if signerDone(c, sg) {
		return &simkit.Notice{Status: http.StatusConflict, Title: "Already finished", Message: "This contract is already finished; nothing was changed."}
	}
	return nil
}
