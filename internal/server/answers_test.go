package server

import (
	"fmt"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

func TestAnswersAreKeptPerVersion(t *testing.T) {
	a := newAnswers()
	v1 := &signing.Session{ID: "s1", Version: 1}
	v2 := &signing.Session{ID: "s1", Version: 2}
	if _, ok := a.get(v1); ok {
		t.Fatal("an answer before any was kept")
	}
	a.put(v1, []byte("one"))
	if got, ok := a.get(v1); !ok || string(got) != "one" {
		t.Errorf("get(v1) = %q, %v", got, ok)
	}
	if _, ok := a.get(v2); ok {
		t.Error("version 1's answer served for version 2")
	}
	a.put(v2, []byte("two"))
	a.put(v1, []byte("one again")) // a slow reader of the older version
	if got, ok := a.get(v2); !ok || string(got) != "two" {
		t.Errorf("get(v2) = %q, %v; an older version replaced a newer one", got, ok)
	}
	if _, ok := a.get(v1); ok {
		t.Error("an old version's answer served after a newer one was kept")
	}
}

func TestAnswersAreBounded(t *testing.T) {
	a := newAnswers()
	for i := range answersKept + 100 {
		a.put(&signing.Session{ID: fmt.Sprint(i), Version: 1}, []byte("x"))
	}
	if n := len(a.m); n > answersKept {
		t.Errorf("%d answers kept, want at most %d", n, answersKept)
	}
}
