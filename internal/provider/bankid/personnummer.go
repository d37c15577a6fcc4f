package bankid

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// The reasons ValidPersonnummer gives. They read well after a field name:
// "signerDetails.identity: must be 12 digits, YYYYMMDDNNNC".
var (
	errPnrFormat = errors.New("must be 12 digits, YYYYMMDDNNNC (a Swedish personnummer or samordningsnummer)")
	errPnrDate   = errors.New("does not start with a valid date of birth")
	errPnrCheck  = errors.New("has a wrong check digit (Luhn)")
)

// ValidPersonnummer checks a 12-digit Swedish personal identity number,
// YYYYMMDDNNNC: twelve ASCII digits, a century of 19 or 20, a real
// calendar date (or a samordningsnummer's date, whose day has 60 added),
// and the Luhn check digit over the last ten digits. It returns nil or an
// error whose text says what is wrong, fit to follow a field name.
//
// JSON Schema cannot express the date and check-digit rules, so Signet
// calls this on create, answering 400 naming signerDetails.identity.
func ValidPersonnummer(s string) error {
	if len(s) != 12 {
		return errPnrFormat
	}
	var d [12]int
	for i := 0; i < 12; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return errPnrFormat
		}
		d[i] = int(c - '0')
	}
	century := d[0]*10 + d[1]
	if century != 19 && century != 20 {
		return errPnrFormat
	}
	year := century*100 + d[2]*10 + d[3]
	month := d[4]*10 + d[5]
	day := d[6]*10 + d[7]
	if day > 60 { // samordningsnummer (coordination number)
		day -= 60
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, time.Month(month)) {
		return errPnrDate
	}
	if luhn(d[2:11]) != d[11] {
		return errPnrCheck
	}
	return nil
}

// daysIn is the number of days in month of year.
func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// luhn is the check digit for digits: every other digit from the first
// doubled (digit sums taken), and the result completed to a multiple of
// ten.
func luhn(digits []int) int {
	sum := 0
	for i, x := range digits {
		if i%2 == 0 {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return (10 - sum%10) % 10
}

// maskPersonnummer writes a personnummer for evidence that others read:
// the birth date as Swedes write it, the rest masked (YYYYMMDD-****);
// the full number identifies a person for life. Anything that is not a
// personnummer is masked whole.
func maskPersonnummer(s string) string {
	if ValidPersonnummer(s) != nil {
		return strings.Repeat("*", min(utf8.RuneCountInString(s), 12))
	}
	return s[:8] + "-****"
}
