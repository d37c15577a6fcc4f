package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/signet-dev/signet/internal/signing"
)

// Request bodies are read strictly, as the standard describes JSON: member
// names match exactly (no "ORDERID"), a name may appear once per object,
// text is valid UTF-8, and one value fills the body. jsontext (the JSON v2
// tokenizer) enforces the syntax and the unique names; the readers below
// name every offending field once, as "document.content".

// Limits of what a signer's details may hold (CONTRACT.md §1 leaves them to
// the provider's schema; these keep one tenant's rows, lists and webhooks
// small whatever the schema allows).
const (
	MaxSignerDetailsBytes = 8 << 10 // compact JSON
	MaxSignerDetailKeys   = 30
	MaxSignerDetailKeyLen = 64
	MaxSignerDetailString = 500 // runes of any string value
	MaxSignerDetailDepth  = 3   // signerDetails itself is depth 1
	MaxSignerDetailItems  = 20  // elements of any array
)

// errBadBody is a request body that could not be read: cut short of its
// Content-Length, or too slow. It is the client's fault, a 400.
var errBadBody = errors.New("request body could not be read")

// readError classifies an error from reading a request body.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return err // 413
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return signing.Wrap(errBadBody, err, "the request body arrived too slowly; the connection was given up")
	}
	return signing.Wrap(errBadBody, err, "the request body ended before its Content-Length, or could not be read")
}

// readBody reads a whole request body (bounded by limitBody) into one
// buffer of its Content-Length, where that is known, rather than one that
// doubles as it fills: a 14 MB upload takes 14 MB, not 30. A body read
// before (by the idempotency check) is handed over, not read again: the
// caller may then change its bytes, which nobody reads after it.
func readBody(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(*readBodyAgain); ok {
		return b.data, nil
	}
	if r.ContentLength < 0 {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, readError(err)
		}
		return b, nil
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, b); err != nil {
		return nil, readError(err)
	}
	return b, nil
}

// readBodyAgain is a body readBody has read already.
type readBodyAgain struct {
	*bytes.Reader
	data []byte
}

func (*readBodyAgain) Close() error { return nil }

// keepBody lets the handler read body, which was read from r already.
func keepBody(r *http.Request, body []byte) {
	r.Body = &readBodyAgain{Reader: bytes.NewReader(body), data: body}
}

// checkJSONContentType accepts a missing Content-Type and application/json
// (any case, with parameters such as charset=utf-8); everything else is
// refused.
func checkJSONContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return signing.Invalid("Content-Type", "must be application/json, got %q", clip(ct))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return signing.Invalid("Content-Type", "charset must be utf-8, got %q", clip(cs))
	}
	return nil
}

// decoder reads one JSON object from a body, member by member, and
// collects the field errors it finds.
type decoder struct {
	dec *jsontext.Decoder
	v   *signing.ValidationError
}

func newDecoder(r io.Reader) *decoder {
	return &decoder{dec: jsontext.NewDecoder(r), v: &signing.ValidationError{}}
}

// errStop ends a read after a syntax or I/O error, which leaves nothing
// more to read.
var errStop = errors.New("stop")

// fail turns a tokenizer error into the request's error: a body that could
// not be read, or "not valid JSON" naming where.
func (d *decoder) fail(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	var serr *jsontext.SyntacticError
	if !errors.As(err, &serr) {
		if errors.Is(err, io.ErrUnexpectedEOF) && d.dec.InputOffset() > 0 {
			d.v.Add("body", "is truncated JSON")
			return errStop
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			d.v.Add("body", "is empty; expected a JSON object")
			return errStop
		}
		return readError(err)
	}
	var inner error = serr.Err
	field := pointerField(serr.JSONPointer)
	switch {
	case errors.Is(inner, jsontext.ErrDuplicateName):
		d.v.Add(field, "appears more than once")
	case errors.Is(inner, io.ErrUnexpectedEOF):
		d.v.Add("body", "is truncated JSON")
	default:
		msg := strings.TrimPrefix(inner.Error(), "jsontext: ")
		d.v.Add("body", "is not valid JSON: %s (at byte %d)", clip(msg), serr.ByteOffset)
	}
	return errStop
}

// pointerField turns a JSON pointer (/document/content) into a field name
// (document.content); array indexes become [N].
func pointerField(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(clip(tok))
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// object reads an object's members, calling member for each name (already
// read); member must read the value. A value of another kind is reported
// as field "must be an object" and skipped.
func (d *decoder) object(field string, member func(name string) error) error {
	if k := d.dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := d.dec.ReadToken()
			return d.fail(err)
		}
		return d.wrongKind(field, "an object")
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return d.fail(err)
	}
	for d.dec.PeekKind() != '}' {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return d.fail(err)
		}
		if err := member(tok.String()); err != nil {
			return err
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return d.fail(err)
	}
	return nil
}

