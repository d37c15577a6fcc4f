package signing

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestProviderErrorKeepsItsCause(t *testing.T) {
	timeout := &ProviderError{Provider: "p", Op: "refresh", Retryable: true, Message: "did not answer in time",
		Err: fmt.Errorf("Post: %w", context.DeadlineExceeded)}
	if !errors.Is(timeout, context.DeadlineExceeded) || !errors.Is(timeout, ErrUnavailable) || !IsRetryable(timeout) {
		t.Errorf("retryable timeout: Is(DeadlineExceeded)=%v Is(ErrUnavailable)=%v", errors.Is(timeout, context.DeadlineExceeded), errors.Is(timeout, ErrUnavailable))
	}
	refused := &ProviderError{Provider: "p", Op: "refresh", StatusCode: 404, Message: "Contract not found", Err: ErrNotFound}
	if !errors.Is(refused, ErrNotFound) || errors.Is(refused, ErrUnavailable) || IsRetryable(refused) {
		t.Errorf("permanent not-found: Is(ErrNotFound)=%v Is(ErrUnavailable)=%v", errors.Is(refused, ErrNotFound), errors.Is(refused, ErrUnavailable))
	}
}

func TestMessageIsForTheClient(t *testing.T) {
	store := fmt.Errorf("sqlite: session 42: %w", ErrNotFound)
	for _, c := range []struct {
		err  error
		want string
	}{
		{store, ""},
		{Wrap(ErrNotFound, store, "there is no signing session %s", "42"), "there is no signing session 42"},
		{fmt.Errorf("context: %w", Errorf(ErrConflict, "the session is %s", StatusCompleted)), "the session is COMPLETED"},
		{Invalid("orderId", "is required"), "orderId is required"},
		{Wrap(ErrInvalid, &ValidationError{Errors: []FieldError{{"a", "x"}, {"b", "y"}}}, "outer"), "a x; b y"},
	} {
		if got := Message(c.err); got != c.want {
			t.Errorf("Message(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	w := Wrap(ErrNotFound, store, "nothing here")
	if !errors.Is(w, ErrNotFound) || w.Error() != "nothing here: sqlite: session 42: not found" {
		t.Errorf("Wrap keeps the chain for the log: %q", w.Error())
	}
}

func TestTerminalMessage(t *testing.T) {
	_, err := Transition(StatusCompleted, TriggerCancel)
	if got, want := Message(err), "the session is COMPLETED, which is final; it cannot become CANCELLED"; got != want || !errors.Is(err, ErrConflict) {
		t.Errorf("Message = %q (conflict %v), want %q", got, errors.Is(err, ErrConflict), want)
	}
}
