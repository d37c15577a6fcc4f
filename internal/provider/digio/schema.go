package digio

import (
	"bytes"
	_ "embed"
	"encoding/json"
)

// signerDetailsSchema is the JSON Schema (draft 2020-12) of signerDetails
// for Digio. Digio identifies a signer by one identifier, an email address
// or an Indian mobile number, to which it sends the OTPs; Signet requires
// it together with the signer's name (which Digio matches against the
// Aadhaar name on an Aadhaar eSign).
//
// Every property carries a valid example, so that clients (and Signet's
// registry) can build a valid request from the schema alone. Extra
// properties are allowed: clients may keep their own data there.
//
// The schema is signer-details.schema.json; the signType it defaults to
// is the configured one.
func signerDetailsSchema(defaultSignType string) json.RawMessage {
	def, _ := json.Marshal(defaultSignType) // a string always marshals
	return bytes.ReplaceAll(schemaJSON, []byte(`"DEFAULT_SIGN_TYPE"`), def)
}

//go:embed signer-details.schema.json
var schemaJSON []byte
