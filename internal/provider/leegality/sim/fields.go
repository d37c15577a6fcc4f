package sim

import (
	"encoding/base64"
	"encoding/json"
	"net/mail"
	"strings"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// fields is a JSON object's members.
type fields struct{ simkit.Fields }

func objectFields(b []byte) (fields, bool) {
	f, err := simkit.Parse(b)
	return fields{f}, err == nil
}

// str reads key as a string ("" when absent); ok is false when it is not
// a string.
func (f fields) str(key string) (string, bool) {
	s, ok := f.String(key)
	return strings.TrimSpace(s), ok
}

// parseCreate validates a create body the way Leegality does (the first
// broken rule, as a code and a message, for a status-0 answer) and builds
// the document from it.
func (s *Server) parseCreate(body []byte) (d *document, code, msg string) {
	f, ok := objectFields(body)
	if !ok {
		return nil, "request.invalid", "Invalid request. The request body must be a JSON object."
	}
	d = &document{}

	profileID, ok := f.str("profileId")
	switch {
	case !ok:
		return nil, "profileId.invalid", "Profile ID must be a string."
	case profileID == "":
		return nil, "profileId.required", "Profile ID is required."
	case s.cfg.ProfileID != "" && profileID != s.cfg.ProfileID:
		return nil, "workflow.not.found", "No workflow found for the given Profile ID."
	}
	d.profileID = profileID

	if !f.Present("file") {
		return nil, "file.required", "File is required."
	}
	file, ok := objectFields(f.Raw("file"))
	if !ok {
		return nil, "file.invalid", "File must be an object with name and file."
	}
	if d.fileName, ok = file.str("name"); !ok || d.fileName == "" {
		return nil, "file.name.required", "File name is required."
	}
	content, ok := file.str("file")
	if !ok || content == "" {
		return nil, "file.file.required", "File content is required."
	}
	doc, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		return nil, "file.invalid", "File is not a valid Base64 encoded string."
	}
	// Leegality must be able to put signatures on it, so it must parse.
	if _, err := pdf.Validate(doc); err != nil {
		return nil, "file.not.pdf", "Invalid file. Only PDF files are supported."
	}
	d.original = doc

	if !f.Present("invitees") {
		return nil, "invitees.required", "At least one invitee is required."
	}
	var raws []json.RawMessage
	if json.Unmarshal(f.Raw("invitees"), &raws) != nil {
		return nil, "invitees.invalid", "Invitees must be an array."
	}
	if len(raws) == 0 {
		return nil, "invitees.required", "At least one invitee is required."
	}
	for _, raw := range raws {
		inv, code, msg := parseInvitee(raw)
		if code != "" {
			return nil, code, msg
		}
		d.invitations = append(d.invitations, inv)
	}

	if d.irn, ok = f.str("irn"); !ok {
		return nil, "irn.invalid", "IRN must be a string."
	}
	if f.Present("requestSignOrder") {
		if json.Unmarshal(f.Raw("requestSignOrder"), &d.signOrder) != nil {
			return nil, "requestSignOrder.invalid", "requestSignOrder must be a boolean."
		}
	}
	return d, "", ""
}

func parseInvitee(raw json.RawMessage) (*invitation, string, string) {
	f, ok := objectFields(raw)
	if !ok {
		return nil, "invitees.invalid", "Each invitee must be an object."
	}
	v := &invitation{}
	if v.name, ok = f.str("name"); !ok || v.name == "" {
		return nil, "invitee.name.required", "Invitee name is required."
	}
	if v.email, ok = f.str("email"); !ok {
		return nil, "invitee.email.invalid", "Invalid email address for invitee " + v.name + "."
	}
	if v.phone, ok = f.str("phone"); !ok {
		return nil, "invitee.phone.invalid", "Invalid phone number for invitee " + v.name + "."
	}
	if v.email == "" && v.phone == "" {
		return nil, "invitee.contact.required", "Either email or phone is required for invitee " + v.name + "."
	}
	if v.email != "" {
		if a, err := mail.ParseAddress(v.email); err != nil || a.Address != v.email || !strings.Contains(v.email[strings.LastIndex(v.email, "@"):], ".") {
			return nil, "invitee.email.invalid", "Invalid email address for invitee " + v.name + "."
		}
	}
	if v.phone != "" && !simkit.Digits(v.phone, 10) {
		return nil, "invitee.phone.invalid", "Invalid phone number for invitee " + v.name + ". Phone number must be 10 digits."
	}
	if v.redirectURL, ok = f.str("redirectUrl"); !ok || (v.redirectURL != "" && !httpx.IsHTTPURL(v.redirectURL)) {
		return nil, "invitee.redirectUrl.invalid", "Invalid redirect URL for invitee " + v.name + "."
	}
	return v, "", ""
}
