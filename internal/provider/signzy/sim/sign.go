package sim

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// sign completes the signer's Aadhaar eSign: the eSign service signs the
// contract as it stands (the original, or the file the previous signer
// signed) with a certificate naming the signer, by incremental update so
// that earlier signatures stay valid. Once every signer signed, the
// contract is completed, with the final signed contract and a separate
// audit certificate. It calls back and returns the success redirect; it
// answers the request itself when it cannot (and returns false).
//
// The PDF work runs without the lock; if the contract changed meanwhile
// (another signer of it signed), it is redone on the new state.
func (s *Server) sign(w http.ResponseWriter, r *http.Request, signerID string) (string, bool) {
	for range 3 {
		c, sg, ok := s.lockSigner(w, r, signerID)
		if !ok {
			return "", false
		}
		now := s.cfg.Now()
		ip := simkit.ClientIP(r)
		base, baseHash := c.original, c.signedHash
		if c.signed != nil {
			base = c.signed
		}
		last := c.countSigners(signerSigned) == len(c.signers)-1
		sig := eSignature(c, sg)
		original := c.original
		audit := auditLines(c, sg, now, ip)
		s.mu.Unlock()

		signed, err := s.ESigner.Sign(r.Context(), base, sig)
		var certificate []byte
		if err == nil && last {
			certificate, err = auditCertificate(original, append(audit,
				"Final signed contract SHA-256: "+simkit.SHA256Hex(signed)))
		}
		if err != nil {
			skin.Notice(w, simkit.Notice{Status: http.StatusInternalServerError, Title: "Signing failed", Message: "The eSign service could not sign this document."})
			return "", false
		}

		s.mu.Lock()
		c2, sg2 := s.findSigner(signerID)
		if c2 != c || sg2 != sg || signerDone(c, sg) || c.signedHash != baseHash {
			s.mu.Unlock()
			continue // changed meanwhile: look again
		}
		s.markSigned(c, sg, signed, now, ip)
		if last {
			c.status, c.completed, c.ended = contractCompleted, now, now
			c.audit, c.auditHash = certificate, simkit.SHA256Hex(certificate)
			s.retained.Add(c.id, c, int64(len(certificate)))
		}
		ds := s.prepareCallbacks(c, sg)
		target := c.successURL
		s.mu.Unlock()
		s.Notifier.Send(ds...)
		return target, true
	}
	skin.Notice(w, simkit.Notice{Status: http.StatusServiceUnavailable, Title: "Busy", Message: "The contract is being signed by someone else; please try again."})
	return "", false
}

// markSigned records a successful Aadhaar eSign; s.mu must be held.
func (s *Server) markSigned(c *contract, sg *signer, signed []byte, now time.Time, ip string) {
	a := sg.openAttempt()
	a.aadhaarState, a.errorMessage, a.aadhaarError = "1", "NA", ""
	a.dsc = certifiedData(sg)
	sg.status = signerSigned
	sg.aadhaarStatus, sg.aadhaarError, sg.errorMessage = "1", "", ""
	sg.successes++
	sg.lastSignTime = now
	sg.ip = ip
	sg.signedPDF, sg.signedPDFHash = signed, simkit.SHA256Hex(signed)
	c.signed, c.signedHash = signed, sg.signedPDFHash
	s.retained.Add(c.id, c, int64(len(signed)))
}

// eSignProvider names the simulated eSign service in its certificates.
const eSignProvider = "Signzy Sandbox eSign"

// eSignature is what the eSign service certifies of the signer: the name
// they were initiated with (the sandbox has no Aadhaar record to take it
// from) and the state of their made-up Aadhaar address.
func eSignature(c *contract, sg *signer) simkit.ESignature {
	return simkit.ESignature{
		Name:   sg.name,
		State:  certifiedData(sg).State,
		Reason: fmt.Sprintf("Aadhaar eSign (%s, %s) for contract %s", c.eSignProvider, sg.signatureType, c.name),
	}
}

// auditCertificate is Signzy's audit certificate, a file of its own: the
// original contract followed by a page of the audit trail. It is built on
// the original, not the signed file, whose signatures a page added by
// rewriting would break.
func auditCertificate(original []byte, lines []string) ([]byte, error) {
	return pdf.AppendPage(original, lines)
}

// auditLines is the audit certificate's text, as it will read once sg
// signed at now.
func auditLines(c *contract, sg *signer, now time.Time, ip string) []string {
	lines := []string{
		"Signzy sandbox - audit certificate",
		"",
		"Contract: " + c.name,
		"Contract ID: " + c.id,
		"Initiated by: " + c.executer,
		"Created: " + humanTime(c.created) + " IST",
		"Initial contract SHA-256: " + c.originalHash,
		"",
	}
	for _, x := range c.signers {
		when, from := x.lastSignTime, x.ip
		if x == sg {
			when, from = now, ip
		}
		lines = append(lines,
			"Signer: "+x.name+" ("+x.id+")",
			"  Signed "+humanTime(when)+" IST from "+from+" with "+x.signatureType+" via "+c.eSignProvider,
		)
	}
	return append(lines, "")
}

// certifiedData is the simulated eSign certificate's view of the signer:
// what they declared, plus stable made-up Aadhaar identifiers.
func certifiedData(sg *signer) *dscData {
	token := simkit.SHA256Hex([]byte("aadhaar-token:" + sg.id))
	gender := strings.ToUpper(sg.gender)
	if len(gender) > 0 {
		gender = gender[:1]
	}
	return &dscData{
		State:                "KARNATAKA",
		Pincode:              "560001",
		DNQualifier:          token[:16],
		YOB:                  sg.yob,
		Gender:               gender,
		UIDLastFourDigits:    sg.uid,
		X500UniqueIdentifier: simkit.SHA256Hex([]byte("x500:" + sg.id)),
		AadhaarToken:         token,
		Pseudonym:            token[16:48],
		AadhaarType:          "PERSONAL",
		Country:              "IN",
		Name:                 strings.ToUpper(sg.name),
	}
}
