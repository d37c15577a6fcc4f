package simtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Testdata reads testdata/name of the package under test: a recorded
// provider payload, usually.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Decode reads a provider's JSON answer into a T, failing the test if it
// does not decode.
func Decode[T any](t testing.TB, answer []byte) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal(answer, &v); err != nil {
		t.Fatalf("decode %s: %v", answer, err)
	}
	return &v
}

// Build makes a T (an adapter, a simulator) from a test's usual cfg,
// changed by mutate, failing the test if build refuses it.
func Build[C, T any](t testing.TB, cfg C, mutate []func(*C), build func(C) (T, error)) T {
	t.Helper()
	for _, m := range mutate {
		m(&cfg)
	}
	v, err := build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ErrorCase is an error answer of a provider (its body given, or read
// from testdata/File) and what the adapter must make of it.
type ErrorCase struct {
	Status     int
	File, Body string
	Message    string
	Retryable  bool
	NotFound   bool // wraps signing.ErrNotFound
	Gone       bool // the provider's own words say the record is gone
}

// WantErrors checks the ProviderError the adapter's HTTP policy c makes
// of each error answer to op.
func WantErrors(t *testing.T, c *httpx.Client, op string, cases []ErrorCase) {
	t.Helper()
	for _, tt := range cases {
		body := []byte(tt.Body)
		if tt.File != "" {
			body = Testdata(t, tt.File)
		}
		var err error = c.StatusError(op, tt.Status, nil, body)
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Provider != c.Provider || pe.Op != op || pe.StatusCode != tt.Status ||
			pe.Message != tt.Message || pe.Retryable != tt.Retryable || signing.IsRetryable(err) != tt.Retryable {
			t.Errorf("HTTP %d %s%s: %+v, want message %q, retryable %v", tt.Status, tt.File, tt.Body, pe, tt.Message, tt.Retryable)
		}
		if errors.Is(err, signing.ErrNotFound) != tt.NotFound {
			t.Errorf("HTTP %d %s%s: errors.Is(ErrNotFound) = %v", tt.Status, tt.File, tt.Body, !tt.NotFound)
		}
		if pe != nil && pe.Gone != tt.Gone {
			t.Errorf("HTTP %d %s%s: Gone = %v", tt.Status, tt.File, tt.Body, pe.Gone)
		}
	}
}

// WantMapped checks an update an adapter's status table made of a
// provider's answer: its status, reason and provider status; no Signed
// document or State (the table reads words, not files); and valid
// Evidence on COMPLETED and FAILED.
func WantMapped(t *testing.T, u signing.Update, status signing.Status, reason, providerStatus string) {
	t.Helper()
	if u.Status != status || u.Reason != reason || u.ProviderStatus != providerStatus {
		t.Errorf("got (%s, %q, %q), want (%s, %q, %q)", u.Status, u.Reason, u.ProviderStatus, status, reason, providerStatus)
	}
	if u.Signed != nil || u.State != nil {
		t.Error("the status table set Signed or State")
	}
	if (u.Status == signing.StatusCompleted || u.Status == signing.StatusFailed) && !json.Valid(u.Evidence) {
		t.Errorf("terminal update without valid evidence: %s", u.Evidence)
	}
}

// WantChecked checks that build refuses the good configuration ok changed
// by each of bad, and returns what it makes of ok.
func WantChecked[C, T any](t *testing.T, ok C, build func(C) (T, error), bad ...func(*C)) T {
	t.Helper()
	for i, m := range bad {
		c := ok
		m(&c)
		if _, err := build(c); err == nil {
			t.Errorf("case %d: %+v accepted", i, c)
		}
	}
	return Build(t, ok, nil, build)
}

// WantRedacted checks that a configuration's String shows none of its
// secrets, and all of shown.
func WantRedacted(t *testing.T, cfg fmt.Stringer, secrets, shown []string) {
	t.Helper()
	s := cfg.String()
	for _, x := range secrets {
		if strings.Contains(s, x) {
			t.Errorf("%s reveals %q", s, x)
		}
	}
	for _, x := range shown {
		if !strings.Contains(s, x) {
			t.Errorf("%s does not show %q", s, x)
		}
	}
}

// WantLenient checks a provider's lenient text and flag types (see
// flexjson) on the same awkward values: a text reads strings, numbers and
// booleans as their text and anything else as ""; a flag reads true,
// "true", "yes", "1" and 1 (in any case) as true and anything else as
// false.
func WantLenient[T ~string, F ~bool](t *testing.T) {
	t.Helper()
	var v struct {
		T []T `json:"t"`
		F []F `json:"f"`
	}
	in := `{"t":["a",1,true,null,{"x":1},[1],"\u00e9"],
		"f":[true,false,"true","False","yes","1",1,0,"no",null,"maybe",{}]}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	for i, w := range []T{"a", "1", "true", "", "", "", "é"} {
		if v.T[i] != w {
			t.Errorf("text[%d] = %q, want %q", i, v.T[i], w)
		}
	}
	for i, w := range []F{true, false, true, false, true, true, true, false, false, false, false, false} {
		if v.F[i] != w {
			t.Errorf("flag[%d] = %v, want %v", i, v.F[i], w)
		}
	}
}
