package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/signet-dev/signet/internal/signing"
)

func createRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/signing", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// fields returns the fields a validation error names, in order.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ve *signing.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v (%T), want a ValidationError", err, err)
	}
	var out []string
	for _, fe := range ve.Errors {
		out = append(out, fe.Field)
	}
	return out
}

const (
	doc       = `"document":{"filename":"c.pdf","content":"JVBERi0="}`
	validBody = `{"orderId":"o1","signerDetails":{"name":"A"},` + doc + `}`
)

func TestCreateBodyNamesTheField(t *testing.T) {
	long := strings.Repeat("x", 600)
	deep := `{"a":{"b":{"c":{"d":1}}}}`
	many := "{"
	for i := range 31 {
		if i > 0 {
			many += ","
		}
		many += `"k` + strings.Repeat("0", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":1`
	}
	many += "}"
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not an object", `[1,2]`, "body"},
		{"syntax", `{"orderId":`, "body"},
		{"trailing data", validBody + `{}`, "body"},
		{"unknown field", `{"orderId":"o","bogus":1}`, "bogus"},
		{"name in another case", `{"ORDERID":"o","signerDetails":{},` + doc + `}`, "ORDERID"},
		{"duplicate member", `{"orderId":"o","orderId":"p","signerDetails":{},` + doc + `}`, "orderId"},
		{"duplicate in signerDetails", `{"orderId":"o","signerDetails":{"a":"1","a":"2"},` + doc + `}`, "signerDetails.a"},
		{"duplicate metadata key", `{"orderId":"o","signerDetails":{},` + doc + `,"metadata":{"k":"1","k":"2"}}`, "metadata.k"},
		{"orderId number", `{"orderId":5}`, "orderId"},
		{"orderId null", `{"orderId":null,"signerDetails":{},` + doc + `}`, "orderId"},
		{"orderId missing", `{"signerDetails":{"name":"A"},` + doc + `}`, "orderId"},
		{"signerDetails array", `{"orderId":"o","signerDetails":[],` + doc + `}`, "signerDetails"},
		{"signerDetails null", `{"orderId":"o","signerDetails":null,` + doc + `}`, "signerDetails"},
		{"signerDetails value too long", `{"orderId":"o","signerDetails":{"name":"` + long + `"},` + doc + `}`, "signerDetails.name"},
		{"signerDetails key too long", `{"orderId":"o","signerDetails":{"` + long[:70] + `":"x"},` + doc + `}`, "signerDetails." + long[:64] + "…"},
		{"signerDetails too deep", `{"orderId":"o","signerDetails":` + deep + `,` + doc + `}`, "signerDetails.a.b.c"},
		{"signerDetails too many keys", `{"orderId":"o","signerDetails":` + many + `,` + doc + `}`, "signerDetails"},
		{"signerDetails too large", `{"orderId":"o","signerDetails":{"a":[` + strings.Repeat(`"`+strings.Repeat("z", 400)+`",`, 19) + `"z"],"b":[` + strings.Repeat(`"`+strings.Repeat("z", 400)+`",`, 19) + `"z"]},` + doc + `}`, "signerDetails"},
		{"document missing", `{"orderId":"o","signerDetails":{}}`, "document"},
		{"document string", `{"orderId":"o","signerDetails":{},"document":"x"}`, "document"},
		{"document unknown member", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"JVBERi0=","x":1}}`, "document.x"},
		{"content not base64", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"%%%"}}`, "document.content"},
		{"content empty", `{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":""}}`, "document.content"},
		{"filename missing", `{"orderId":"o","signerDetails":{},"document":{"content":"JVBERi0="}}`, "document.filename"},
		{"expiresAt bad", `{"orderId":"o","signerDetails":{},` + doc + `,"expiresAt":"tomorrow"}`, "expiresAt"},
		{"metadata value number", `{"orderId":"o","signerDetails":{},` + doc + `,"metadata":{"a":1}}`, "metadata.a"},
		{"metadata value null", `{"orderId":"o","signerDetails":{},` + doc + `,"metadata":{"a":null}}`, "metadata.a"},
		{"metadata null", `{"orderId":"o","signerDetails":{},` + doc + `,"metadata":null}`, "metadata"},
		{"metadata array", `{"orderId":"o","signerDetails":{},` + doc + `,"metadata":[]}`, "metadata"},
		{"empty provider", `{"orderId":"o","signerDetails":{},` + doc + `,"provider":""}`, "provider"},
		{"invalid UTF-8", "{\"orderId\":\"o\xff\",\"signerDetails\":{}," + doc + `}`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeCreate(createRequest(tt.body))
			got := fields(t, err)
			seen := map[string]bool{}
			for _, f := range got {
				if seen[f] {
					t.Errorf("field %q listed twice: %v", f, got)
				}
				seen[f] = true
			}
			if !seen[tt.field] {
				t.Errorf("errors %v do not name %q", got, tt.field)
			}
		})
	}
}

