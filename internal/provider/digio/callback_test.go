package digio

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/signing"
)

const testWebhookSecret = "webhook-secret-1"

// signed returns the headers Digio sends with body: its checksum under
// secret.
func signed(secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(ChecksumHeader, hex.EncodeToString(checksum(secret, body)))
	return h
}

// checksum is Digio's webhook checksum of body: HMAC-SHA256 keyed with
// the webhook secret (hex-encode it for the header).
func checksum(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

func TestParseCallbackRecorded(t *testing.T) {
	a := newTestAdapter(t)
	tests := []struct {
		file   string
		status signing.Status
		reason string
	}{
		{"webhook_signed.json", signing.StatusCompleted, ""},
		{"webhook_signed_partial.json", signing.StatusInProgress, ""},
		{"webhook_rejected.json", signing.StatusFailed, "Signer declined to sign"},
		{"webhook_failed.json", signing.StatusFailed, "Aadhaar OTP validation failed"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readTestdata(t, tt.file)
			cb, err := a.ParseCallback(signed(testWebhookSecret, body), body)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(cb.Ref, "DID") || len(cb.Ref) != 32 {
				t.Errorf("Ref = %q", cb.Ref)
			}
			if cb.Update == nil {
				t.Fatal("no Update although the webhook carries the document's details")
			}
			if cb.Update.Status != tt.status || cb.Update.Reason != tt.reason {
				t.Errorf("update = (%s, %q), want (%s, %q)", cb.Update.Status, cb.Update.Reason, tt.status, tt.reason)
			}
			if !strings.HasPrefix(cb.Update.ProviderStatus, "doc.") {
				t.Errorf("ProviderStatus %q does not name the event", cb.Update.ProviderStatus)
			}
		})
	}
}

func TestParseCallbackWithoutDetails(t *testing.T) {
	a := newTestAdapter(t)
	for _, body := range []string{
		`{"entities":["document"],"payload":{"document":{"id":"DID2611211530002382XJ8CNUKPMMW4E"}},"event":"doc.signed"}`,
		`{"payload":{"document":{"id":" DID1 ","file_name":"x.pdf"}},"event":"doc.viewed","extra":{"a":[1,2]}}`,
		"\n{\"payload\":{\"document\":{\"id\":\"DID1\",\"signing_parties\":\"weird\"}},\"event\":null}\n",
	} {
		cb, err := a.ParseCallback(signed(testWebhookSecret, []byte(body)), []byte(body))
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		if cb.Update != nil || cb.Ref == "" {
			t.Errorf("%s: %+v, want a Ref and no Update (Signet refreshes)", body, cb)
		}
	}
}

func TestParseCallbackUnauthorized(t *testing.T) {
	a := newTestAdapter(t)
	body := readTestdata(t, "webhook_signed.json")
	good := hex.EncodeToString(checksum(testWebhookSecret, body))

	changed := bytes.Clone(body)
	i := bytes.Index(changed, []byte(`"completed"`))
	changed[i+1] = 'C' // one byte: "Completed"
	if _, err := a.ParseCallback(signed(testWebhookSecret, body), changed); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("body with one byte changed: err = %v, want ErrUnauthorized", err)
	}
	if _, err := a.ParseCallback(signed(testWebhookSecret, body), append(bytes.Clone(body), ' ')); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("body with a trailing space: err = %v, want ErrUnauthorized", err)
	}

	raw, _ := hex.DecodeString(good)
	for name, h := range map[string]http.Header{
		"missing":           {},
		"empty":             {ChecksumHeader: {""}},
		"other secret":      signed("webhook-secret-2", body),
		"empty secret":      signed("", body),
		"truncated":         {ChecksumHeader: {good[:62]}},
		"not hex":           {ChecksumHeader: {"z" + good[1:]}},
		"base64":            {ChecksumHeader: {base64.StdEncoding.EncodeToString(raw)}},
		"sha256 of body":    {ChecksumHeader: {signing.SHA256Hex(body)}},
		"prefixed":          {ChecksumHeader: {"sha256=" + good}},
		"two values":        {ChecksumHeader: {good, good}},
		"other header name": {"X-Digio-Signature": {good}},
	} {
		_, err := a.ParseCallback(h, body)
		if !errors.Is(err, signing.ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", name, err)
		}
		if err != nil && strings.Contains(err.Error(), testWebhookSecret) {
			t.Errorf("%s: the error reveals the secret: %v", name, err)
		}
	}
	// The checksum is hex: its case does not matter.
	if _, err := a.ParseCallback(http.Header{ChecksumHeader: {strings.ToUpper(good)}}, body); err != nil {
		t.Errorf("upper-case hex: %v", err)
	}
	// Authenticity is checked first: a forged malformed body is unauthorized.
	if _, err := a.ParseCallback(http.Header{ChecksumHeader: {good}}, []byte("junk")); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("forged junk: %v", err)
	}
}

