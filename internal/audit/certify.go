package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/evidence"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// Certifier makes the sealed audit certificates of ended sessions
// (GET /signing/{id}/audit-certificate, CONTRACT.md §7): the certificate
// rendered as a standalone PDF and sealed by Signet like a local document.
type Certifier struct {
	Seal pdf.Signer
	// Limits bound reading the original for its page count
	// (pdf.DefaultLimits if zero).
	Limits pdf.Limits
	Issuer string
	Now    func() time.Time
}

// Certificate returns the sealed audit certificate of rec.
func (c Certifier) Certificate(ctx context.Context, rec *signing.Record) ([]byte, error) {
	if c.Seal == nil {
		return nil, errors.New("audit: no seal")
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	lim := c.Limits
	if lim == (pdf.Limits{}) {
		lim = pdf.DefaultLimits()
	}
	in := Input{Session: rec.Session, Events: rec.Events, Provider: rec.Provider, Original: rec.Original,
		Evidence: rec.Evidence, EvidenceErr: rec.EvidenceErr, Issuer: c.Issuer, Now: now().UTC()}
	if info, err := lim.Validate(ctx, rec.Original.Content); err == nil {
		in.Pages = info.Pages
	}
	if rec.Signed != nil {
		in.SignedSHA256 = rec.Signed.SHA256
	}
	doc, err := evidence.Render(Build(in))
	if err != nil {
		return nil, fmt.Errorf("audit: rendering the certificate: %w", err)
	}
	sealed, err := c.Seal.Sign(ctx, doc, pdf.SignInfo{Name: "Signet",
		Reason: "Audit certificate of signing session " + rec.Session.ID, ContactInfo: c.Issuer})
	if err != nil {
		// The seal may need a timestamp authority, which may be back soon.
		return nil, signing.Wrap(signing.ErrUnavailable, fmt.Errorf("audit: sealing the certificate: %w", err),
			"the audit certificate could not be sealed now; try again in a minute")
	}
	return sealed, nil
}
