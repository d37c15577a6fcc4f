package signing

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	base := 30 * time.Second
	for _, c := range []struct {
		n    int
		err  error
		want time.Duration
	}{
		{1, errors.New("x"), 30 * time.Second},
		{2, errors.New("x"), time.Minute},
		{4, errors.New("x"), 4 * time.Minute},
		{20, errors.New("x"), maxBackoff},
		{1, &ProviderError{RetryAfter: 2 * time.Minute}, 2 * time.Minute},
		{1, fmt.Errorf("wrapped: %w", &ProviderError{RetryAfter: 5 * time.Second}), 30 * time.Second},
		{1, &ProviderError{RetryAfter: 48 * time.Hour}, maxBackoff},
	} {
		if got := backoff(base, c.n, c.err); got != c.want {
			t.Errorf("backoff(%v, %d, %v) = %v, want %v", base, c.n, c.err, got, c.want)
		}
	}
}

func TestFailuresLogOnceThenRarely(t *testing.T) {
	var f failures
	var logged []int
	for range 20 {
		if n := f.failed("s1"); worthLogging(n) {
			logged = append(logged, n)
		}
	}
	if fmt.Sprint(logged) != "[1 2 4 8 16]" {
		t.Errorf("logged at failures %v", logged)
	}
	f.failed("s2")
	f.succeeded("s1")
	if f.current("s1") != 0 || f.current("s2") != 1 {
		t.Errorf("after success: s1 %d, s2 %d", f.current("s1"), f.current("s2"))
	}
}
