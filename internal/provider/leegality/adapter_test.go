package leegality

import (
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

func newTestAdapter(t testing.TB, mutate ...func(*Config)) *Adapter {
	return simtest.Build(t, Config{BaseURL: "https://sandbox.leegality.com/api", AuthToken: "tok", ProfileID: "wf-1", PrivateSalt: testSalt}, mutate, New)
}

func TestNew(t *testing.T) {
	a := simtest.WantChecked(t, Config{BaseURL: "https://app1.leegality.com/api", AuthToken: "t", ProfileID: "p", PrivateSalt: "s"}, New,
		func(c *Config) { c.BaseURL = "" },
		func(c *Config) { c.BaseURL = "app1.leegality.com/api" },
		func(c *Config) { c.BaseURL = "ftp://app1.leegality.com/api" },
		func(c *Config) { c.BaseURL = "https://app1.leegality.com/api?x=1" },
		func(c *Config) { c.AuthToken = "" },
		func(c *Config) { c.AuthToken = "a\r\nX-Evil: 1" },
		func(c *Config) { c.ProfileID = " " },
		func(c *Config) { c.PrivateSalt = "" },
		func(c *Config) { c.Timeout = -time.Second },
	)
	if a.http.Timeout != DefaultTimeout || a.cfg.Now == nil || a.http.HTTP != nil { // nil: http.DefaultClient
		t.Errorf("defaults: %v", a.cfg)
	}
	simtest.WantRedacted(t, Config{BaseURL: "https://app1.leegality.com/api", AuthToken: "very-secret-token", ProfileID: "wf-9", PrivateSalt: "salt-value"},
		[]string{"very-secret-token", "salt-value"}, []string{"app1.leegality.com", "wf-9"})
}

func TestInfo(t *testing.T) {
	a := newTestAdapter(t)
	info := a.Info()
	providertest.CheckInfo(t, a, signing.ProviderInfo{Name: "leegality", DisplayName: "Leegality (Aadhaar eSign)", Languages: []string{"en", "hi"},
		RequiredSignerFields: []string{"name"}, CallsBack: true, CancelReachesProvider: true,
		SigningOrders: []signing.SigningOrder{signing.Sequential, signing.Parallel}, MaxSigners: signing.MaxSigners,
		Identification: "Aadhaar eSign via Leegality"})
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
