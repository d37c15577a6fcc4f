package httpx

import (
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/signing"
)

// GoneWhen404Names returns a Client.Refine that marks a 404 as Gone when
// the provider's own error message (read by message) says "<thing> not
// found" in any case, as its answer for a record it no longer has does. A
// 404 for an unknown path, or a bare one, which a wrong base URL gives
// too, stays a plain not-found.
func GoneWhen404Names(thing string, message func(body []byte) string) func(*signing.ProviderError, []byte) {
	thing = strings.ToLower(thing)
	return func(pe *signing.ProviderError, body []byte) {
		if pe.StatusCode != http.StatusNotFound {
			return
		}
		msg := strings.ToLower(message(body))
		pe.Gone = strings.Contains(msg, thing) && strings.Contains(msg, "not found")
	}
}
