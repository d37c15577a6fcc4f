package leegality

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// signerDetails is Leegality's view of a session's signerDetails. Fields
// are read leniently (a phone may come as a number); the schema in Info is
// what clients are held to.
type signerDetails struct {
	Name  text `json:"name"`
	Email text `json:"email"`
	Phone text `json:"phone"`
}

// state is the adapter-private data kept with a session.
type state struct {
	// InvitationExpiresAt is the invitation's expiryDate, in UTC.
	InvitationExpiresAt string `json:"invitationExpiresAt,omitempty"`
}

// Initiate creates a signing request (POST /v3.0/sign/request) from the
// configured workflow, with the session's signer as the one invitee and
// the session id as irn. It returns Leegality's documentId as the
// reference and the invitee's signUrl as the redirect.
//
// The request's webhook URLs come from the workflow, not from the request:
// req.CallbackURL is not sent (see the package documentation). The
// invitation's expiry is the workflow's too; Signet expires the session at
// its own expiresAt whatever Leegality does.
//
// Leegality has no idempotency on create: a retry after a lost answer
// creates a second document. The first is never signed and expires with
// its invitation. A 2xx answer that cannot be used is therefore a
// permanent error, never retried.
func (a *Adapter) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	body, err := a.createRequest(req)
	if err != nil {
		return signing.Initiated{}, err
	}
	var c created
	err = a.do(ctx, call{op: httpx.OpInitiate, method: http.MethodPost, path: "/v3.0/sign/request", body: body}, &c)
	if err != nil {
		return signing.Initiated{}, err
	}
	docID := c.DocumentID.trimmed()
	var inv inviteeCreated
	if len(c.Invitees) > 0 {
		inv = c.Invitees[0]
	}
	signURL := inv.SignURL.trimmed()
	if docID == "" || !httpx.IsHTTPURL(signURL) {
		return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate, StatusCode: http.StatusOK,
			Message: "Leegality accepted the request but returned no documentId or signUrl"}
	}
	var st state
	if t, ok := parseIST(string(inv.ExpiryDate)); ok {
		st.InvitationExpiresAt = rfc3339(t)
	}
	b, _ := json.Marshal(st) // a struct of strings always marshals
	return signing.Initiated{Ref: docID, RedirectURL: signURL, State: b}, nil
}

// createRequest builds Leegality's create body from Signet's request. It
// fails with a *signing.ValidationError (ErrInvalid) when the request
// cannot make a valid invitation.
func (a *Adapter) createRequest(req signing.InitiateRequest) (*createRequest, error) {
	var sd signerDetails
	if err := json.Unmarshal(req.SignerDetails, &sd); err != nil {
		return nil, signing.Invalid("signerDetails", "must be a JSON object")
	}
	v := &signing.ValidationError{}
	name := sd.Name.trimmed()
	if name == "" {
		v.Add("signerDetails.name", "is required")
	}
	email, phone := sd.Email.trimmed(), normalizePhone(sd.Phone.trimmed())
	if email == "" && phone == "" {
		v.Add("signerDetails.email", "email or phone is required: Leegality sends the invitation to one of them")
	}
	if len(req.Document.Content) == 0 {
		v.Add("document.content", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	fileName := strings.TrimSpace(req.Document.Filename)
	if fileName == "" {
		fileName = "contract.pdf"
	}
	inv := inviteeRequest{Name: name, Email: email, Phone: phone}
	if httpx.IsHTTPURL(req.ReturnURL) {
		inv.RedirectURL = req.ReturnURL
	}
	return &createRequest{
		ProfileID:        a.cfg.ProfileID,
		File:             fileBody{Name: fileName, File: base64.StdEncoding.EncodeToString(req.Document.Content)},
		Invitees:         []inviteeRequest{inv},
		IRN:              req.SessionID,
		RequestSignOrder: true,
	}, nil
}

// normalizePhone strips the +91 or 0 prefix and separators an Indian
// mobile number is often written with: Leegality takes the 10 digits.
func normalizePhone(s string) string {
	d := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.':
			return -1
		}
		return r
	}, s)
	switch {
	case strings.HasPrefix(d, "+91") && len(d) == 13:
		d = d[3:]
	case strings.HasPrefix(d, "91") && len(d) == 12:
		d = d[2:]
	case strings.HasPrefix(d, "0") && len(d) == 11:
		d = d[1:]
	}
	return d
}
