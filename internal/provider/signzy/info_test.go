package signzy

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/signet-dev/signet/internal/provider/providertest"
)

func TestInfo(t *testing.T) {
	a := newTestAdapter(t)
	info := a.Info()
	if info.Name != "signzy" || info.DisplayName != "Signzy Contract360 (Aadhaar eSign)" {
		t.Errorf("info = %+v", info)
	}
	if !slices.Contains(info.Languages, "en") || !slices.Equal(info.RequiredSignerFields, []string{"name"}) {
		t.Errorf("languages %v, required %v", info.Languages, info.RequiredSignerFields)
	}
	if info.PollInterval != 0 || !info.CallsBack || info.CancelReachesProvider || !slices.Equal(info.SigningOrders, []string{"parallel"}) || info.MaxSigners != 0 {
		t.Errorf("capabilities %+v", info)
	}
	providertest.CheckInfoIsACopy(t, a)
	// The schema offers the signatureType the adapter takes, the configured one by default.
	var schema struct {
		Properties map[string]struct {
			Enum    []string `json:"enum"`
			Default string   `json:"default"`
		} `json:"properties"`
	}
	other := newTestAdapter(t, func(c *Config) { c.SignatureType = "AADHAARESIGN-FACEAUTH" })
	if err := json.Unmarshal(other.Info().SignerDetailsSchema, &schema); err != nil {
		t.Fatal(err)
	}
	if p := schema.Properties["signatureType"]; !slices.Equal(p.Enum, signatureTypes) || p.Default != "AADHAARESIGN-FACEAUTH" {
		t.Errorf("signatureType: %+v", p)
	}
	providertest.CheckSignerSchema(t, info, providertest.SchemaCase{
		Base:       map[string]any{"name": "Asha Verma"},
		Properties: []string{"name", "email", "mobile", "gender", "yearOfBirth", "uidLastFourDigits", "signatureType"},
		Good:       []string{`{"name":"A","customerRef":"x-1"}`}, // extra properties are allowed
		Bad: []string{
			`{}`, `{"name":""}`, `{"name":"A","email":"nope"}`, `{"name":"A","mobile":"12345"}`, `{"name":"A","mobile":"+919876543210"}`,
			`{"name":"A","gender":"other"}`, `{"name":"A","yearOfBirth":"90"}`, `{"name":"A","uidLastFourDigits":"12345"}`,
			`{"name":"A","signatureType":"PEN"}`,
		},
	})
}
