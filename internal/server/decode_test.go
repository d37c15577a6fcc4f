package server

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

func TestCreateBodyNamesTheField(t *testing.T) {
	valid := `{"orderId":"o1","signerDetails":{"name":"A"},"document":{"filename":"c.pdf","content":"JVBERi0="}}`
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not an object", `[1,2]`, "body"},
		{"syntax", `{"orderId":`, "body"},
		{"trailing data", valid + `{}`, "body"},
		{"unknown field", `{"orderId":"o","bogus":1}`, "bogus"},
		{"orderId number", `{"orderId":5}`, "orderId"},
		{"orderId missing", `{"signerDetails":{"name":"A"},"document":{"filename":"c.pdf","content":"JVBERi0="}}`, "orderId"},
		{"signerDetails array", `{"orderId":"o","signerDetails":[],"document":{"filename":"c.pdf","content":"JVBERi0="}}`, "signerDetails"},
		{"signerDetails null", `{"orderId":"o","signerDetails":null,"document":{"filename":"c.pdf","content":"JVBERi0="}}`, "signerDetails"},
		{"document missing", `{"orderId":"o","signerDetails":{}}`, "document"},
		{"document string", `{"orderId":"o","signerDetails":{},"document":"x"}`, "document"},
		{"content not base64", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"%%%"}}`, "document.content"},
		{"filename missing", `{"orderId":"o","signerDetails":{},"document":{"content":"JVBERi0="}}`, "document.filename"},
		{"expiresAt bad", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"JVBERi0="},"expiresAt":"tomorrow"}`, "expiresAt"},
		{"metadata value number", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"JVBERi0="},"metadata":{"a":1}}`, "metadata.a"},
		{"metadata array", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"JVBERi0="},"metadata":[]}`, "metadata"},
		{"empty provider", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"JVBERi0="},"provider":""}`, "provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b createBody
			err := unmarshalStrict([]byte(tt.body), &b)
			if err == nil {
				_, err = b.toCreateRequest()
			}
			var ve *signing.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			for _, fe := range ve.Errors {
				if fe.Field == tt.field {
					return
				}
			}
			t.Errorf("errors %+v do not name %q", ve.Errors, tt.field)
		})
	}
}

func TestCreateBodyValid(t *testing.T) {
	body := `{"orderId":"o1","signerDetails":{ "name" : "A" },"document":{"filename":"c.pdf","content":"JVBERi0xLjQK"},
		"provider":"signzy","language":"en","returnUrl":"https://x.test/r","expiresAt":"2030-01-02T03:04:05.123Z","metadata":{"k":"v"}}`
	var b createBody
	if err := unmarshalStrict([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	req, err := b.toCreateRequest()
	if err != nil {
		t.Fatal(err)
	}
	if req.OrderID != "o1" || string(req.SignerDetails) != `{"name":"A"}` || string(req.Content) != "%PDF-1.4\n" ||
		req.Provider != "signzy" || req.ExpiresAt == nil || req.Metadata["k"] != "v" || req.Filename != "c.pdf" {
		t.Errorf("decoded %+v", req)
	}
}

// FuzzCreateBody feeds arbitrary bytes through the request decoder: it
// must never panic, and every rejection must be a ValidationError that
// names a field (which the API answers with 400).
func FuzzCreateBody(f *testing.F) {
	f.Add(`{"orderId":"o1","signerDetails":{"name":"A"},"document":{"filename":"c.pdf","content":"JVBERi0="}}`)
	f.Add(`{"orderId":"` + strings.Repeat("x", 300) + `","metadata":{"a":"b"},"expiresAt":"2030-01-01T00:00:00Z"}`)
	f.Add(`{"document":{"content":"////"}, "signerDetails": {"a": [1, {"b": null}]}}`)
	f.Add(`{"orderId":null,"signerDetails":null,"document":null,"metadata":null}`)
	f.Add(`{"orderId":"\u0000","language":"","returnUrl":"javascript:alert(1)"}`)
	f.Add(`[]`)
	f.Add(`{"orderId":1e400}`)
	f.Fuzz(func(t *testing.T, body string) {
		var b createBody
		err := unmarshalStrict([]byte(body), &b)
		if err == nil {
			_, err = b.toCreateRequest()
		}
		if err == nil {
			return
		}
		var ve *signing.ValidationError
		if !errors.As(err, &ve) || len(ve.Errors) == 0 {
			t.Fatalf("err = %v (%T), want a ValidationError", err, err)
		}
		for _, fe := range ve.Errors {
			if fe.Field == "" || fe.Message == "" {
				t.Fatalf("field error without field or message: %+v", fe)
			}
		}
		if _, err := json.Marshal(ve.Errors); err != nil {
			t.Fatalf("errors do not encode: %v", err)
		}
	})
}
