package digio

import (
	"slices"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

func newTestAdapter(t testing.TB, mutate ...func(*Config)) *Adapter {
	return simtest.Build(t, Config{BaseURL: SandboxURL, ClientID: "AI1TESTCLIENT", ClientSecret: "client-secret", WebhookSecret: testWebhookSecret}, mutate, New)
}

func TestNew(t *testing.T) {
	ok := Config{BaseURL: SandboxURL, ClientID: "id", ClientSecret: "secret", WebhookSecret: "wh"}
	a := simtest.WantChecked(t, ok, New,
		func(c *Config) { c.BaseURL = "" },                               // no base
		func(c *Config) { c.BaseURL = "/sandbox/digio" },                 // a relative one
		func(c *Config) { c.BaseURL = "https://api.digio.in/?x=1" },      // with a query
		func(c *Config) { c.BaseURL = "ftp://api.digio.in" },             // not HTTP
		func(c *Config) { c.ClientID = "" },                              // no client id
		func(c *Config) { c.ClientSecret = "" },                          // no client secret
		func(c *Config) { c.ClientID = "a:b" },                           // a colon in the id
		func(c *Config) { c.ClientSecret = "a\nb" },                      // a newline in the secret
		func(c *Config) { c.WebhookSecret = "" },                         // no webhook secret
		func(c *Config) { c.Timeout = -time.Second },                     // a negative timeout
		func(c *Config) { c.SignType = "pen" },                           // a sign type Digio does not have
		func(c *Config) { c.GatewayURL = "gateway/login" },               // a relative gateway
		func(c *Config) { c.GatewayURL = "https://app.digio.in/gw?x=1" }, // a gateway with a query
	)
	if a.http.Timeout != DefaultTimeout || a.cfg.SignType != SignTypeAadhaar || a.gateway != SandboxGateway {
		t.Errorf("defaults: %+v", a.cfg)
	}
	simtest.WantRedacted(t, ok, []string{`"secret"`, `"wh"`}, []string{"[redacted]"})
	simtest.WantRedacted(t, Config{ClientSecret: "topsecret", WebhookSecret: "alsosecret"}, []string{"topsecret", "alsosecret"}, nil)
}

func TestInfo(t *testing.T) {
	a := newTestAdapter(t)
	info := a.Info()
	providertest.CheckInfo(t, a, signing.ProviderInfo{Name: "digio", DisplayName: "Digio eSign", Languages: []string{"en"},
		RequiredSignerFields: []string{"name", "identifier"}, CallsBack: true, CancelReachesProvider: true,
		SigningOrders: []signing.SigningOrder{signing.Sequential, signing.Parallel}, MaxSigners: signing.MaxSigners,
		Identification: "Aadhaar eSign (OTP) via Digio"})
	// The schema offers the signType the adapter takes, the configured one by default.
	other := newTestAdapter(t, func(c *Config) { c.SignType = "dsc" })
	if enum, def := providertest.SchemaChoices(t, other.Info(), "signType"); !slices.Equal(enum, signTypes) || def != "dsc" {
		t.Errorf("signType: %v, default %q", enum, def)
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
	if _, err := a.uploadRequest(req); err != nil {
		t.Errorf("the adapter refuses the schema's examples: %v", err)
	}
}
