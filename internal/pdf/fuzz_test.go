package pdf

import (
	"errors"
	"testing"
	"time"
)

// slowInput is generous: fuzzing shares two cores with its own workers.
const slowInput = 5 * time.Second

// FuzzValidate feeds arbitrary bytes to Validate, which must never panic
// and must fail with one of its documented errors. Inputs that do validate
// must also survive Stamp, whose output must validate again.
func FuzzValidate(f *testing.F) {
	// The committed corpus in testdata/fuzz/FuzzValidate holds the same
	// seeds; adding them here keeps them even if that directory is lost.
	for _, b := range fuzzSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		info, err := Validate(b)
		// Fuzz inputs are small: a slow one is a denial-of-service bug.
		if d := time.Since(start); d > slowInput && len(b) < 1<<20 {
			t.Fatalf("Validate took %v on %d bytes", d, len(b))
		}
		if err != nil {
			if !errors.Is(err, ErrNotPDF) && !errors.Is(err, ErrMalformed) &&
				!errors.Is(err, ErrEncrypted) && !errors.Is(err, ErrNoPages) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		if info.Pages < 1 || info.Version == "" {
			t.Fatalf("valid PDF with info %+v", info)
		}
		out, err := Stamp(b, "Signed by Fuzz")
		if err != nil {
			// pdfcpu can accept a file for reading yet fail to modify it;
			// that must be an error, not a panic or a broken file.
			t.Logf("Stamp: %v", err)
			return
		}
		got, err := Validate(out)
		if err != nil {
			t.Fatalf("stamped output does not validate: %v", err)
		}
		if got.Pages != info.Pages {
			t.Fatalf("stamped output has %d pages, input %d", got.Pages, info.Pages)
		}
	})
}
