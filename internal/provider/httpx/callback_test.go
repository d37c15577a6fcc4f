package httpx

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

func TestDecodeCallback(t *testing.T) {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if err := DecodeCallback([]byte(" \n{\"id\":\"d1\"}\n"), &v); err != nil || string(v.ID) != `"d1"` {
		t.Fatalf("object: %v, id %s", err, v.ID)
	}
	for _, body := range []string{"", "  ", `["a"]`, `"x"`, `null`, `{"id":`, `{"id":"a"} x`} {
		err := DecodeCallback([]byte(body), &v)
		var ve *signing.ValidationError
		if !errors.Is(err, signing.ErrInvalid) || !errors.As(err, &ve) {
			t.Errorf("%q: got %v, want a validation error", body, err)
		}
	}
}

func TestCallbackString(t *testing.T) {
	for raw, want := range map[string]bool{`"a"`: true, `""`: true, ``: false, `12`: false, `{"a":1}`: false, `["a"]`: false} {
		s, ok := CallbackString(json.RawMessage(raw))

		if ok != want || (ok && s != raw[1:len(raw)-1]) {
			t.Errorf("%s: got %q, %v; want ok=%v", raw, s, ok, want)
		}
	}
}

func TestCallbackStringNull(t *testing.T) {
	// null reads as "", which no provider's id check lets through.
	if s, ok := CallbackString(json.RawMessage(`null`)); !ok || s != "" {
		t.Errorf("null: got %q, %v", s, ok)
	}
}

func TestValidMAC(t *testing.T) {
	m := hmac.New(sha256.New, []byte("key"))
	m.Write([]byte("message"))
	good := hex.EncodeToString(m.Sum(nil))
	for _, mac := range []string{good, strings.ToUpper(good), " " + good + "\n"} {
		if !ValidMAC(sha256.New, "key", []byte("message"), mac) {
			t.Errorf("%q refused", mac)
		}
	}
	for name, ok := range map[string]bool{
		"other key":     ValidMAC(sha256.New, "kez", []byte("message"), good),
		"other message": ValidMAC(sha256.New, "key", []byte("messagf"), good),
		"other hash":    ValidMAC(sha1.New, "key", []byte("message"), good),
		"truncated":     ValidMAC(sha256.New, "key", []byte("message"), good[:40]),
		"not hex":       ValidMAC(sha256.New, "key", []byte("message"), "zz"+good[2:]),
		"empty":         ValidMAC(sha256.New, "key", []byte("message"), ""),
	} {
		if ok {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestSameSecret(t *testing.T) {
	if !SameSecret("s3cret", "s3cret") || SameSecret("s3cret", "s3cre") || SameSecret("", "x") {
		t.Error("SameSecret")
	}
}
