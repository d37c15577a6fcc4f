package pdf

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// slowInput is generous: fuzzing shares two cores with its own workers.
const slowInput = 5 * time.Second

// fuzzLimits are tight, so that fuzzing reaches every limit often and each
// input stays cheap. The timeout is beyond slowInput: a slow input is a
// bug to report, not a limit to hide behind.
var fuzzLimits = Limits{
	MaxDecodedBytes:  1 << 20,
	MaxStreamBytes:   256 << 10,
	MaxObjects:       2000,
	MaxPages:         50,
	MaxDepth:         32,
	MaxPageTreeDepth: 8,
	Timeout:          time.Minute,
}

// FuzzValidate feeds arbitrary bytes to Validate under fuzzLimits, which
// must never panic, must fail with one of its documented errors (a
// *LimitError naming a limit it was given), and must agree with Validate
// under the (larger) default limits on what it accepts. Inputs that do
// validate must also survive Stamp, whose output must validate again.
func FuzzValidate(f *testing.F) {
	// The committed corpus in testdata/fuzz/FuzzValidate holds the same
	// seeds; adding them here keeps them even if that directory is lost.
	for _, b := range fuzzSeeds() {
		f.Add(b)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		info, err := fuzzLimits.Validate(ctx, b)
		// Fuzz inputs are small: a slow one is a denial-of-service bug.
		if d := time.Since(start); d > slowInput && len(b) < 1<<20 {
			t.Fatalf("Validate took %v on %d bytes", d, len(b))
		}
		if err != nil {
			checkError(t, err)
			return
		}
		if info.Pages < 1 || info.Version == "" {
			t.Fatalf("valid PDF with info %+v", info)
		}
		// The limits only ever refuse: what passes tight ones passes the
		// defaults, alike.
		if got, err := Validate(b); err != nil || got != info {
			t.Fatalf("Validate under the defaults = %+v, %v; under fuzzLimits %+v", got, err, info)
		}
		out, err := fuzzLimits.Stamp(ctx, b, "Signed by Fuzz")
		if err != nil {
			// pdfcpu can accept a file for reading yet fail to modify it;
			// that must be an error, not a panic or a broken file.
			t.Logf("Stamp: %v", err)
			return
		}
		// The stamp adds content and objects: check the output under the
		// defaults.
		got, err := Validate(out)
		if err != nil {
			t.Fatalf("stamped output does not validate: %v", err)
		}
		if got.Pages != info.Pages {
			t.Fatalf("stamped output has %d pages, input %d", got.Pages, info.Pages)
		}
	})
}

// checkError fails unless err is one of Validate's documented errors,
// with a short one-line message.
func checkError(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || len(msg) > maxErrDetail+50 {
		t.Fatalf("error message is not a short single line: %q", msg)
	}
	// inspect turns its own panics into errors for the caller's sake;
	// for the fuzzer they are bugs.
	if strings.Contains(err.Error(), "reader failure") {
		t.Fatalf("reader panicked: %v", err)
	}
	var le *LimitError
	if errors.As(err, &le) {
		max := map[string]int64{
			LimitDecodedBytes:  fuzzLimits.MaxDecodedBytes,
			LimitStreamBytes:   fuzzLimits.MaxStreamBytes,
			LimitObjects:       int64(fuzzLimits.MaxObjects),
			LimitPages:         int64(fuzzLimits.MaxPages),
			LimitDepth:         int64(fuzzLimits.MaxDepth),
			LimitPageTreeDepth: int64(fuzzLimits.MaxPageTreeDepth),
		}
		if m, ok := max[le.Limit]; !ok || le.Max != m || le.Got <= le.Max {
			t.Fatalf("LimitError %+v does not match fuzzLimits", le)
		}
		return
	}
	if !errors.Is(err, ErrNotPDF) && !errors.Is(err, ErrMalformed) &&
		!errors.Is(err, ErrEncrypted) && !errors.Is(err, ErrNoPages) {
		t.Fatalf("undocumented error: %v", err)
	}
}
