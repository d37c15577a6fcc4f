package httpx

import (
	"encoding/json"
	"errors"
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
