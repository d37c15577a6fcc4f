package digio

import (
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
func signerDetailsSchema(defaultSignType string) json.RawMessage {
	schema := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                "Digio signer details",
		"type":                 "object",
		"required":             []string{"name", "identifier"},
		"additionalProperties": true,
		"properties": map[string]any{
			"name": map[string]any{
				"type":        "string",
				"minLength":   1,
				"maxLength":   200,
				"pattern":     `\S`,
				"description": "The signer's name, as on their Aadhaar for an Aadhaar eSign.",
				"examples":    []string{"Asha Verma"},
			},
			"identifier": map[string]any{
				"type":      "string",
				"maxLength": 254,
				"anyOf": []any{
					map[string]any{"format": "email"},
					map[string]any{"pattern": "^[6-9][0-9]{9}$"},
				},
				"description": "Where Digio reaches the signer: an email address, or a 10-digit Indian mobile number without +91.",
				"examples":    []string{"asha.verma@example.com"},
			},
			"signType": map[string]any{
				"type":        "string",
				"enum":        signTypes,
				"default":     defaultSignType,
				"description": "How the signer signs at Digio: Aadhaar eSign, an electronic signature, or their DSC.",
				"examples":    []string{SignTypeAadhaar},
			},
			"reason": map[string]any{
				"type":        "string",
				"maxLength":   200,
				"description": "The reason for signing Digio shows the signer (default: the document's name).",
				"examples":    []string{"Loan agreement"},
			},
		},
	}
	b, err := json.Marshal(schema)
	if err != nil {
		panic("digio: signer details schema: " + err.Error()) // a literal above is broken
	}
	return b
}
