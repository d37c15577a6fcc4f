package simtest

import (
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

// RunMapCases runs each case as a subtest: mapBody maps the case's body,
// and WantMapped checks the update.
func RunMapCases(t *testing.T, cases []MapCase, mapBody func(t *testing.T, body string) signing.Update) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			WantMapped(t, mapBody(t, c.Body), c.Status, c.Reason, c.ProviderStatus)
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
