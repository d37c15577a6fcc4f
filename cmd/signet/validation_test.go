package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// TestValidationNamesTheField sends one invalid input per rule of
// CONTRACT.md and expects a 400 problem naming the field.
func TestValidationNamesTheField(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	now := h.clock.Now()
	tests := []struct {
		name  string
		edit  func(b map[string]any)
		field string
	}{
		{"orderId missing", func(b map[string]any) { delete(b, "orderId") }, "orderId"},
		{"orderId empty", func(b map[string]any) { b["orderId"] = "" }, "orderId"},
		{"orderId 256 chars", func(b map[string]any) { b["orderId"] = strings.Repeat("o", 256) }, "orderId"},
		{"orderId not a string", func(b map[string]any) { b["orderId"] = 42 }, "orderId"},
		{"signerDetails missing", func(b map[string]any) { delete(b, "signerDetails") }, "signerDetails"},
		{"signerDetails not an object", func(b map[string]any) { b["signerDetails"] = "Asha" }, "signerDetails"},
		{"signer name missing", func(b map[string]any) { b["signerDetails"] = map[string]any{"email": "a@example.com"} }, "signerDetails.name"},
		{"signer email invalid", func(b map[string]any) {
			b["signerDetails"] = map[string]any{"name": "A", "email": "not-an-email"}
		}, "signerDetails.email"},
		{"document missing", func(b map[string]any) { delete(b, "document") }, "document"},
		{"document not base64", func(b map[string]any) {
			b["document"] = map[string]any{"filename": "a.pdf", "content": "***"}
		}, "document.content"},
		{"document not a PDF", func(b map[string]any) {
			b["document"] = map[string]any{"filename": "a.pdf", "content": base64.StdEncoding.EncodeToString([]byte("hello, world"))}
		}, "document.content"},
		{"document PDF header only", func(b map[string]any) {
			b["document"] = map[string]any{"filename": "a.pdf", "content": base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\n garbage"))}
		}, "document.content"},
		{"document truncated PDF", func(b map[string]any) {
			b["document"] = map[string]any{"filename": "a.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF[:len(contractPDF)/2])}
		}, "document.content"},
		{"filename missing", func(b map[string]any) {
			b["document"] = map[string]any{"content": base64.StdEncoding.EncodeToString(contractPDF)}
		}, "document.filename"},
		{"unknown provider", func(b map[string]any) { b["provider"] = "docusign" }, "provider"},
		{"unsupported language", func(b map[string]any) { b["language"] = "xx" }, "language"},
		{"returnUrl relative", func(b map[string]any) { b["returnUrl"] = "/done" }, "returnUrl"},
		{"returnUrl ftp", func(b map[string]any) { b["returnUrl"] = "ftp://example.com/x" }, "returnUrl"},
		{"returnUrl javascript", func(b map[string]any) { b["returnUrl"] = "javascript:alert(1)" }, "returnUrl"},
		{"expiresAt past", func(b map[string]any) { b["expiresAt"] = now.Add(-time.Minute).Format(time.RFC3339) }, "expiresAt"},
		{"expiresAt 31 days", func(b map[string]any) { b["expiresAt"] = now.Add(31 * 24 * time.Hour).Format(time.RFC3339) }, "expiresAt"},
		{"expiresAt not RFC 3339", func(b map[string]any) { b["expiresAt"] = "next week" }, "expiresAt"},
		{"metadata 51 keys", func(b map[string]any) {
			md := map[string]string{}
			for i := 0; i < 51; i++ {
				md[fmt.Sprint("k", i)] = "v"
			}
			b["metadata"] = md
		}, "metadata"},
		{"metadata key 41 chars", func(b map[string]any) { b["metadata"] = map[string]string{strings.Repeat("k", 41): "v"} }, "metadata." + strings.Repeat("k", 41)},
		{"metadata value 501 chars", func(b map[string]any) { b["metadata"] = map[string]string{"k": strings.Repeat("v", 501)} }, "metadata.k"},
		{"metadata value not a string", func(b map[string]any) { b["metadata"] = map[string]any{"k": 1} }, "metadata.k"},
		{"unknown field", func(b map[string]any) { b["signer"] = "x" }, "signer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := createBody("validation")
			tt.edit(b)
			r := h.do("POST", "/signing", h.key, b)
			if r.status != 400 {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			p := r.json(t)
			var fields []string
			for _, e := range p["errors"].([]any) {
				fields = append(fields, str(e.(map[string]any)["field"]))
			}
			if !containsStr(fields, tt.field) {
				t.Errorf("errors name %v, want %q; detail %v", fields, tt.field, p["detail"])
			}
		})
	}
	h.expect(h.do("POST", "/signing", h.key, "{not json"), 400)
	h.expect(h.do("POST", "/signing", h.key, createBody("ok"), "X-Idempotency-Key", ""), 400)
	// Valid edge values are accepted.
	b := createBody("edge")
	b["orderId"] = strings.Repeat("o", 255)
	b["expiresAt"] = now.Add(30*24*time.Hour - time.Minute).Format("2006-01-02T15:04:05.999999999Z07:00")
	h.expect(h.do("POST", "/signing", h.key, b), 201)
	list := h.expect(h.do("GET", "/signing", h.key, nil), 200).json(t)
	if n := len(list["data"].([]any)); n != 1 {
		t.Errorf("%d sessions stored; only the valid request may store one", n)
	}
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestMutatedBodiesNeverFail5xx sends hundreds of randomly mutated create
// bodies: every answer is a 201 or a 4xx problem, never a 5xx.
func TestMutatedBodiesNeverFail5xx(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	valid, _ := json.Marshal(createBody("mutant"))
	rng := rand.New(rand.NewSource(1))
	n := 300
	if testing.Short() {
		n = 60
	}
	for i := 0; i < n; i++ {
		body := mutate(rng, valid)
		r := h.do("POST", "/signing", h.key, body)
		if r.status >= 500 || (r.status != 201 && r.header.Get("Content-Type") != "application/problem+json") {
			t.Fatalf("mutation %d answered %d: %s\nbody: %.300q", i, r.status, r.body, body)
		}
	}
}

// mutate applies a few random byte-level and structural edits.
func mutate(rng *rand.Rand, in []byte) []byte {
	b := append([]byte(nil), in...)
	for k := rng.Intn(4) + 1; k > 0; k-- {
		if len(b) == 0 {
			return b
		}
		i := rng.Intn(len(b))
		switch rng.Intn(7) {
		case 0: // flip a byte
			b[i] ^= byte(1 << rng.Intn(8))
		case 1: // delete a span
			j := min(len(b), i+rng.Intn(40))
			b = append(b[:i], b[j:]...)
		case 2: // duplicate a span
			j := min(len(b), i+rng.Intn(40))
			b = append(b[:j], append(append([]byte(nil), b[i:j]...), b[j:]...)...)
		case 3: // insert JSON punctuation
			tok := []string{"{", "}", "[", "]", ",", ":", `"`, "null", "1e999", `"\u0000"`, "-0", "true"}[rng.Intn(12)]
			b = append(b[:i], append([]byte(tok), b[i:]...)...)
		case 4: // truncate
			b = b[:i]
		case 5: // replace a quoted value's start with a wrong type
			b = append(b[:i], append([]byte(`123,`), b[i:]...)...)
		case 6: // a random byte
			b[i] = byte(rng.Intn(256))
		}
	}
	return b
}
