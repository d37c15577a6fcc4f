package bankid

import (
	"encoding/json"

	"github.com/signet-dev/signet/internal/signing"
)

var _ signing.SignerChecker = (*Adapter)(nil)

// CheckSignerDetails checks what the schema cannot: that identity is a
// real personnummer (a valid date and Luhn check digit).
func (a *Adapter) CheckSignerDetails(details json.RawMessage) []signing.FieldError {
	var d struct {
		Identity *string `json:"identity"`
	}
	if json.Unmarshal(details, &d) != nil || d.Identity == nil {
		return nil // the schema reports a missing or mistyped identity
	}
	if err := ValidPersonnummer(*d.Identity); err != nil {
		return []signing.FieldError{{Field: "signerDetails.identity", Message: err.Error()}}
	}
	return nil
}