func TestParseCallbackMalformed(t *testing.T) {
	a := newTestAdapter(t)
	for _, body := range []string{
		``, `null`, `[]`, `"doc.signed"`, `{`, `{"payload":}`, `{}`, `{"payload":null}`, `{"payload":{"document":null}}`,
		`{"payload":{"document":{}}}`, `{"payload":{"document":{"id":""}}}`, `{"payload":{"document":{"id":"   "}}}`,
		`{"payload":{"document":{"id":null}}}`, `{"payload":{"document":{"id":["DID1"]}}}`, `{"payload":{"document":{"id":{"x":1}}}}`,
		`{"payload":{"document":{"id":"DID 1"}}}`, `{"payload":{"document":{"id":"DID\u00001"}}}`, `{"payload":{"document":{"id":"../DID1"}}}`,
		`{"payload":{"document":{"id":"` + strings.Repeat("D", flexjson.MaxID+1) + `"}}}`,
		"{\"payload\":{\"document\":{\"id\":\"\xff\xfe\"}}}",
		`{"payload":{"document":{"id":"DID1"}}} trailing`,
		`{"payload":{"KYC_REQUEST":{"id":"KID1"}},"event":"kyc.request.approved"}`,
	} {
		_, err := a.ParseCallback(signed(testWebhookSecret, []byte(body)), []byte(body))
		if !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", body, err)
		}
	}
}

// FuzzParseCallback checks that no header or body makes ParseCallback
// panic, that every error is ErrUnauthorized or ErrInvalid, and that
// whatever it accepts carries the right checksum and names a sane id.
// With sign set, the fuzzer's body is given its genuine checksum, so that
// the parser behind the check is explored too.
func FuzzParseCallback(f *testing.F) {
	f.Add(true, "", readTestdata(f, "webhook_signed.json"))
	f.Add(true, "", []byte(`{"payload":{"document":{"id":"DID1","agreement_status":"completed"}},"event":"doc.signed"}`))
	f.Add(false, "00", []byte(`{}`))
	f.Add(true, "", []byte(`{"payload":{"document":{"id":1e309}}}`))
	a := newTestAdapter(f)
	f.Fuzz(func(t *testing.T, sign bool, sum string, body []byte) {
		h := http.Header{}
		if sign {
			sum = hex.EncodeToString(checksum(testWebhookSecret, body))
		}
		if sum != "" {
			h.Set(ChecksumHeader, sum)
		}
		cb, err := a.ParseCallback(h, body)
		if err != nil {
			if !errors.Is(err, signing.ErrUnauthorized) && !errors.Is(err, signing.ErrInvalid) {
				t.Fatalf("error %v is neither ErrUnauthorized nor ErrInvalid", err)
			}
			return
		}
		if !a.checksumValid([]string{strings.TrimSpace(sum)}, body) {
			t.Fatalf("accepted checksum %q", sum)
		}
		if !validRef(cb.Ref) || !utf8.ValidString(cb.Ref) {
			t.Fatalf("accepted Ref %q", cb.Ref)
		}
		if cb.Update != nil && !cb.Update.Status.Valid() {
			t.Fatalf("accepted an Update with status %q", cb.Update.Status)
		}
	})
}
