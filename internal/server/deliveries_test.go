package server

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

func TestDeliveriesPage(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 123000, time.UTC)
	cur := encodeAttemptCursor(signing.Cursor{CreatedAt: at, ID: "att_01a23600-ff96-75b2-8bbc-0395f24abbd2"})
	for _, tt := range []struct {
		query   string
		limit   int
		afterID string
		field   string
	}{
		{"", 20, "", ""},
		{"limit=1", 1, "", ""},
		{"limit=100&cursor=" + cur, 100, "att_01a23600-ff96-75b2-8bbc-0395f24abbd2", ""},
		{"limit=0", 0, "", "limit"},
		{"limit=101", 0, "", "limit"},
		{"cursor=abc", 0, "", "cursor"},
		{"cursor=" + encodeCursor(signing.Cursor{CreatedAt: at, ID: "not-a-uuid"}), 0, "", "cursor"},
		{"orderId=x", 0, "", "orderId"},
	} {
		r := httptest.NewRequest("GET", "/webhooks/ep_1/deliveries?"+tt.query, nil)
		limit, after, err := deliveriesPage(r)
		if tt.field != "" {
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("%q: err = %v, want one naming %s", tt.query, err, tt.field)
			}
			continue
		}
		if err != nil || limit != tt.limit || (after == nil) != (tt.afterID == "") ||
			after != nil && (after.ID != tt.afterID || !after.CreatedAt.Equal(at)) {
			t.Errorf("%q = %d, %+v, %v", tt.query, limit, after, err)
		}
	}
}

// FuzzAttemptCursor: a cursor the API returned decodes to its position;
// anything else is an error, never a panic.
func FuzzAttemptCursor(f *testing.F) {
	f.Add(encodeAttemptCursor(signing.Cursor{CreatedAt: time.Unix(1700000000, 0), ID: "att_01a23600-ff96-75b2-8bbc-0395f24abbd2"}))
	f.Add("eyJ0IjoxLCJpIjoiIn0")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeAttemptCursor(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(c.ID, attemptIDPrefix) {
			t.Fatalf("%q decodes to id %q", s, c.ID)
		}
		again, err := decodeAttemptCursor(encodeAttemptCursor(c))
		if err != nil || again.ID != c.ID || !again.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("%q → %+v does not round-trip: %+v, %v", s, c, again, err)
		}
	})
}
