package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzSignerDetails: a session's signerDetails is the client's JSON; the
// session page shows any of it without failing.
func FuzzSignerDetails(f *testing.F) {
	f.Add(`{"name":"Asha Rao","email":"asha@example.com"}`)
	f.Add(`{"identity":"199001011234","phone":{"cc":"+46","n":"70"}}`)
	f.Add(`{"name":1,"name":"twice"}`)
	f.Add(`[]`)
	f.Add(`{"a":`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, details string) {
		v := signerFrom(json.RawMessage(details))
		if strings.Count(details, ":") < len(v.Fields) {
			t.Errorf("%q gave %d fields", details, len(v.Fields))
		}
		_ = signerName(json.RawMessage(details))
	})
}
