package bankid

import "encoding/json"

// ExamplePersonnummer is a valid test personnummer (a real date, a right
// check digit), used as the schema's example.
const ExamplePersonnummer = "199001011239"

// signerDetailsSchema is the JSON Schema (draft 2020-12) of signerDetails
// for BankID. identity is required: BankID's requirement.personalNumber,
// so that only that person can sign. The pattern is as much of the rule
// as a schema can say; ValidPersonnummer checks the date and the check
// digit.
//
// Every property carries a valid example. Extra properties are allowed:
// clients may keep their own data there.
func signerDetailsSchema() json.RawMessage {
	schema := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                "Swedish BankID signer details",
		"type":                 "object",
		"required":             []string{"identity"},
		"additionalProperties": true,
		"properties": map[string]any{
			"identity": map[string]any{
				"type":    "string",
				"pattern": "^(19|20)[0-9]{10}$",
				"description": "The signer's 12-digit Swedish personal identity number (personnummer or " +
					"samordningsnummer), YYYYMMDDNNNC, with a valid date and check digit. Only this person can sign.",
				"examples": []string{ExamplePersonnummer},
			},
			"name": map[string]any{
				"type":        "string",
				"minLength":   1,
				"maxLength":   200,
				"description": "The signer's name, for the client's records; BankID reports the name on the signer's BankID.",
				"examples":    []string{"Anna Svensson"},
			},
			"email": map[string]any{
				"type":        "string",
				"format":      "email",
				"maxLength":   254,
				"description": "The signer's email address, for the client's records.",
				"examples":    []string{"anna.svensson@example.se"},
			},
			"endUserIp": map[string]any{
				"type":        "string",
				"anyOf":       []any{map[string]any{"format": "ipv4"}, map[string]any{"format": "ipv6"}},
				"description": "The signer's IP address as the client saw it, sent to BankID as endUserIp (127.0.0.1 if absent).",
				"examples":    []string{"203.0.113.7"},
			},
		},
	}
	b, err := json.Marshal(schema)
	if err != nil {
		panic("bankid: signer details schema: " + err.Error()) // a literal above is broken
	}
	return b
}
