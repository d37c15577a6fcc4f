package cursor_test

import (
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/cursor"
	"github.com/signet-dev/signet/internal/signing"
)

func TestRoundTrip(t *testing.T) {
	c := signing.Cursor{CreatedAt: time.Date(2026, 5, 1, 12, 0, 0, 123456000, time.UTC), ID: "01a23600-ff96-75b2-8bbc-0395f24abbd2"}
	got, err := cursor.Decode(cursor.Encode(c))
	if err != nil || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID || got.CreatedAt.Location() != time.UTC {
		t.Errorf("Decode(Encode(%+v)) = %+v, %v", c, got, err)
	}
	for _, bad := range []string{"", "!!", "e30", "eyJ0IjotMSwiaSI6IngifQ", "eyJ0IjoxLCJpIjoiIn0", cursor.Encode(c) + "="} {
		if got, err := cursor.Decode(bad); err == nil {
			t.Errorf("Decode(%q) = %+v, want an error", bad, got)
		}
	}
}

// FuzzDecode: anything decodes to an error or to a cursor that encodes
// back to itself.
func FuzzDecode(f *testing.F) {
	f.Add(cursor.Encode(signing.Cursor{CreatedAt: time.Unix(1700000000, 0), ID: "x"}))
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := cursor.Decode(s)
		if err != nil {
			return
		}
		again, err := cursor.Decode(cursor.Encode(c))
		if err != nil || again.ID != c.ID || !again.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("%q → %+v does not round-trip: %+v, %v", s, c, again, err)
		}
	})
}
