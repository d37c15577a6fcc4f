package leegality

import (
	_ "embed"
	"encoding/json"
)

// signerDetailsSchema is the JSON Schema (draft 2020-12) of signerDetails
// for Leegality. name is required, and so is a way to reach the invitee:
// Leegality sends the invitation (and its OTPs) to the email or the phone,
// so at least one of them must be given (anyOf). Only name is listed in
// requiredSignerFields, being the one field required on its own.
//
// Every property carries a valid example, so that clients (and Signet's
// registry) can build a valid request from the schema alone. Extra
// properties are allowed: clients may keep their own data there.
//
// The schema is signer-details.schema.json.
func signerDetailsSchema() json.RawMessage { return schemaJSON }

//go:embed signer-details.schema.json
var schemaJSON []byte
