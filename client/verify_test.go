package client

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func signed(t testing.TB, secret string, at time.Time, body string) http.Header {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign("msg_1", at, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h
}

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	body := `{"type":"signing.completed","timestamp":"2024-01-15T14:30:00Z","data":` + sessionJSON + `}`
	ev, err := VerifyWebhook(testSecret, signed(t, testSecret, time.Now(), body), []byte(body))
	if err != nil || ev.Type != "signing.completed" || ev.Data.OrderID != "o-1" {
		t.Fatalf("VerifyWebhook = %+v, %v", ev, err)
	}
	for _, c := range []struct {
		name   string
		header http.Header
		body   string
		secret string
	}{
		{"tampered body", signed(t, testSecret, time.Now(), body), body + " ", testSecret},
		{"other secret", signed(t, "whsec_"+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", time.Now(), body), body, testSecret},
		{"too old", signed(t, testSecret, time.Now().Add(-10*time.Minute), body), body, testSecret},
		{"no headers", http.Header{}, body, testSecret},
		{"not a secret", signed(t, testSecret, time.Now(), body), body, "whsec_!!"},
		{"not an event", signed(t, testSecret, time.Now(), "[1]"), "[1]", testSecret},
	} {
		if _, err := VerifyWebhook(c.secret, c.header, []byte(c.body)); !errors.Is(err, ErrInvalidWebhook) {
			t.Errorf("%s: err = %v, want ErrInvalidWebhook", c.name, err)
		}
	}
}

// FuzzVerifyWebhook: any body and signature header is an error or an
// event, never a panic; a correctly signed body that decodes is accepted.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(`{"type":"signing.completed","timestamp":"2024-01-15T14:30:00Z","data":`+sessionJSON+`}`), "v1,abc=")
	f.Add([]byte(`{}`), "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v2,x")
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		h := signed(t, testSecret, time.Now(), string(body))
		_, errSigned := VerifyWebhook(testSecret, h, body)
		if errSigned != nil && !errors.Is(errSigned, ErrInvalidWebhook) {
			t.Fatalf("unwrapped error %v", errSigned)
		}
		h.Set("webhook-signature", sig)
		if _, err := VerifyWebhook(testSecret, h, body); err == nil && errSigned != nil {
			t.Fatalf("signature %q accepted for a body the right signature does not verify", sig)
		}
	})
}
