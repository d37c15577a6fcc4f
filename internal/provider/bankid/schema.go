package bankid

import (
	_ "embed"
	"encoding/json"
)

// signerDetailsSchema is the JSON Schema (draft 2020-12) of signerDetails
// for BankID. identity is required: BankID's requirement.personalNumber,
// so that only that person can sign. The pattern is as much of the rule
// as a schema can say; ValidPersonnummer checks the date and the check
// digit.
//
// Every property carries a valid example. Extra properties are allowed:
// clients may keep their own data there.
//
// The schema is signer-details.schema.json.
func signerDetailsSchema() json.RawMessage { return schemaJSON }

//go:embed signer-details.schema.json
var schemaJSON []byte
