package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// createBody is the JSON of POST /signing. Pointer and raw fields let the
// decoder tell "absent" from "wrong type" and name the field either way.
type createBody struct {
	OrderID       *string          `json:"orderId"`
	SignerDetails json.RawMessage  `json:"signerDetails"`
	Document      *documentBody    `json:"document"`
	Provider      *string          `json:"provider"`
	Language      *string          `json:"language"`
	ReturnURL     *string          `json:"returnUrl"`
	ExpiresAt     *string          `json:"expiresAt"`
	Metadata      *json.RawMessage `json:"metadata"`
}

type documentBody struct {
	Filename *string `json:"filename"`
	Content  *string `json:"content"`
}

// decodeJSON reads one JSON object from r's body into v, rejecting unknown
// fields and trailing data, and names the offending field in its error.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasSuffix(strings.Split(ct, ";")[0], "+json") {
		return signing.Invalid("Content-Type", "must be application/json, got %q", ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // *http.MaxBytesError becomes 413
	}
	return unmarshalStrict(body, v)
}

// unmarshalStrict is decodeJSON's parser, separate so it can be fuzzed.
func unmarshalStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return signing.Invalid("body", "is empty; expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return signing.Invalid("body", "has data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return signing.Invalid("body", "has data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into a ValidationError naming the field.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return signing.Invalid("body", "must be a JSON object")
		}
		return signing.Invalid(field, "must be %s, got %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return signing.Invalid("body", "is not valid JSON: %v (at byte %d)", syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return signing.Invalid("body", "is truncated JSON")
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return err
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name := strings.Trim(field, `"`); name != "" {
			return signing.Invalid(name, "is not a known field")
		}
		return signing.Invalid("body", "has a field with an empty name")
	}
	return signing.Invalid("body", "is not valid JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "a boolean"
	case "ptr":
		return "a value of another type"
	}
	return "a number"
}

// toCreateRequest checks the shapes and encodings the JSON decoder cannot
// (required fields, base64, timestamps) and builds the domain request.
func (b *createBody) toCreateRequest() (signing.CreateRequest, error) {
	v := &signing.ValidationError{}
	var req signing.CreateRequest
	if b.OrderID == nil {
		v.Add("orderId", "is required")
	} else {
		req.OrderID = *b.OrderID
	}
	switch raw := bytes.TrimSpace(b.SignerDetails); {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		v.Add("signerDetails", "is required")
	case raw[0] != '{':
		v.Add("signerDetails", "must be a JSON object")
	default:
		req.SignerDetails = compactJSON(raw)
	}
	if b.Document == nil {
		v.Add("document", "is required: {\"filename\": \"contract.pdf\", \"content\": \"<base64 PDF>\"}")
	} else {
		if b.Document.Filename == nil {
			v.Add("document.filename", "is required")
		} else {
			req.Filename = *b.Document.Filename
		}
		if b.Document.Content == nil || *b.Document.Content == "" {
			v.Add("document.content", "is required: the base64-encoded PDF")
		} else if pdf, err := decodeBase64(*b.Document.Content); err != nil {
			v.Add("document.content", "is not valid base64: %v", err)
		} else {
			req.Content = pdf
		}
	}
	req.Provider = deref(b.Provider)
	if b.Provider != nil && *b.Provider == "" {
		v.Add("provider", "must not be empty; omit it for the default provider")
	}
	req.Language = deref(b.Language)
	if b.Language != nil && *b.Language == "" {
		v.Add("language", "must not be empty; omit it for the default %q", signing.DefaultLanguage)
	}
	req.ReturnURL = deref(b.ReturnURL)
	if b.ReturnURL != nil && *b.ReturnURL == "" {
		v.Add("returnUrl", "must be an absolute http or https URL")
	}
	if b.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *b.ExpiresAt)
		if err != nil {
			v.Add("expiresAt", "must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z")
		} else {
			req.ExpiresAt = &t
		}
	}
	if b.Metadata != nil && !bytes.Equal(bytes.TrimSpace(*b.Metadata), []byte("null")) {
		var md map[string]json.RawMessage
		if err := json.Unmarshal(*b.Metadata, &md); err != nil {
			v.Add("metadata", "must be an object of string values")
		} else {
			req.Metadata = make(map[string]string, len(md))
			for k, raw := range md {
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					v.Add("metadata."+k, "must be a string")
					continue
				}
				req.Metadata[k] = s
			}
		}
	}
	return req, v.Err()
}

// decodeBase64 accepts standard base64, padded or not, and tolerates the
// line breaks some encoders insert.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%v", err)
	}
	return b, nil
}

func compactJSON(raw []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return buf.Bytes()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
