package sim

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// aadhaarRecord is what the sandbox pretends UIDAI holds for an invitee:
// the demographic data an eSign certificate and Leegality's audit trail
// carry. Nothing is looked up; the record is made up from the invitee's
// name and contacts, the same every time, so that tests can predict it.
type aadhaarRecord struct {
	name   string // as on Aadhaar: the invitee's name
	state  string
	gender string // M or F
	yob    int    // year of birth
	last4  string // the Aadhaar number's last 4 digits, all that is ever shown
}

// states are the states a sandbox record lives in.
var states = []string{"Maharashtra", "Karnataka", "Tamil Nadu", "Delhi", "Gujarat", "West Bengal", "Uttar Pradesh", "Kerala"}

// aadhaarOf is v's sandbox Aadhaar record.
func aadhaarOf(v *invitation) aadhaarRecord {
	sum := sha256.Sum256([]byte(strings.ToLower(v.name) + "\x00" + v.email + "\x00" + v.phone))
	gender := "M"
	if sum[1]&1 == 1 {
		gender = "F"
	}
	n := (int(sum[3])<<8 | int(sum[4])) % 10000
	return aadhaarRecord{
		name:   v.name,
		state:  states[int(sum[0])%len(states)],
		gender: gender,
		yob:    1950 + int(sum[2])%55,
		last4:  fmt.Sprintf("%04d", n),
	}
}

// masked is the Aadhaar number as Leegality's audit trail shows it.
func (a aadhaarRecord) masked() string { return "XXXX XXXX " + a.last4 }
