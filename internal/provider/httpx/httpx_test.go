package httpx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestReadLimited(t *testing.T) {
	if b, err := ReadLimited(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	if _, err := ReadLimited(strings.NewReader("123456"), 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

func TestRetryableStatus(t *testing.T) {
	for status, want := range map[int]bool{500: true, 502: true, 503: true, 429: true, 408: true, 400: false, 401: false, 404: false, 409: false} {
		if got := RetryableStatus(status); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestUnreachable(t *testing.T) {
	pe := Unreachable("signzy", "Signzy", "refresh", fmt.Errorf("dial: %w", context.DeadlineExceeded))
	if !pe.Retryable || pe.Message != "Signzy did not answer in time" || pe.Provider != "signzy" || pe.Op != "refresh" {
		t.Errorf("timeout: %+v", pe)
	}
	if pe := Unreachable("digio", "Digio", "initiate", errors.New("connection refused")); pe.Message != "Digio could not be reached" {
		t.Errorf("refused: %+v", pe)
	}
}
