package leegality

import (
	"slices"
	"testing"

	"github.com/signet-dev/signet/internal/provider/providertest"
)

func TestInfo(t *testing.T) {
	a := newTestAdapter(t)
	info := a.Info()
	if info.Name != "leegality" || info.DisplayName != "Leegality (Aadhaar eSign)" {
		t.Errorf("info = %+v", info)
	}
	if !slices.Equal(info.Languages, []string{"en", "hi"}) || !slices.Equal(info.RequiredSignerFields, []string{"name"}) {
		t.Errorf("languages %v, required %v", info.Languages, info.RequiredSignerFields)
	}
	if info.PollInterval != 0 || !info.CallsBack || !info.CancelReachesProvider ||
		!slices.Equal(info.SigningOrders, []string{"sequential", "parallel"}) || info.MaxSigners != 0 {
		t.Errorf("capabilities %+v", info)
	}
	providertest.CheckInfoIsACopy(t, a)
	// Every property carries an example valid next to a name and a contact.
	providertest.CheckSignerSchema(t, info, providertest.SchemaCase{
		Base:       map[string]any{"name": "Asha Verma", "email": "a@example.com"},
		Properties: []string{"name", "email", "phone"},
		Good: []string{
			`{"name":"A","email":"a@example.com"}`, `{"name":"A","phone":"9876543210"}`,
			`{"name":"A","email":"a@example.com","phone":"9876543210","customerRef":"x-1"}`,
		},
		Bad: []string{
			`{}`, `{"name":"A"}`, `{"name":"","email":"a@example.com"}`, `{"name":"  ","email":"a@example.com"}`,
			`{"email":"a@example.com"}`, `{"name":"A","email":"nope"}`, `{"name":"A","phone":"12345"}`,
			`{"name":"A","phone":"+919876543210"}`, `{"name":"A","phone":9876543210}`,
		},
	})
}
