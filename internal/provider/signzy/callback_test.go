package signzy

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/signing"
)

const testSecret = "callback-secret-1"

func authHeader(v string) http.Header {
	h := http.Header{}
	if v != "" {
		h.Set("Authorization", v)
	}
	return h
}

func TestParseCallback(t *testing.T) {
	a := newTestAdapter(t)
	recorded := readTestdata(t, "callback_completed.json")

	cb, err := a.ParseCallback(authHeader(testSecret), recorded)
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.Ref) != 36 || cb.Update != nil {
		t.Errorf("callback = %+v, want the contractId and no Update (Signet re-pulls)", cb)
	}

	for _, body := range []string{
		`{"contractId":"3c54deeb-b91d-4893-8ec9-46573e85f45b"}`,
		`{"contractId":" 3c54deeb-b91d-4893-8ec9-46573e85f45b ","isCompleted":"true","extra":{"a":[1,2]}}`,
		"\n{\"contractId\":\"abc\",\"signerdetail\":\"weird\"}\n",
	} {
		if _, err := a.ParseCallback(authHeader(testSecret), []byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestParseCallbackUnauthorized(t *testing.T) {
	a := newTestAdapter(t)
	body := readTestdata(t, "callback_completed.json")
	for _, h := range []http.Header{
		authHeader(""),
		authHeader("wrong"),
		authHeader("Bearer " + testSecret),
		authHeader(testSecret + " "),
		authHeader(strings.ToUpper(testSecret)),
		{"X-Authorization": {testSecret}},
	} {
		_, err := a.ParseCallback(h, body)
		if !errors.Is(err, signing.ErrUnauthorized) {
			t.Errorf("header %v: err = %v, want ErrUnauthorized", h, err)
		}
		if err != nil && strings.Contains(err.Error(), testSecret) {
			t.Errorf("the error reveals the secret: %v", err)
		}
	}
	// Authenticity is checked first: a forged malformed body is unauthorized.
	if _, err := a.ParseCallback(authHeader("wrong"), []byte("junk")); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("forged junk: %v", err)
	}
}

func TestParseCallbackMalformed(t *testing.T) {
	a := newTestAdapter(t)
	for _, body := range []string{
		``, `null`, `[]`, `"contractId"`, `{`, `{"contractId":}`, `{}`,
		`{"contractId":""}`, `{"contractId":"   "}`, `{"contractId":null}`, `{"contractId":42}`,
		`{"contractId":["a"]}`, `{"contractId":"a b"}`, `{"contractId":"a\u0000b"}`,
		`{"contractId":"` + strings.Repeat("x", flexjson.MaxID+1) + `"}`,
		"{\"contractId\":\"\xff\xfe\"}",
	} {
		_, err := a.ParseCallback(authHeader(testSecret), []byte(body))
		if !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", body, err)
		}
	}
}

// FuzzParseCallback checks that no header or body makes ParseCallback
// panic, and that whatever it accepts is authorized and names a sane id.
func FuzzParseCallback(f *testing.F) {
	f.Add(testSecret, []byte(`{"contractId":"3c54deeb-b91d-4893-8ec9-46573e85f45b","isCompleted":true}`))
	f.Add("", []byte(`{}`))
	f.Add(testSecret, []byte(`{"contractId":1e309}`))
	a := newTestAdapter(f)
	f.Fuzz(func(t *testing.T, auth string, body []byte) {
		cb, err := a.ParseCallback(authHeader(auth), body)
		if err != nil {
			if !errors.Is(err, signing.ErrUnauthorized) && !errors.Is(err, signing.ErrInvalid) {
				t.Fatalf("error %v is neither ErrUnauthorized nor ErrInvalid", err)
			}
			return
		}
		if auth != testSecret {
			t.Fatalf("accepted Authorization %q", auth)
		}
		if cb.Ref == "" || len(cb.Ref) > flexjson.MaxID || !utf8.ValidString(cb.Ref) || cb.Update != nil {
			t.Fatalf("accepted %+v", cb)
		}
	})
}
