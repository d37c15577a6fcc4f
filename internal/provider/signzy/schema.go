package signzy

import (
	"bytes"
	_ "embed"
	"encoding/json"
)

// signerDetailsSchema is the JSON Schema (draft 2020-12) of signerDetails
// for Signzy. Only name is required: it is the one signer field Signzy
// requires. The Aadhaar details (gender, year of birth, last four digits
// of the UID) are optional; Signzy compares them with the Aadhaar data only
// when asked to match, which Signet does not ask for.
//
// Every property carries a valid example, so that clients (and Signet's
// registry) can build a valid request from the schema alone. Extra
// properties are allowed: clients may keep their own data there.
//
// The schema is signer-details.schema.json; the signatureType it defaults
// to is the configured one.
func signerDetailsSchema(defaultSignatureType string) json.RawMessage {
	def, _ := json.Marshal(defaultSignatureType) // a string always marshals
	return bytes.ReplaceAll(schemaJSON, []byte(`"DEFAULT_SIGNATURE_TYPE"`), def)
}

//go:embed signer-details.schema.json
var schemaJSON []byte
