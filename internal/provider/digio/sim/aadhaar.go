package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
)

// aadhaarRecord is what the eSign service learns of a signer from UIDAI's
// eKYC and Digio reports back in the signer's pki_signature_details:
// the name on the Aadhaar record, its last four digits, gender, year of
// birth and postal code. The sandbox has no UIDAI, so it makes a record
// up from the name the signer was invited under and their identifier:
// the same signer always gets the same record.
type aadhaarRecord struct {
	name, suffix, gender, yearOfBirth, postalCode string
	state                                         string // for the certificate; Digio's details do not carry it
}

// sandboxRegions are the postal codes (and their states) the sandbox's
// Aadhaar records live in.
var sandboxRegions = []struct{ postalCode, state string }{
	{"560001", "Karnataka"}, {"400001", "Maharashtra"}, {"110001", "Delhi"},
	{"600001", "Tamil Nadu"}, {"700001", "West Bengal"}, {"500001", "Telangana"},
}

// sandboxName is the Aadhaar name of a signer invited without one.
const sandboxName = "Sandbox Signer"

func sandboxAadhaar(p *party) aadhaarRecord {
	sum := sha256.Sum256([]byte(strings.ToLower(p.identifier)))
	region := sandboxRegions[binary.BigEndian.Uint32(sum[:4])%uint32(len(sandboxRegions))]
	name := p.name
	if name == "" {
		name = sandboxName
	}
	return aadhaarRecord{
		name:        name,
		suffix:      fmt.Sprintf("%04d", binary.BigEndian.Uint16(sum[4:6])%10000),
		gender:      string("MF"[sum[6]%2]),
		yearOfBirth: fmt.Sprint(1960 + int(sum[7])%45),
		postalCode:  region.postalCode,
		state:       region.state,
	}
}

// pkiView is a signer's pki_signature_details, as Digio reports them
// once an Aadhaar eSign is done.
type pkiView struct {
	Name          string `json:"name"`
	AadhaarSuffix string `json:"aadhaar_suffix"`
	Gender        string `json:"gender"`
	YearOfBirth   string `json:"year_of_birth"`
	PostalCode    string `json:"postal_code"`
	DisplayName   string `json:"display_name"`
}

func (a *aadhaarRecord) view() *pkiView {
	if a == nil {
		return nil
	}
	return &pkiView{Name: a.name, AadhaarSuffix: a.suffix, Gender: a.gender, YearOfBirth: a.yearOfBirth,
		PostalCode: a.postalCode, DisplayName: a.name}
}
