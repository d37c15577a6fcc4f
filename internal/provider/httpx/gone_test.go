package httpx

import (
	"net/http"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

func TestGoneWhen404Names(t *testing.T) {
	refine := GoneWhen404Names("Contract", func(body []byte) string { return string(body) })
	for _, c := range []struct {
		status int
		body   string
		gone   bool
	}{
		{http.StatusNotFound, "Contract not found", true},
		{http.StatusNotFound, "CONTRACT NOT FOUND", true},
		{http.StatusNotFound, "Resource not found", false},
		{http.StatusNotFound, "", false},
		{http.StatusBadRequest, "Contract not found", false},
	} {
		pe := &signing.ProviderError{StatusCode: c.status}
		refine(pe, []byte(c.body))
		if pe.Gone != c.gone {
			t.Errorf("%d %q: Gone = %v, want %v", c.status, c.body, pe.Gone, c.gone)
		}
	}
}