// wrongKind reports field as not being of kind want and skips its value.
func (d *decoder) wrongKind(field, want string) error {
	got := kindName(d.dec.PeekKind())
	d.v.Add(field, "must be %s, got %s", want, got)
	if err := d.dec.SkipValue(); err != nil {
		return d.fail(err)
	}
	return nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "nothing"
}

// unknown reports member name of object parent ("" for the body) as one
// the object does not have, and skips its value.
func (d *decoder) unknown(parent, name string) error {
	switch {
	case name == "" && parent == "":
		d.v.Add("body", "has a member with an empty name")
	case name == "":
		d.v.Add(parent, "has a member with an empty name")
	case parent == "":
		d.v.Add(clip(name), "is not a known field")
	default:
		d.v.Add(parent+"."+clip(name), "is not a known field")
	}
	if err := d.dec.SkipValue(); err != nil {
		return d.fail(err)
	}
	return nil
}

// str reads a string member into *dst, and sets *seen.
func (d *decoder) str(field string, dst *string, seen *bool) error {
	*seen = true
	if d.dec.PeekKind() != '"' {
		return d.wrongKind(field, "a string")
	}
	tok, err := d.dec.ReadToken()
	if err != nil {
		return d.fail(err)
	}
	*dst = tok.String()
	return nil
}

