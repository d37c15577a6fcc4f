package sim

import (
	"net/http"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// file handles GET /api/files/{contractId}/download/{file}: the original
// contract ({initialContractHash}.pdf), the signed contract after each
// signer ({hash}.pdf), and the audit certificate (audit-{hash}.pdf).
// Like Signzy's persist links it takes no token.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	if s.Inject(w, r, OpDownload) {
		return
	}
	name := r.PathValue("file")
	s.mu.Lock()
	var body []byte
	if c := s.lookup(r.PathValue("contractId")); c != nil {
		body = c.fileNamed(name)
	}
	s.mu.Unlock()
	if body == nil {
		writeError(w, http.StatusNotFound, "", "File not found")
		return
	}
	simkit.WritePDF(w, r, body, name, true)
}

// fileNamed returns the PDF a download link names, or nil. The bytes are
// never changed after they are stored, so they may be used after the
// lock is released.
func (c *contract) fileNamed(name string) []byte {
	switch {
	case name == c.originalHash+".pdf":
		return c.original
	case c.audit != nil && name == "audit-"+c.auditHash+".pdf":
		return c.audit
	}
	for _, sg := range c.signers {
		if sg.signedPDF != nil && name == sg.signedPDFHash+".pdf" {
			return sg.signedPDF
		}
	}
	return nil
}
