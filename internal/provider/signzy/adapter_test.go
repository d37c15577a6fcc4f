package signzy

import (
	"slices"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

func newTestAdapter(t testing.TB, mutate ...func(*Config)) *Adapter {
	return simtest.Build(t, Config{BaseURL: "https://api-preproduction.signzy.app", Token: "tok", CallbackSecret: testSecret}, mutate, New)
}

func TestNew(t *testing.T) {
	a := simtest.WantChecked(t, Config{BaseURL: "https://api.signzy.app", Token: "t", CallbackSecret: "s"}, New,
		func(c *Config) { c.BaseURL = "" },
		func(c *Config) { c.BaseURL = "api.signzy.app" },
		func(c *Config) { c.BaseURL = "ftp://api.signzy.app" },
		func(c *Config) { c.BaseURL = "https://api.signzy.app?x=1" },
		func(c *Config) { c.Token = "" },
		func(c *Config) { c.CallbackSecret = "" },
		func(c *Config) { c.Token = "a\r\nX-Evil: 1" },
		func(c *Config) { c.Timeout = -time.Second },
		func(c *Config) { c.SignatureType = "PEN" },
	)
	if a.http.Timeout != DefaultTimeout || a.cfg.ESignProvider != "EMUDHRA" || a.cfg.SignatureType != "AADHAARESIGN-OTP" {
		t.Errorf("defaults: %v", a.cfg)
	}
	simtest.WantRedacted(t, Config{BaseURL: "https://api.signzy.app", Token: "very-secret-token", CallbackSecret: "cb-secret-value"},
		[]string{"very-secret-token", "cb-secret-value"}, []string{"api.signzy.app"})
}

func TestInfo(t *testing.T) {
	a := newTestAdapter(t)
	info := a.Info()
	providertest.CheckInfo(t, a, signing.ProviderInfo{Name: "signzy", DisplayName: "Signzy Contract360 (Aadhaar eSign)", Languages: []string{"en", "hi"},
		RequiredSignerFields: []string{"name"}, CallsBack: true,
		SigningOrders: []signing.SigningOrder{signing.Parallel}, MaxSigners: signing.MaxSigners,
		Identification: "Aadhaar eSign (OTP) via Signzy"})
	// The schema offers the signatureType the adapter takes, the configured one by default.
	other := newTestAdapter(t, func(c *Config) { c.SignatureType = "AADHAARESIGN-FACEAUTH" })
	if got := other.Info().Identification; got != "Aadhaar eSign (face authentication) via Signzy" {
		t.Errorf("identification with face authentication: %q", got)
	}
	if enum, def := providertest.SchemaChoices(t, other.Info(), "signatureType"); !slices.Equal(enum, signatureTypes) || def != "AADHAARESIGN-FACEAUTH" {
		t.Errorf("signatureType: %v, default %q", enum, def)
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