// strings reads an array of strings (at most 50).
func (d *decoder) strings(field string, dst *[]string) error {
	if d.dec.PeekKind() != '[' {
		return d.wrongKind(field, "an array of strings")
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return d.fail(err)
	}
	for i := 0; d.dec.PeekKind() != ']'; i++ {
		item := fmt.Sprintf("%s[%d]", field, i)
		if i == 50 {
			d.v.Add(field, "must have at most 50 items")
		}
		var s string
		var seen bool
		if err := d.str(item, &s, &seen); err != nil {
			return err
		}
		if i < 50 {
			*dst = append(*dst, s)
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return d.fail(err)
	}
	return nil
}

// end requires the body to hold nothing after the object.
func (d *decoder) end() error {
	if _, err := d.dec.ReadToken(); err != io.EOF {
		var serr *jsontext.SyntacticError
		if err == nil || errors.As(err, &serr) {
			d.v.Add("body", "has data after the JSON object")
			return errStop
		}
		return readError(err)
	}
	return nil
}

// result is the errors found, or err when reading failed for another reason.
func (d *decoder) result(err error) error {
	if err != nil && err != errStop {
		return err
	}
	return d.v.Err()
}

// decodeJSON reads the body of r strictly into the members fn reads.
func decodeJSON(r *http.Request, fn func(d *decoder, name string) error) error {
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// From a bytes.Buffer, jsontext reads in place: values it returns
	// are slices of body, not copies.
	d := newDecoder(bytes.NewBuffer(body))
	err = d.object("body", func(name string) error { return fn(d, name) })
	if err == nil {
		err = d.end()
	}
	return d.result(err)
}

// createBody is what POST /signing decodes; seen records presence, so
// that an absent field and a wrong one get different messages.
type createBody struct {
	req  signing.CreateRequest
	seen struct {
		orderID, signerDetails, signers, signingOrder, document, filename, content, provider, language, returnURL, expiresAt, metadata bool
	}
	signingOrder string
	expiresAt    string
	// content is document.content as it stands in the body, decoded in
	// place once the body is read; contentErrAt is where its error, if
	// any, goes among the others, in the order of the body.
	content      []byte
	contentErrAt int
}

// decodeCreate reads a POST /signing body.
func decodeCreate(r *http.Request) (signing.CreateRequest, error) {
	var b createBody
	err := decodeJSON(r, func(d *decoder, name string) error { return b.member(d, name) })
	if err != nil && !errors.Is(err, signing.ErrInvalid) {
		return b.req, err
	}
	v, _ := err.(*signing.ValidationError)
	if v == nil {
		v = &signing.ValidationError{}
	}
	if len(b.content) > 0 {
		content, err := decodeBase64InPlace(b.content)
		if err != nil {
			v.Errors = slices.Insert(v.Errors, min(b.contentErrAt, len(v.Errors)),
				signing.FieldError{Field: "document.content", Message: "is not valid base64: " + err.Error()})
		}
		b.req.Content = content
	}
	b.finish(v)
	return b.req, v.Err()
}

func (b *createBody) member(d *decoder, name string) error {
	switch name {
	case "orderId":
		return d.str(name, &b.req.OrderID, &b.seen.orderID)
	case "signerDetails":
		b.seen.signerDetails = true
		raw, err := d.signerDetails(name)
		b.req.SignerDetails = raw
		return err
	case "signers":
		b.seen.signers = true
		return b.signers(d)
	case "signingOrder":
		return d.str(name, &b.signingOrder, &b.seen.signingOrder)
	case "document":
		b.seen.document = true
		return d.object(name, func(m string) error {
			switch m {
			case "filename":
				return d.str("document.filename", &b.req.Filename, &b.seen.filename)
			case "content":
				b.seen.content = true
				b.contentErrAt = len(d.v.Errors)
				raw, err := d.base64Text("document.content")
				b.content = raw
				return err
			}
			return d.unknown("document", m)
		})
	case "provider":
		return d.str(name, &b.req.Provider, &b.seen.provider)
	case "language":
		return d.str(name, &b.req.Language, &b.seen.language)
	case "returnUrl":
		return d.str(name, &b.req.ReturnURL, &b.seen.returnURL)
	case "expiresAt":
		return d.str(name, &b.expiresAt, &b.seen.expiresAt)
	case "metadata":
		b.seen.metadata = true
		b.req.Metadata = map[string]string{}
		return d.object(name, func(k string) error {
			field := "metadata." + clip(k)
			var s string
			var seen bool
			if err := d.str(field, &s, &seen); err != nil {
				return err
			}
			b.req.Metadata[k] = s
			return nil
		})
	}
	return d.unknown("", name)
}

// signers reads the signers array: 1 to MaxSigners objects, each holding
// signerDetails only.
func (b *createBody) signers(d *decoder) error {
	if d.dec.PeekKind() != '[' {
		return d.wrongKind("signers", "an array of signers")
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return d.fail(err)
	}
	b.req.Signers = []json.RawMessage{}
	for i := 0; d.dec.PeekKind() != ']'; i++ {
		field := fmt.Sprintf("signers[%d]", i)
		if i == signing.MaxSigners {
			d.v.Add("signers", "must list at most %d signers", signing.MaxSigners)
		}
		var details json.RawMessage
		seen := false
		err := d.object(field, func(m string) error {
			if m != "signerDetails" {
				return d.unknown(field, m)
			}
			seen = true
			raw, err := d.signerDetails(field + ".signerDetails")
			details = raw
			return err
		})
		if err != nil {
			return err
		}
		if !seen {
			d.v.Add(field+".signerDetails", "is required")
		}
		if i < signing.MaxSigners {
			b.req.Signers = append(b.req.Signers, details)
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return d.fail(err)
	}
	return nil
}

// finish checks what only the whole body shows: required members, and
// values that must not be empty strings.
func (b *createBody) finish(v *signing.ValidationError) {
	has := func(field string) bool {
		for _, e := range v.Errors {
			if e.Field == field || strings.HasPrefix(e.Field, field+".") {
				return true
			}
		}
		return false
	}
	if !b.seen.orderID {
		v.Add("orderId", "is required")
	}
	b.req.SigningOrder = signing.SigningOrder(b.signingOrder)
	if b.seen.signingOrder && b.signingOrder == "" && !has("signingOrder") {
		v.Add("signingOrder", "must be sequential or parallel")
	}
	switch {
	case !b.seen.document:
		v.Add("document", `is required: {"filename": "contract.pdf", "content": "<base64 PDF>"}`)
	case has("document"):
	default:
		if !b.seen.filename {
			v.Add("document.filename", "is required")
		}
		if !b.seen.content || (len(b.req.Content) == 0 && !has("document.content")) {
			v.Add("document.content", "is required: the base64-encoded PDF")
		}
	}
	for _, f := range []struct {
		seen  bool
		field string
		value string
		msg   string
	}{
		{b.seen.provider, "provider", b.req.Provider, "must not be empty; omit it for the default provider"},
		{b.seen.language, "language", b.req.Language, fmt.Sprintf("must not be empty; omit it for the default %q", signing.DefaultLanguage)},
		{b.seen.returnURL, "returnUrl", b.req.ReturnURL, "must be an absolute http or https URL"},
	} {
		if f.seen && f.value == "" && !has(f.field) {
			v.Add(f.field, "%s", f.msg)
		}
	}
	if b.seen.expiresAt && !has("expiresAt") {
		t, err := time.Parse(time.RFC3339Nano, b.expiresAt)
		if err != nil {
			v.Add("expiresAt", "must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z")
		} else {
			b.req.ExpiresAt = &t
		}
	}
}

// base64Text reads a string member holding standard base64 and returns
// its text, still encoded: decodeBase64InPlace decodes it once the
// decoder is done with the body it lies in.
func (d *decoder) base64Text(field string) ([]byte, error) {
	if d.dec.PeekKind() != '"' {
		return nil, d.wrongKind(field, "a string")
	}
	val, err := d.dec.ReadValue()
	if err != nil {
		return nil, d.fail(err)
	}
	raw := val[1 : len(val)-1] // base64 needs no escapes; unquote only if some are there
	if bytes.IndexByte(raw, '\\') >= 0 {
		s, err := jsontext.AppendUnquote(nil, val)
		if err != nil {
			d.v.Add(field, "is not a valid JSON string")
			return nil, nil
		}
		raw = s
	}
	return raw, nil
}

// signerDetails reads a signer's details: an object within the bounds
// above, returned as compact JSON. Values are checked here for size and
// shape only; the provider's schema judges them after.
func (d *decoder) signerDetails(field string) ([]byte, error) {
	if k := d.dec.PeekKind(); k != '{' {
		if k == 'n' {
			d.v.Add(field, "is required; got null")
			return nil, d.skip()
		}
		return nil, d.wrongKind(field, "an object")
	}
	val, err := d.dec.ReadValue()
	if err != nil {
		return nil, d.fail(err)
	}
	if err := val.Compact(); err != nil {
		return nil, d.fail(err)
	}
	if len(val) > MaxSignerDetailsBytes {
		d.v.Add(field, "must be at most %d bytes of JSON, is %d", MaxSignerDetailsBytes, len(val))
		return nil, nil
	}
	before := len(d.v.Errors)
	checkDetails(d.v, field, val)
	if len(d.v.Errors) > before {
		return nil, nil
	}
	return bytes.Clone(val), nil
}

func (d *decoder) skip() error {
	if err := d.dec.SkipValue(); err != nil {
		return d.fail(err)
	}
	return nil
}

// checkDetails applies the key, length, depth and array bounds to a
// compact, valid JSON object, adding one error per offending field.
func checkDetails(v *signing.ValidationError, field string, val jsontext.Value) {
	dec := jsontext.NewDecoder(bytes.NewReader(val))
	type frame struct {
		path        string
		keys, items int
		array       bool
	}
	var stack []frame
	name, expectName := "", false
	// afterValue is what follows a value: a name inside an object.
	afterValue := func() { expectName = len(stack) > 0 && !stack[len(stack)-1].array }
	for {
		k := dec.PeekKind()
		if k == 0 {
			return // the value was valid JSON: this is its end
		}
		if k == '}' || k == ']' {
			if _, err := dec.ReadToken(); err != nil {
				return
			}
			stack = stack[:len(stack)-1]
			afterValue()
			continue
		}
		if expectName {
			tok, err := dec.ReadToken()
			if err != nil {
				return
			}
			name = tok.String()
			top := &stack[len(stack)-1]
			top.keys++
			switch {
			case top.keys == MaxSignerDetailKeys+1:
				v.Add(top.path, "must have at most %d keys", MaxSignerDetailKeys)
			case name == "":
				v.Add(top.path, "keys must not be empty")
			case utf8.RuneCountInString(name) > MaxSignerDetailKeyLen:
				v.Add(top.path+"."+clip(name), "key must be at most %d characters", MaxSignerDetailKeyLen)
			}
			expectName = false
			continue
		}
		path := field
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.array {
				path = fmt.Sprintf("%s[%d]", top.path, top.items)
				top.items++
				if top.items == MaxSignerDetailItems+1 {
					v.Add(top.path, "must have at most %d items", MaxSignerDetailItems)
				}
			} else {
				path = top.path + "." + clip(name)
			}
		}
		if (k == '{' || k == '[') && len(stack) >= MaxSignerDetailDepth {
			v.Add(path, "is nested too deeply (at most %d levels)", MaxSignerDetailDepth)
			if dec.SkipValue() != nil {
				return
			}
			afterValue()
			continue
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return
		}
		switch k {
		case '{', '[':
			stack = append(stack, frame{path: path, array: k == '['})
			expectName = k == '{'
			continue
		case '"':
			if utf8.RuneCountInString(tok.String()) > MaxSignerDetailString {
				v.Add(path, "must be at most %d characters", MaxSignerDetailString)
			}
		}
		afterValue()
	}
}
