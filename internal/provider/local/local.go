// Package local is Signet's own signing (CONTRACT.md §6.2): no outside
// provider account, the signer identified by a one-time code e-mailed to
// them, the signature made on Signet's own page, and the signed document
// sealed by Signet (CONTRACT.md §7): the original with a visible mark per
// signer, appended audit pages, and a PAdES signature over the whole file.
//
// Its state is the session's own, inside Signet: the Adapter is a
// signing.Provider whose requests never leave the process. The page
// (package web) records signatures through the signing service; the
// service then asks the Adapter for the signed document (FetchDocument),
// as it does any provider's.
package local

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/signet-dev/signet/internal/audit"
	"github.com/signet-dev/signet/internal/evidence"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// Name is the provider's name in Signet's API.
const Name = "local"

// Method is how local identifies a signer, for the audit trail.
const Method = "E-mail one-time code"

//go:embed schema.json
var schema []byte

// Config configures an Adapter. Seal is required.
type Config struct {
	// Seal signs finished documents (Signet's seal, pdf.PAdES).
	Seal pdf.Signer
	// Limits bound the work on documents (pdf.DefaultLimits if zero).
	Limits pdf.Limits
	// Issuer names Signet in the audit pages ("Signet at https://…").
	Issuer string
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Adapter is provider local.
type Adapter struct {
	cfg Config
}

var _ signing.Provider = (*Adapter)(nil)

// New checks cfg and returns an Adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.Seal == nil {
		return nil, errors.New("local: a seal is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Adapter{cfg: cfg}, nil
}

// Info describes local: every signer needs a name and an e-mail address
// (the code goes there); up to ten signers, in either order.
func (a *Adapter) Info() signing.ProviderInfo {
	return signing.ProviderInfo{
		Name:                  Name,
		DisplayName:           "Signet (e-mail one-time code)",
		Languages:             []string{"en", "sv", "hi"},
		RequiredSignerFields:  []string{"name", "email"},
		SignerDetailsSchema:   append([]byte(nil), schema...),
		PollInterval:          time.Hour, // nothing to learn from polling; expiry has its own sweep
		CancelReachesProvider: true,      // the page reads the session: a cancel stops it at once
		SigningOrders:         []signing.SigningOrder{signing.Sequential, signing.Parallel},
		MaxSigners:            signing.MaxSigners,
		InProcess:             true, // Initiate only names the session
		Identification:        Method,
	}
}

// Initiate takes the request: there is nobody to call, and the signers'
// pages are Signet's own (the signer link leads there).
func (a *Adapter) Initiate(_ context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	return signing.Initiated{Ref: "local-" + req.SessionID}, nil
}

// Refresh has nothing to report: local's state is the session's.
func (a *Adapter) Refresh(context.Context, signing.ProviderRef) (signing.Update, error) {
	return signing.Update{Status: signing.StatusPending, ProviderStatus: "local"}, nil
}

// Cancel has nothing to withdraw outside Signet: the signing page refuses
// a session that is no longer open.
func (a *Adapter) Cancel(context.Context, signing.ProviderRef) error { return nil }

// ParseCallback refuses every callback: local has no outside party.
func (a *Adapter) ParseCallback(http.Header, []byte) (signing.Callback, error) {
	return signing.Callback{}, signing.Errorf(signing.ErrNotFound, "provider local takes no callbacks")
}

// FetchDocument makes the signed document of a session whose signers have
// all signed: each signer's mark (name, time, drawn signature) on the last
// page of the original, the audit pages after it, and Signet's seal over
// the whole file.
func (a *Adapter) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	if ref.Session == nil || ref.LoadOriginal == nil || ref.LoadEvents == nil {
		return nil, errors.New("local: the session, its original and its events are needed")
	}
	original, err := ref.LoadOriginal(ctx)
	if err != nil {
		return nil, docError("reading the original", err)
	}
	events, err := ref.LoadEvents(ctx)
	if err != nil {
		return nil, docError("reading the audit trail", err)
	}
	lim := a.cfg.Limits
	if lim == (pdf.Limits{}) {
		lim = pdf.DefaultLimits()
	}
	info, err := lim.Validate(ctx, original.Content)
	if err != nil {
		return nil, &signing.ProviderError{Provider: Name, Op: "document", Message: "the original is not a usable PDF", Err: err}
	}
	doc := original.Content
	for _, sg := range ref.Session.Signers {
		if sg.Status != signing.SignerSigned || sg.SignedAt == nil {
			return nil, &signing.ProviderError{Provider: Name, Op: "document", Message: "not every signer has signed"}
		}
		ev := audit.ReadEvidence(sg.Evidence)
		name := ev.TypedSignature
		if name == "" {
			name = signing.SignerName(sg.Details)
		}
		if doc, err = lim.AddMark(ctx, doc, pdf.Mark{Name: name, Time: *sg.SignedAt, Image: ev.SignatureImage}); err != nil {
			return nil, docError("marking the document", err)
		}
	}
	cert := audit.Build(audit.Input{Session: ref.Session, Events: events, Provider: a.Info(),
		Original: original, Pages: info.Pages, Issuer: a.cfg.Issuer, Now: a.cfg.Now().UTC()})
	cert.Title = "Audit trail"
	if doc, err = evidence.AppendAudit(doc, cert); err != nil {
		return nil, docError("adding the audit pages", err)
	}
	signed, err := a.cfg.Seal.Sign(ctx, doc, pdf.SignInfo{Name: "Signet", Reason: "Signed by every signer of session " + ref.SessionID,
		ContactInfo: a.cfg.Issuer})
	if err != nil {
		return nil, docError("sealing the document", err)
	}
	return signed, nil
}

// docError is a failure to make the signed document; worth trying again
// (a timestamp authority or the database may be back).
func docError(what string, err error) error {
	return &signing.ProviderError{Provider: Name, Op: "document", Retryable: true, Message: fmt.Sprintf("%s failed", what), Err: err}
}
