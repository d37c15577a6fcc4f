// Package present turns the domain's values into the API's wire shapes
// (package api): what the server answers and what webhooks carry. It is
// the one place that decides how a session looks to a client.
package present

import (
	"encoding/json"
	"time"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// Presenter builds wire values; links in them start with PublicURL, and
// signer links come from Links.
type Presenter struct {
	PublicURL string
	Links     *signing.Links
}

// DocumentURL is where the signed PDF of session id is downloaded.
func (p Presenter) DocumentURL(id string) string {
	return p.PublicURL + "/signing/" + id + "/document"
}

// Session is s as clients see it.
func (p Presenter) Session(s *signing.Session) api.Session {
	out := api.Session{
		SigningSessionID: s.ID,
		OrderID:          s.OrderID,
		Status:           api.Status(s.Status),
		SignerDetails:    s.SignerDetails,
		CreatedAt:        s.CreatedAt.UTC(),
		UpdatedAt:        s.UpdatedAt.UTC(),
		Provider:         s.Provider,
		Language:         s.Language,
		ReturnURL:        s.ReturnURL,
		ExpiresAt:        s.ExpiresAt.UTC(),
		Metadata:         s.Metadata,
		SigningOrder:     string(s.SigningOrder),
		Signers:          make([]api.Signer, len(s.Signers)),
	}
	// Signer links are given out once the provider took the request.
	accepted := s.ProviderRef != ""
	for i, sg := range s.Signers {
		out.Signers[i] = api.Signer{SignerID: sg.ID, SignerDetails: sg.Details, Status: api.SignerStatus(sg.Status)}
		if accepted {
			out.Signers[i].RedirectURL = p.Links.URL(sg.ID)
		}
		switch sg.Status {
		case signing.SignerSigned:
			if sg.SignedAt != nil {
				t := sg.SignedAt.UTC()
				out.Signers[i].SignedAt = &t
			}
		case signing.SignerFailed:
			out.Signers[i].FailureReason = sg.FailureReason
		}
	}
	if len(out.Signers) > 0 {
		out.RedirectURL = out.Signers[0].RedirectURL
	}
	switch s.Status {
	case signing.StatusCompleted:
		out.DocumentURL = p.DocumentURL(s.ID)
		if s.CompletedAt != nil {
			t := s.CompletedAt.UTC()
			out.CompletedAt = &t
		}
	case signing.StatusFailed:
		out.FailureReason = s.FailureReason
	}
	return out
}

// Sessions presents a list of sessions.
func (p Presenter) Sessions(list []*signing.Session) []api.Session {
	out := make([]api.Session, len(list))
	for i, s := range list {
		out[i] = p.Session(s)
	}
	return out
}

// WebhookEvent is the body of a webhook for a status change of s to
// eventType at at (CONTRACT.md §3).
func (p Presenter) WebhookEvent(eventType string, at time.Time, s *signing.Session) ([]byte, error) {
	return json.Marshal(api.WebhookEvent{Type: eventType, Timestamp: at.UTC(), Data: p.Session(s)})
}

// Event presents one audit trail entry.
func Event(e signing.AuditEntry) api.Event {
	return api.Event{ID: e.ID, Type: e.Type, SignerID: e.SignerID, FromStatus: api.Status(e.FromStatus), Status: api.Status(e.ToStatus),
		Detail: e.Detail, Data: e.Data, CreatedAt: e.CreatedAt.UTC()}
}

// Events presents an audit trail.
func Events(entries []signing.AuditEntry) []api.Event {
	out := make([]api.Event, len(entries))
	for i, e := range entries {
		out[i] = Event(e)
	}
	return out
}

// Provider presents a provider's description.
func Provider(info signing.ProviderInfo) api.Provider {
	orders := []string{}
	for _, o := range info.SigningOrders {
		orders = append(orders, string(o))
	}
	if len(orders) == 0 {
		orders = []string{string(signing.Sequential)} // one signer: the trivial order
	}
	return api.Provider{Name: info.Name, DisplayName: info.DisplayName, Languages: nonNil(info.Languages),
		RequiredSignerFields: nonNil(info.RequiredSignerFields), SignerDetailsSchema: info.SignerDetailsSchema,
		SigningOrders: orders, MaxSigners: max(info.MaxSigners, 1)}
}

// Providers presents the providers' descriptions.
func Providers(infos []signing.ProviderInfo) []api.Provider {
	out := make([]api.Provider, len(infos))
	for i, info := range infos {
		out[i] = Provider(info)
	}
	return out
}

// Endpoint presents a webhook endpoint, without its secret. An endpoint
// that subscribes to everything lists every event type.
func Endpoint(e signing.Endpoint) api.WebhookEndpoint {
	events := e.Events
	if len(events) == 0 {
		events = signing.WebhookEventTypes
	}
	return api.WebhookEndpoint{ID: e.ID, URL: e.URL, Events: append([]string(nil), events...), CreatedAt: e.CreatedAt.UTC()}
}

// Endpoints presents webhook endpoints.
func Endpoints(list []signing.Endpoint) []api.WebhookEndpoint {
	out := make([]api.WebhookEndpoint, len(list))
	for i, e := range list {
		out[i] = Endpoint(e)
	}
	return out
}

// Attempt presents one delivery attempt.
func Attempt(a signing.Attempt) api.DeliveryAttempt {
	return api.DeliveryAttempt{ID: a.ID, WebhookID: a.DeliveryID, EventType: a.EventType, Attempt: a.Attempt,
		AttemptedAt: a.AttemptedAt.UTC(), Succeeded: a.Succeeded, ResponseStatus: a.ResponseStatus, Error: a.Error,
		DurationMs: a.DurationMs}
}

// Attempts presents delivery attempts.
func Attempts(list []signing.Attempt) []api.DeliveryAttempt {
	out := make([]api.DeliveryAttempt, len(list))
	for i, a := range list {
		out[i] = Attempt(a)
	}
	return out
}

// FieldErrors presents validation errors.
func FieldErrors(errs []signing.FieldError) []api.FieldError {
	if len(errs) == 0 {
		return nil
	}
	out := make([]api.FieldError, len(errs))
	for i, e := range errs {
		out[i] = api.FieldError{Field: e.Field, Message: e.Message}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Verification describes the signatures pdf.Verify found in a signed
// document whose SHA-256 is sum.
func Verification(sum string, sigs []pdf.Signature) api.Verification {
	v := api.Verification{DocumentSHA256: sum, Signatures: []api.Signature{}}
	for _, s := range sigs {
		v.Signatures = append(v.Signatures, api.Signature{SignerName: s.SignerName, CertificateSubject: s.CertificateSubject,
			CertificateIssuer: s.CertificateIssuer, SigningTime: s.SigningTime, SubFilter: s.SubFilter, Valid: s.Valid,
			CoversWholeDocument: s.CoversWholeDocument, Timestamped: s.Timestamped, Problems: s.Problems})
	}
	return v
}
