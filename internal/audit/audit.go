// Package audit gathers a signing session's evidence into the shape the
// evidence renderer draws (evidence.Certificate): who signed and how each
// was identified, the documents' digests, the provider's evidence and the
// audit trail. Signet's own signed documents (provider local) carry it as
// appended pages; every terminal session gets it as a sealed audit
// certificate.
//
// A signer's Evidence is a JSON object; the keys read here are a
// convention every provider follows where it can:
//
//	method     how the signer was identified ("E-mail one-time code", …)
//	details    [{"label": …, "value": …}], what that identification established
//	name, email, ip, userAgent
//	typedSignature, signatureImage (base64 PNG)
//
// Missing keys fall back to the signer's details and to the provider's
// usual method.
package audit

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/evidence"
	"github.com/signet-dev/signet/internal/signing"
)

// SignerEvidence is the convention above as a Go value, for providers
// that record it (local) and for reading it back.
type SignerEvidence struct {
	Method         string            `json:"method,omitempty"`
	Details        []evidence.Detail `json:"details,omitempty"`
	Name           string            `json:"name,omitempty"`
	Email          string            `json:"email,omitempty"`
	IP             string            `json:"ip,omitempty"`
	UserAgent      string            `json:"userAgent,omitempty"`
	TypedSignature string            `json:"typedSignature,omitempty"`
	SignatureImage []byte            `json:"signatureImage,omitempty"`
}

// ReadEvidence reads a signer's evidence; anything unreadable reads as
// none.
func ReadEvidence(raw json.RawMessage) SignerEvidence {
	var e SignerEvidence
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &e)
	}
	return e
}

// Input is what a certificate is made of.
type Input struct {
	Session  *signing.Session
	Events   []signing.AuditEntry
	Provider signing.ProviderInfo
	Original signing.Document
	// Pages is the original's page count (0: not shown).
	Pages int
	// SignedSHA256 is the signed document's digest, when it exists.
	SignedSHA256 string
	// Evidence is the provider's own (signing.Evidencer), and EvidenceErr
	// why it could not be had.
	Evidence    signing.ProviderEvidence
	EvidenceErr error
	Issuer      string
	Now         time.Time
}

// Build makes the certificate of in.
func Build(in Input) evidence.Certificate {
	s := in.Session
	c := evidence.Certificate{
		Session: evidence.Session{ID: s.ID, OrderID: s.OrderID, Provider: s.Provider, ProviderName: first(in.Provider.DisplayName, s.Provider),
			Status: string(s.Status), CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, FailureReason: s.FailureReason},
		Document:    evidence.Document{Name: in.Original.Filename, Pages: in.Pages, SHA256: in.Original.SHA256, SignedSHA256: in.SignedSHA256},
		Evidence:    files(in),
		GeneratedAt: in.Now,
		Issuer:      in.Issuer,
	}
	if len(s.Signers) > 1 {
		c.Session.SigningOrder = string(s.SigningOrder)
	}
	if s.Status.Terminal() {
		c.Session.EndedAt = s.UpdatedAt
	}
	if s.CompletedAt != nil {
		c.Session.EndedAt = *s.CompletedAt
	}
	names := map[string]string{}
	for i, sg := range s.Signers {
		var id signing.SignerIdentity
		if i < len(in.Evidence.Signers) {
			id = in.Evidence.Signers[i]
		}
		cs := signer(in.Provider, sg, id)
		names[sg.ID] = cs.Name
		c.Signers = append(c.Signers, cs)
	}
	for _, e := range in.Events {
		c.Events = append(c.Events, evidence.Event{Time: e.CreatedAt, Type: e.Type, Signer: names[e.SignerID], Detail: e.Detail})
	}
	return c
}

// files lists the provider's evidence files, and says what is missing.
func files(in Input) []evidence.Item {
	var out []evidence.Item
	for _, f := range in.Evidence.Files {
		it := evidence.Item{Name: f.Name, Description: f.Description, FileName: f.FileName, ContentType: f.ContentType, Attached: f.Content}
		if f.Missing != "" {
			it.Note = "Not available: " + f.Missing
		}
		out = append(out, it)
	}
	if in.EvidenceErr != nil {
		why := signing.Message(in.EvidenceErr)
		var pe *signing.ProviderError
		if errors.As(in.EvidenceErr, &pe) && pe.Message != "" {
			why = pe.Message
		}
		if why == "" {
			why = "the provider did not answer"
		}
		out = append(out, evidence.Item{Name: "Evidence from " + first(in.Provider.DisplayName, in.Session.Provider),
			Note: "Not available when this certificate was made: " + why + ". Ask for the certificate again later."})
	}
	return out
}

// signer describes one signer from their details and evidence.
func signer(p signing.ProviderInfo, sg signing.Signer, id signing.SignerIdentity) evidence.Signer {
	ev := ReadEvidence(sg.Evidence)
	var details map[string]any
	_ = json.Unmarshal(sg.Details, &details)
	str := func(k string) string {
		v, _ := details[k].(string)
		return strings.TrimSpace(v)
	}
	out := evidence.Signer{
		Name: first(ev.Name, str("name")), Email: first(ev.Email, str("email")), Status: string(sg.Status),
		Identification: first(id.Method, ev.Method, p.Identification, "As reported by "+first(p.DisplayName, p.Name)), IdentityDetails: ev.Details,
		IP: ev.IP, UserAgent: ev.UserAgent, FailureReason: sg.FailureReason,
	}
	for _, f := range id.Facts {
		out.IdentityDetails = append(out.IdentityDetails, evidence.Detail{Label: f.Label, Value: f.Value})
	}
	if sg.SignedAt != nil {
		out.SignedAt = *sg.SignedAt
	}
	if ev.TypedSignature != "" {
		out.IdentityDetails = append(out.IdentityDetails, evidence.Detail{Label: "Typed signature", Value: ev.TypedSignature})
	}
	if len(ev.SignatureImage) > 0 {
		out.IdentityDetails = append(out.IdentityDetails, evidence.Detail{Label: "Drawn signature", Value: "yes (on the document)"})
	}
	return out
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
