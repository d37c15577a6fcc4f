package leegality

import (
	"strings"
	"time"
)

// ist is India Standard Time, UTC+05:30 all year. Leegality writes its
// dates as "DD-MM-YYYY HH:MM:SS" in IST with no zone; a fixed zone reads
// them without depending on the tz database being installed.
var ist = time.FixedZone("IST", 5*3600+30*60)

// istLayouts are the forms Leegality's dates are seen in: its documented
// "DD-MM-YYYY HH:MM:SS", without seconds, with slashes, and ISO order.
var istLayouts = []string{
	"02-01-2006 15:04:05",
	"02-01-2006 15:04",
	"02/01/2006 15:04:05",
	"02/01/2006, 15:04:05",
	"2006-01-02 15:04:05",
	"02-01-2006",
}

// parseIST reads one of Leegality's dates. A date with a zone (RFC 3339)
// keeps it; one without is IST. ok is false for anything else.
func parseIST(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range istLayouts {
		if t, err := time.ParseInLocation(l, s, ist); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// rfc3339 is t in UTC for the audit trail and adapter state ("" if zero).
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