func TestCreateBodyValid(t *testing.T) {
	body := `{"orderId":"o1","signerDetails":{ "name" : "A", "tags": ["x", {"y": 1}] },"document":{"filename":"c.pdf","content":"JVBE\nRi0xLjQK"},
		"provider":"signzy","language":"en","returnUrl":"https://x.test\/r","expiresAt":"2030-01-02T03:04:05.123Z","metadata":{"k":"v"}}`
	req, err := decodeCreate(createRequest(body))
	if err != nil {
		t.Fatal(err)
	}
	if req.OrderID != "o1" || string(req.SignerDetails) != `{"name":"A","tags":["x",{"y":1}]}` || string(req.Content) != "%PDF-1.4\n" ||
		req.Provider != "signzy" || req.ExpiresAt == nil || req.Metadata["k"] != "v" || req.Filename != "c.pdf" || req.ReturnURL != "https://x.test/r" {
		t.Errorf("decoded %+v", req)
	}
	// Escapes in base64 (a JSON encoder may write \/) are undone.
	req, err = decodeCreate(createRequest(`{"orderId":"o","signerDetails":{},"document":{"filename":"c.pdf","content":"Pz8\/"}}`))
	if err != nil || string(req.Content) != "???" {
		t.Errorf("escaped base64: %q, %v", req.Content, err)
	}
}

func TestContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		"":                                 true,
		"application/json":                 true,
		"Application/JSON":                 true,
		"application/json; charset=utf-8":  true,
		"application/json;charset=UTF-8":   true,
		"application/jsonx":                false,
		"application/json; charset=latin1": false,
		"text/plain":                       false,
		"application/problem+json":         false,
		"application/json;;":               false,
	} {
		r := createRequest(validBody)
		r.Header.Set("Content-Type", ct)
		if ct == "" {
			r.Header.Del("Content-Type")
		}
		_, err := decodeCreate(r)
		if (err == nil) != ok {
			t.Errorf("Content-Type %q: err %v, want ok=%v", ct, err, ok)
		}
	}
}

// TestCutBodies: a body that ends before its Content-Length, or fails
// while it is read, is the client's fault (a 400: errBadBody, or truncated
// JSON), never a server error.
func TestCutBodies(t *testing.T) {
	for name, body := range map[string]io.Reader{
		"unexpected EOF": io.MultiReader(strings.NewReader(validBody[:20]), iotest.ErrReader(io.ErrUnexpectedEOF)),
		"reset":          io.MultiReader(strings.NewReader(validBody[:20]), iotest.ErrReader(errors.New("connection reset by peer"))),
	} {
		r := httptest.NewRequest("POST", "/signing", body)
		_, err := decodeCreate(r)
		if !errors.Is(err, errBadBody) && !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("%s: err %v, want errBadBody or invalid input", name, err)
		}
	}
}

func TestQueryIsStrict(t *testing.T) {
	for q, wantErr := range map[string]bool{
		"orderId=a&status=PENDING":       false,
		"":                               false,
		"orderId=a;status=PENDING":       true,
		"orderId=%zz":                    true,
		"orderId=a&orderId=b":            true,
		"bogus=1":                        true,
		strings.Repeat("orderId=a&", 30): true,
	} {
		r := httptest.NewRequest("GET", "/signing?"+q, nil)
		if _, err := query(r, "orderId", "status"); (err != nil) != wantErr || (err != nil && !errors.Is(err, signing.ErrInvalid)) {
			t.Errorf("query %q: err %v, want error %v", q, err, wantErr)
		}
	}
}

