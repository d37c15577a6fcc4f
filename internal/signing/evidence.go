package signing

import (
	"context"
	"time"
)

// Evidencer is a provider with evidence of its own for a session's audit
// certificate (CONTRACT.md §7): how it identified each signer, in its own
// words, and files such as BankID's signature XML and OCSP response or
// Signzy's audit certificate. It reads what Signet keeps of the session
// (each signer's Evidence, the adapter's State) and may fetch from the
// provider what it only links to.
type Evidencer interface {
	Evidence(ctx context.Context, ref ProviderRef) (ProviderEvidence, error)
}

// ProviderEvidence is what an Evidencer adds to a certificate.
type ProviderEvidence struct {
	// Signers are by signing order; the list may be shorter than the
	// session's, and an empty entry adds nothing.
	Signers []SignerIdentity
	Files   []EvidenceFile
}

// SignerIdentity says how a provider identified one signer.
type SignerIdentity struct {
	// Method is the identification, e.g. "Swedish BankID"; empty leaves
	// the provider's usual one.
	Method string
	// Facts are what the identification established, in order, e.g. the
	// name BankID returned and the personal number with all but the birth
	// date masked.
	Facts []Fact
}

// Fact is a labelled value on a certificate.
type Fact struct {
	Label, Value string
}

// EvidenceFile is one file of a provider's evidence.
type EvidenceFile struct {
	Name        string // for people, e.g. "BankID signature (XML)"
	Description string
	FileName    string
	ContentType string
	Content     []byte
	// Missing says why Content could not be had; the certificate says so
	// in its place.
	Missing string
}

// Record is a session that has ended with everything Signet keeps of it:
// what its audit certificate is made of.
type Record struct {
	Session  *Session
	Events   []AuditEntry
	Original Document
	// Signed is the signed document of a COMPLETED session, else nil.
	Signed *Document
	// Provider describes the session's provider; only its Name when the
	// provider is no longer configured.
	Provider ProviderInfo
	Evidence ProviderEvidence
	// EvidenceErr says why the provider's evidence could not be had (the
	// certificate is made without it, and says so).
	EvidenceErr error
}

// evidenceTimeout bounds the provider's part of a certificate, which may
// fetch a file from the provider while a client waits.
const evidenceTimeout = 20 * time.Second

// Record gathers an ended session's record for its audit certificate;
// ErrConflict while the session is open.
func (s *Service) Record(ctx context.Context, tenantID, id string) (*Record, error) {
	sess, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if !sess.Status.Terminal() {
		return nil, Errorf(ErrConflict, "the session is %s; its audit certificate exists once it has ended (COMPLETED, FAILED, EXPIRED or CANCELLED)", sess.Status)
	}
	rec := &Record{Session: sess, Provider: ProviderInfo{Name: sess.Provider}}
	if rec.Events, err = s.cfg.Store.AuditTrail(ctx, tenantID, id); err != nil {
		return nil, err
	}
	if rec.Original, err = s.cfg.Store.Document(ctx, tenantID, id, DocumentOriginal); err != nil {
		return nil, err
	}
	if sess.Status == StatusCompleted {
		signed, err := s.cfg.Store.Document(ctx, tenantID, id, DocumentSigned)
		if err != nil {
			return nil, err
		}
		rec.Signed = &signed
	}
	p, ok := s.cfg.Providers.Provider(sess.Provider)
	if !ok {
		return rec, nil
	}
	rec.Provider = p.Info()
	if ev, ok := p.(Evidencer); ok {
		ctx, cancel := context.WithTimeout(ctx, evidenceTimeout)
		defer cancel()
		start := time.Now()
		rec.Evidence, rec.EvidenceErr = ev.Evidence(ctx, s.ref(sess))
		s.observe(sess.Provider, "evidence", start, rec.EvidenceErr)
	}
	return rec, nil
}
