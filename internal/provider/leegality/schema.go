package leegality

import (
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
func signerDetailsSchema() json.RawMessage {
	schema := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                "Leegality signer details",
		"type":                 "object",
		"required":             []string{"name"},
		"anyOf":                []any{map[string]any{"required": []string{"email"}}, map[string]any{"required": []string{"phone"}}},
		"additionalProperties": true,
		"properties": map[string]any{
			"name": map[string]any{
				"type":        "string",
				"minLength":   1,
				"maxLength":   200,
				"pattern":     `\S`,
				"description": "The signer's name as on their Aadhaar (the invitee's name).",
				"examples":    []string{"Asha Verma"},
			},
			"email": map[string]any{
				"type":        "string",
				"format":      "email",
				"maxLength":   254,
				"description": "The signer's email address; Leegality sends the invitation there. Give email or phone (or both).",
				"examples":    []string{"asha.verma@example.com"},
			},
			"phone": map[string]any{
				"type":        "string",
				"pattern":     "^[6-9][0-9]{9}$",
				"description": "The signer's 10-digit Indian mobile number, without +91; Leegality sends the invitation there by SMS. Give email or phone (or both).",
				"examples":    []string{"9876543210"},
			},
		},
	}
	b, err := json.Marshal(schema)
	if err != nil {
		panic("leegality: signer details schema: " + err.Error()) // a literal above is broken
	}
	return b
}
