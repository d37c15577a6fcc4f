package leegality

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
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
// configured workflow, with the session's signers as invitees[] in
// signing order and the session id as irn. It returns Leegality's
// documentId as the reference and the first invitee's signUrl as the
// redirect; with several signers, Signers holds every invitee's signUrl,
// in the request's order.
//
// requestSignOrder is true for a sequential session (and for one signer,
// as it always was): Leegality then activates each invitation once the
// invitees before have signed. A parallel session sends false, and every
// invitation is active at once.
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
	invs := matchInvitees(body.Invitees, c.Invitees)
	if docID == "" || invs == nil {
		return signing.Initiated{}, &signing.ProviderError{Provider: Name, Op: httpx.OpInitiate, StatusCode: http.StatusOK,
			Message: "Leegality accepted the request but returned no documentId or signUrl"}
	}
	var st state
	if t, ok := parseIST(string(invs[0].ExpiryDate)); ok {
		st.InvitationExpiresAt = rfc3339(t)
	}
	b, _ := json.Marshal(st) // a struct of strings always marshals
	out := signing.Initiated{Ref: docID, RedirectURL: invs[0].SignURL.trimmed(), State: b}
	if len(invs) > 1 {
		for _, inv := range invs {
			u := inv.SignURL.trimmed()
			out.Signers = append(out.Signers, signing.InitiatedSigner{Ref: invitationID(u), URL: u})
		}
	}
	return out, nil
}

// matchInvitees pairs each invitee sent with the one Leegality created
// for them, in the order sent; nil when one has no usable signUrl.
// Leegality answers in the order it was given [I]; an invitee whose name
// and contacts match is still preferred, should it not.
func matchInvitees(sent []inviteeRequest, got []inviteeCreated) []inviteeCreated {
	if len(got) < len(sent) {
		return nil
	}
	out := make([]inviteeCreated, len(sent))
	used := make([]bool, len(got))
	for i, s := range sent {
		j := i
		for k, g := range got {
			if !used[k] && g.Name.trimmed() == s.Name && g.Email.trimmed() == s.Email && normalizePhone(g.Phone.trimmed()) == s.Phone {
				j = k
				break
			}
		}
		if used[j] || !httpx.IsHTTPURL(got[j].SignURL.trimmed()) {
			return nil
		}
		used[j], out[i] = true, got[j]
	}
	return out
}

// invitationID is the id in a signUrl: its last path segment (Leegality's
// signing links end in the invitation's id).
func invitationID(signURL string) string {
	u, err := url.Parse(signURL)
	if err != nil {
		return ""
	}
	return path.Base(strings.TrimSuffix(u.Path, "/"))
}

// createRequest builds Leegality's create body from Signet's request. It
// fails with a *signing.ValidationError (ErrInvalid) when the request
// cannot make a valid invitation.
func (a *Adapter) createRequest(req signing.InitiateRequest) (*createRequest, error) {
	details, fields := signerDetailsOf(req)
	v := &signing.ValidationError{}
	invs := make([]inviteeRequest, 0, len(details))
	for i, raw := range details {
		var sd signerDetails
		if err := json.Unmarshal(raw, &sd); err != nil {
			v.Add(fields[i], "must be a JSON object")
			continue
		}
		name := sd.Name.trimmed()
		if name == "" {
			v.Add(fields[i]+".name", "is required")
		}
		email, phone := sd.Email.trimmed(), normalizePhone(sd.Phone.trimmed())
		if email == "" && phone == "" {
			v.Add(fields[i]+".email", "email or phone is required: Leegality sends the invitation to one of them")
		}
		inv := inviteeRequest{Name: name, Email: email, Phone: phone}
		if httpx.IsHTTPURL(req.ReturnURL) {
			inv.RedirectURL = req.ReturnURL
		}
		invs = append(invs, inv)
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
	return &createRequest{
		ProfileID:        a.cfg.ProfileID,
		File:             fileBody{Name: fileName, File: base64.StdEncoding.EncodeToString(req.Document.Content)},
		Invitees:         invs,
		IRN:              req.SessionID,
		RequestSignOrder: len(invs) == 1 || req.SigningOrder != signing.Parallel,
	}, nil
}

// signerDetailsOf lists the request's signers' details in signing order,
// with the field each is named by in errors: signerDetails for a session
// of one, signers[N].signerDetails for several.
func signerDetailsOf(req signing.InitiateRequest) ([]json.RawMessage, []string) {
	if len(req.Signers) <= 1 {
		d := req.SignerDetails
		if d == nil && len(req.Signers) == 1 {
			d = req.Signers[0].Details
		}
		return []json.RawMessage{d}, []string{"signerDetails"}
	}
	details, fields := make([]json.RawMessage, len(req.Signers)), make([]string, len(req.Signers))
	for i, s := range req.Signers {
		details[i], fields[i] = s.Details, fmt.Sprintf("signers[%d].signerDetails", i)
	}
	return details, fields
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
