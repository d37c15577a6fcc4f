package simtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// MapCase is one row of an adapter's status mapping table: a provider's
// answer and the update it maps to (see WantMapped).
type MapCase struct {
	Name           string
	Body           string
	Status         signing.Status
	Reason         string
	ProviderStatus string
}

// RunMapCases runs each case as a subtest: mapCase maps the case's
// answer (its Body, or the recorded answer its Name names), and
// WantMapped checks the update. The cases may be of a test's own type
// defined as MapCase (type mapCase simtest.MapCase), whose rows vet lets
// the test write without field names.
func RunMapCases[C ~struct {
	Name           string
	Body           string
	Status         signing.Status
	Reason         string
	ProviderStatus string
}](t *testing.T, cases []C, mapCase func(t *testing.T, c MapCase) signing.Update) {
	t.Helper()
	for _, x := range cases {
		c := MapCase(x)
		t.Run(c.Name, func(t *testing.T) {
			WantMapped(t, mapCase(t, c), c.Status, c.Reason, c.ProviderStatus)
		})
	}
}

// SignerWords renders per-signer updates as "index:STATUS(reason)" words,
// for comparing them in one string.
func SignerWords(us []signing.SignerUpdate) string {
	words := make([]string, 0, len(us))
	for _, u := range us {
		w := fmt.Sprintf("%d:%s", u.Index, u.Status)
		if u.Reason != "" {
			w += "(" + u.Reason + ")"
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// WantEvidence checks that an update's Evidence is the JSON object want,
// and returns it.
func WantEvidence(t *testing.T, evidence json.RawMessage, want map[string]string) map[string]string {
	t.Helper()
	var got map[string]string
	if err := json.Unmarshal(evidence, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("evidence = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("evidence[%s] = %q, want %q", k, got[k], v)
		}
	}
	return got
}

// Facts is what an audit certificate says of a signer's identity, by
// label, for checking an adapter's Evidence.
func Facts(id signing.SignerIdentity) map[string]string {
	m := map[string]string{}
	for _, f := range id.Facts {
		m[f.Label] = f.Value
	}
	return m
}
