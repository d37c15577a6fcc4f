package leegality

import (
	"bytes"
	"encoding/json"
	"strings"
)

// The wire shapes of Leegality's API. Requests are written as Leegality
// documents them; answers are read leniently (see flex.go) and only the
// fields Signet uses are declared.

// envelope wraps every answer: {"status": 1, "messages": [], "data": …}.
// status 0 with messages is a failure, even under HTTP 200.
type envelope struct {
	Status   json.RawMessage `json:"status"`
	Messages messages        `json:"messages"`
	Data     json.RawMessage `json:"data"`
}

// outcome says whether the envelope reports success: status 1 (or "1",
// true, "success") is success; 0 (or "0", false, "failure", "error") is a
// failure. Without a status, an answer carrying data and no messages is
// taken as success.
func (e *envelope) succeeded() bool {
	var t text
	_ = t.UnmarshalJSON(e.Status)
	switch strings.ToLower(t.trimmed()) {
	case "1", "true", "success", "ok":
		return true
	case "0", "false", "failure", "failed", "error":
		return false
	}
	d := bytes.TrimSpace(e.Data)
	return len(d) > 0 && !bytes.Equal(d, []byte("null")) && len(e.Messages) == 0
}

// createRequest is the body of POST /v3.0/sign/request.
type createRequest struct {
	ProfileID        string           `json:"profileId"`
	File             fileBody         `json:"file"`
	Invitees         []inviteeRequest `json:"invitees"`
	IRN              string           `json:"irn"`
	RequestSignOrder bool             `json:"requestSignOrder"`
}

type fileBody struct {
	Name string `json:"name"`
	File string `json:"file"` // base64
}

type inviteeRequest struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// RedirectURL overrides the workflow's redirect URL for this invitee:
	// where the signing journey sends them when they are done.
	RedirectURL string `json:"redirectUrl,omitempty"`
}

// created is the data of a create answer.
type created struct {
	DocumentID text                 `json:"documentId"`
	Invitees   list[inviteeCreated] `json:"invitees"`
}

type inviteeCreated struct {
	Name       text `json:"name"`
	Email      text `json:"email"`
	Phone      text `json:"phone"`
	SignURL    text `json:"signUrl"`
	ExpiryDate text `json:"expiryDate"`
}

// document is the data of a details answer (v3.3, invitations[]) or a
// sign-request status answer (v3.2, requests[]); both read into it.
type document struct {
	DocumentID     text          `json:"documentId"`
	IRN            text          `json:"irn"`
	Status         text          `json:"status"`
	DocumentStatus text          `json:"documentStatus"` // the webhook's name for it, tolerated
	CompletedDate  text          `json:"completedDate"`
	Invitations    list[invitee] `json:"invitations"`
	Requests       list[invitee] `json:"requests"`
	Invitees       list[invitee] `json:"invitees"`
	// Nested is data.document: answers seen in integrations nest the
	// document (its status, and possibly the rest) one level down.
	Nested nested `json:"document"`
}

// nested is a document nested in a document's answer, read leniently:
// anything but an object reads as absent.
type nested struct{ doc *document }

func (n *nested) UnmarshalJSON(b []byte) error {
	var d document
	n.doc = nil
	if json.Unmarshal(b, &d) == nil {
		n.doc = &d
	}
	return nil
}

// inner is the nested document, or an empty one.
func (d *document) inner() *document {
	if d.Nested.doc != nil {
		return d.Nested.doc
	}
	return &document{}
}

// invitees returns the document's invitations under whichever name the
// answer used, at the top of data or in data.document.
func (d *document) invitees() []invitee {
	switch {
	case len(d.Invitations) > 0:
		return d.Invitations
	case len(d.Requests) > 0:
		return d.Requests
	case len(d.Invitees) > 0:
		return d.Invitees
	}
	if d.Nested.doc != nil {
		return d.Nested.doc.invitees()
	}
	return nil
}

// statusText is the document's status as Leegality wrote it: data.status
// (documented), data.documentStatus (the webhook's name), or
// data.document.status (as two independent integrations read it); the
// first one set wins.
func (d *document) statusText() string {
	in := d.inner()
	return firstSet(d.Status, d.DocumentStatus, in.Status, in.DocumentStatus)
}

// status is the document's status word, under any of its names.
func (d *document) status() string { return text(d.statusText()).word() }

// id, irn and completedDate are the document's, at the top of data or
// in data.document.
func (d *document) id() text            { return orNested(d.DocumentID, d.inner().DocumentID) }
func (d *document) irn() text           { return orNested(d.IRN, d.inner().IRN) }
func (d *document) completedDate() text { return orNested(d.CompletedDate, d.inner().CompletedDate) }

func orNested(top, in text) text {
	if top.set() {
		return top
	}
	return in
}

// invitee is one invitation: the same object as a webhook's request{}.
type invitee struct {
	Name       text `json:"name"`
	Email      text `json:"email"`
	Phone      text `json:"phone"`
	SignURL    text `json:"signUrl"`
	Active     flag `json:"active"`
	Signed     flag `json:"signed"`
	Expired    flag `json:"expired"`
	Rejected   flag `json:"rejected"`
	Action     text `json:"action"`
	ExpiryDate text `json:"expiryDate"`
	SignedDate text `json:"signedDate"`
	// The signer's words on a rejection; Leegality's naming is not
	// documented, so the likely ones are all read.
	Comment         text `json:"comment"`
	Reason          text `json:"reason"`
	RejectionReason text `json:"rejectionReason"`
	Remarks         text `json:"remarks"`
}
