package simtest

import (
	"context"
	"errors"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// RefusedCase is a request an adapter must refuse before it calls the
// provider: a good request changed by Mutate, and the field the
// ValidationError names first.
type RefusedCase struct {
	Name   string
	Mutate func(*signing.InitiateRequest)
	Field  string
}

// WantRefused runs each case as a subtest: p's Initiate of good() changed
// by the case must fail with a ValidationError (signing.ErrInvalid) whose
// first field is the case's, and must not call the provider f fakes. The
// cases may be of a test's own type defined as RefusedCase, whose rows vet
// lets the test write without field names.
func WantRefused[C ~struct {
	Name   string
	Mutate func(*signing.InitiateRequest)
	Field  string
}](t *testing.T, p signing.Provider, f *Fake, good func() signing.InitiateRequest, cases []C) {
	t.Helper()
	for _, x := range cases {
		c := RefusedCase(x)
		t.Run(c.Name, func(t *testing.T) {
			calls := f.Calls
			req := good()
			c.Mutate(&req)
			_, err := p.Initiate(context.Background(), req)
			var ve *signing.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, signing.ErrInvalid) || ve.Errors[0].Field != c.Field {
				t.Fatalf("err = %v, want a ValidationError on %s", err, c.Field)
			}
			if f.Calls != calls {
				t.Error("the provider was called with an invalid request")
			}
		})
	}
}