func TestAttachment(t *testing.T) {
	for name, want := range map[string]string{
		"loan.pdf":       `attachment; filename="loan.pdf"`,
		"avtal-åäö.pdf":  `attachment; filename="avtal-___.pdf"; filename*=UTF-8''avtal-%C3%A5%C3%A4%C3%B6.pdf`,
		`a"b\c.pdf`:      `attachment; filename="a_b_c.pdf"; filename*=UTF-8''a%22b%5Cc.pdf`,
		"अनुबंध (1).pdf": "",
	} {
		got := attachment(name)
		if want != "" && got != want {
			t.Errorf("attachment(%q) = %s, want %s", name, got, want)
		}
		if strings.ContainsAny(got[strings.Index(got, "filename="):], "\r\n") || !strings.HasPrefix(got, `attachment; filename="`) {
			t.Errorf("attachment(%q) = %s", name, got)
		}
	}
}

// FuzzCreateBody feeds arbitrary bytes through the request decoder: it
// must never panic, every rejection must be a ValidationError that names
// each field once with a message, and nothing it echoes is unbounded.
func FuzzCreateBody(f *testing.F) {
	f.Add(validBody)
	f.Add(`{"orderId":"` + strings.Repeat("x", 300) + `","metadata":{"a":"b"},"expiresAt":"2030-01-01T00:00:00Z"}`)
	f.Add(`{"document":{"content":"////"}, "signerDetails": {"a": [1, {"b": null}]}}`)
	f.Add(`{"orderId":null,"signerDetails":null,"document":null,"metadata":null}`)
	f.Add(`{"orderId":"\u0000","language":"","returnUrl":"javascript:alert(1)"}`)
	f.Add(`[]`)
	f.Add(`{"orderId":1e400}`)
	f.Add(`{"orderId":"a","orderId":"b","ORDERID":"c"}`)
	f.Add(`{"signerDetails":{"a":{"b":{"c":{"d":[[[[1]]]]}}}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		_, err := decodeCreate(createRequest(body))
		if err == nil {
			return
		}
		var ve *signing.ValidationError
		if !errors.As(err, &ve) || len(ve.Errors) == 0 {
			t.Fatalf("err = %v (%T), want a ValidationError", err, err)
		}
		seen := map[string]bool{}
		for _, fe := range ve.Errors {
			if fe.Field == "" || fe.Message == "" {
				t.Fatalf("field error without field or message: %+v", fe)
			}
			if seen[fe.Field] {
				t.Fatalf("field %q listed twice", fe.Field)
			}
			seen[fe.Field] = true
			if len(fe.Field)+len(fe.Message) > 2000 {
				t.Fatalf("field error of %d bytes echoes unbounded input", len(fe.Field)+len(fe.Message))
			}
		}
		if _, err := json.Marshal(ve.Errors); err != nil {
			t.Fatalf("errors do not encode: %v", err)
		}
	})
}

// FuzzQuery: any query string is either accepted or refused with a
// ValidationError naming a field; never a panic, never an unbounded echo.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{"orderId=a&status=PENDING", "orderId=a;b", "%zz", "a=1&a=2", "limit=5&cursor=eyJ0IjoxfQ", strings.Repeat("x=1&", 40), "orderId=" + strings.Repeat("é", 300)} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/signing", nil)
		r.URL.RawQuery = q
		_, err := query(r, "orderId", "status", "provider", "limit", "cursor")
		if err == nil {
			return
		}
		var ve *signing.ValidationError
		if !errors.As(err, &ve) || len(ve.Errors) == 0 {
			t.Fatalf("err = %v, want a ValidationError", err)
		}
		for _, fe := range ve.Errors {
			if fe.Field == "" || len(fe.Field)+len(fe.Message) > 1000 {
				t.Fatalf("bad field error %+v", fe)
			}
		}
	})
}
