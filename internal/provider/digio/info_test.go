package digio

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/signet-dev/signet/internal/provider/providertest"
)

func TestInfo(t *testing.T) {
	a := newTestAdapter(t)
	info := a.Info()
	if info.Name != "digio" || info.DisplayName != "Digio eSign" {
		t.Errorf("info = %+v", info)
	}
	if !slices.Equal(info.Languages, []string{"en"}) || !slices.Equal(info.RequiredSignerFields, []string{"name", "identifier"}) {
		t.Errorf("languages %v, required %v", info.Languages, info.RequiredSignerFields)
	}
	if info.PollInterval != 0 || !info.CallsBack || !info.CancelReachesProvider ||
		!slices.Equal(info.SigningOrders, []string{"sequential", "parallel"}) || info.MaxSigners != 0 {
		t.Errorf("capabilities %+v", info)
	}
	providertest.CheckInfoIsACopy(t, a)
	// The schema offers the signType the adapter takes, the configured one by default.
	var schema struct {
		Properties map[string]struct {
			Enum    []string `json:"enum"`
			Default string   `json:"default"`
		} `json:"properties"`
	}
	other := newTestAdapter(t, func(c *Config) { c.SignType = "dsc" })
	if err := json.Unmarshal(other.Info().SignerDetailsSchema, &schema); err != nil {
		t.Fatal(err)
	}
	if p := schema.Properties["signType"]; !slices.Equal(p.Enum, signTypes) || p.Default != "dsc" {
		t.Errorf("signType: %+v", p)
	}
	every := providertest.CheckSignerSchema(t, info, providertest.SchemaCase{
		Base:       map[string]any{"name": "Asha Verma", "identifier": "9876543210"},
		Properties: []string{"name", "identifier", "signType", "reason"},
		Good: []string{
			`{"name":"A","identifier":"a@b.example"}`, `{"name":"A","identifier":"9876543210","signType":"electronic","customerRef":"x-1"}`,
		},
		Bad: []string{
			`{}`, `{"name":"A"}`, `{"identifier":"a@b.example"}`, `{"name":"","identifier":"a@b.example"}`, `{"name":"  ","identifier":"a@b.example"}`,
			`{"name":"A","identifier":"nope"}`, `{"name":"A","identifier":"12345"}`, `{"name":"A","identifier":"+919876543210"}`,
			`{"name":"A","identifier":"9876543210","signType":"pen"}`, `{"name":"A","identifier":"9876543210","signType":"AADHAAR"}`,
			`{"name":"A","identifier":7}`,
		},
	})
	// The examples together make a request the adapter accepts.
	req := testRequest()
	req.SignerDetails = every
	req.ExpiresAt = a.cfg.Now().Add(1e12)
	if _, _, err := a.uploadRequest(req); err != nil {
		t.Errorf("the adapter refuses the schema's examples: %v", err)
	}
}
