package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
)

// Certifier makes an ended session's sealed audit certificate
// (audit.Certifier).
type Certifier interface {
	Certificate(ctx context.Context, rec *signing.Record) ([]byte, error)
}

// getAuditCertificate serves GET /signing/{id}/audit-certificate
// (CONTRACT.md §7): made afresh on each request, so that it holds every
// event, sealed; 409 while the session is open.
func (s *Server) getAuditCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	rec, err := s.cfg.Service.Record(r.Context(), tenantFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	cert, err := s.cfg.Certifier.Certificate(r.Context(), rec)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(cert)))
	w.Header().Set("Content-Disposition", attachment("audit-certificate-"+rec.Session.ID+".pdf"))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(cert)
	return nil
}

// getVerification serves GET /signing/{id}/verification: the signatures
// in a COMPLETED session's signed document, as Signet finds them (it
// checks each against its own embedded certificate; whether that
// certificate is trusted is the client's call).
func (s *Server) getVerification(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	doc, err := s.cfg.Service.Document(r.Context(), tenantFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	sigs, err := pdf.Verify(doc.Content)
	if err != nil {
		// Signet stored it, so it parsed once: only a provider's odd
		// file gets here, and it has no signatures Signet can read.
		s.log.Warn("verifying a signed document failed", "session", id, "err", err)
		sigs = nil
	}
	writeJSON(w, http.StatusOK, present.Verification(doc.SHA256, sigs))
	return nil
}
