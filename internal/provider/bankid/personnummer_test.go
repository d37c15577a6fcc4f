package bankid

import "testing"

func TestValidPersonnummer(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"199001011239", nil},           // the schema's example
		{"189001011239", errPnrFormat},  // century 18
		{"201212121212", nil},           // a common test number
		{"197010632391", nil},           // samordningsnummer: day 03 + 60
		{"200002296127", nil},           // 29 February of a leap year
		{"190002290000", errPnrDate},    // 1900 was not a leap year
		{"199002291234", errPnrDate},    // nor was 1990
		{"199013011234", errPnrDate},    // month 13
		{"199000011234", errPnrDate},    // month 0
		{"199001001234", errPnrDate},    // day 0
		{"199004311234", errPnrDate},    // 31 April
		{"199001921234", errPnrDate},    // samordningsnummer day 92 = 32
		{"199001611236", nil},           // samordningsnummer day 61 = 1
		{"199001011238", errPnrCheck},   // check digit off by one
		{"199001011230", errPnrCheck},   // check digit 0 instead of 9
		{"9001011239", errPnrFormat},    // 10 digits
		{"19900101-1239", errPnrFormat}, // with the hyphen
		{"1990010112390", errPnrFormat}, // 13 digits
		{"19900101123a", errPnrFormat},  // a letter
		{"", errPnrFormat},              // empty
		{"１９９００１０１１２３９", errPnrFormat},  // full-width digits
	}
	for _, tt := range tests {
		if got := ValidPersonnummer(tt.in); got != tt.want {
			t.Errorf("ValidPersonnummer(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestLuhnAgreesWithEveryCheckDigit(t *testing.T) {
	// Exactly one check digit makes a number valid.
	for _, base := range []string{"19900101123", "20121212121", "19701063239", "20000229612"} {
		valid := 0
		for d := '0'; d <= '9'; d++ {
			if ValidPersonnummer(base+string(d)) == nil {
				valid++
			}
		}
		if valid != 1 {
			t.Errorf("%s?: %d valid check digits, want 1", base, valid)
		}
	}
}

func TestMaskPersonnummer(t *testing.T) {
	for in, want := range map[string]string{"199001011239": "19900101-****", "junk": "****", "": ""} {
		if got := maskPersonnummer(in); got != want {
			t.Errorf("maskPersonnummer(%q) = %q, want %q", in, got, want)
		}
	}
}
