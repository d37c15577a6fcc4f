package signzy

import (
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
func signerDetailsSchema(defaultSignatureType string) json.RawMessage {
	schema := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                "Signzy signer details",
		"type":                 "object",
		"required":             []string{"name"},
		"additionalProperties": true,
		"properties": map[string]any{
			"name": map[string]any{
				"type":        "string",
				"minLength":   1,
				"maxLength":   200,
				"description": "The signer's name as on their Aadhaar (signerName).",
				"examples":    []string{"Asha Verma"},
			},
			"email": map[string]any{
				"type":        "string",
				"format":      "email",
				"maxLength":   254,
				"description": "The signer's email address (signerEmail).",
				"examples":    []string{"asha.verma@example.com"},
			},
			"mobile": map[string]any{
				"type":        "string",
				"pattern":     "^[6-9][0-9]{9}$",
				"description": "The signer's 10-digit Indian mobile number, without +91 (signerMobile).",
				"examples":    []string{"9876543210"},
			},
			"gender": map[string]any{
				"type":        "string",
				"enum":        []string{"male", "female", "transgender"},
				"description": "The signer's gender as on their Aadhaar (signerGender).",
				"examples":    []string{"female"},
			},
			"yearOfBirth": map[string]any{
				"type":        "string",
				"pattern":     "^[0-9]{4}$",
				"description": "The signer's year of birth (signerYearOfBirth).",
				"examples":    []string{"1990"},
			},
			"uidLastFourDigits": map[string]any{
				"type":        "string",
				"pattern":     "^[0-9]{4}$",
				"description": "The last four digits of the signer's Aadhaar number.",
				"examples":    []string{"1234"},
			},
			"signatureType": map[string]any{
				"type":        "string",
				"enum":        signatureTypes,
				"default":     defaultSignatureType,
				"description": "How the signer authenticates the Aadhaar eSign.",
				"examples":    []string{SignatureOTP},
			},
		},
	}
	b, err := json.Marshal(schema)
	if err != nil {
		panic("signzy: signer details schema: " + err.Error()) // a literal above is broken
	}
	return b
}
