package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// FuzzConsoleCursor: a console page's cursor comes from the query string.
// Anything decodes to nothing or to a position that encodes back to
// itself.
func FuzzConsoleCursor(f *testing.F) {
	f.Add(encodeCursor(signing.Cursor{CreatedAt: time.Date(2026, 4, 1, 10, 0, 0, 123000, time.UTC), ID: "01a23600-ff96-75b2-8bbc-0395f24abbd2"}))
	f.Add(encodeCursor(signing.Cursor{CreatedAt: time.Unix(1, 0), ID: "att_x"}))
	f.Add("")
	f.Add("e30")
	f.Add("eyJ0IjotMSwiaSI6IngifQ")
	f.Fuzz(func(t *testing.T, s string) {
		c := decodeCursor(s)
		if c == nil {
			return
		}
		again := decodeCursor(encodeCursor(*c))
		if again == nil || !again.CreatedAt.Equal(c.CreatedAt) || again.ID != c.ID {
			t.Errorf("%q decodes to %+v, which does not round-trip (%+v)", s, c, again)
		}
		if c.ID == "" || len(c.ID) > 100 || c.CreatedAt.Unix() <= 0 && c.CreatedAt.UnixMicro() <= 0 {
			t.Errorf("%q decodes to an impossible position %+v", s, c)
		}
	})
}

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
