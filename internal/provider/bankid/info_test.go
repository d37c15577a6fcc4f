package bankid_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider"
	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/bankid/sim"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
)

func TestInfo(t *testing.T) {
	pki, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := bankid.New(bankid.Config{BaseURL: bankid.ProductionURL, TLS: pki.ClientTLS, PublicURL: "https://signet.example"})
	if err != nil {
		t.Fatal(err)
	}
	info := a.Info()
	providertest.CheckInfo(t, a, signing.ProviderInfo{Name: "bankid", DisplayName: "Swedish BankID", Languages: []string{"sv", "en"},
		RequiredSignerFields: []string{"identity"}, PollInterval: 2 * time.Second, CancelReachesProvider: true,
		SigningOrders: []signing.SigningOrder{signing.Sequential, signing.Parallel}, MaxSigners: signing.MaxSigners,
		Identification: "Swedish BankID"})

	var schema struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Pattern  string   `json:"pattern"`
			Examples []string `json:"examples"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(info.SignerDetailsSchema, &schema); err != nil {
		t.Fatal(err)
	}
	id := schema.Properties["identity"]
	if !slices.Equal(schema.Required, []string{"identity"}) || id.Pattern != "^(19|20)[0-9]{10}$" || len(id.Examples) == 0 {
		t.Fatalf("schema %+v", schema)
	}
	for _, ex := range id.Examples {
		if err := bankid.ValidPersonnummer(ex); err != nil {
			t.Errorf("example %s: %v", ex, err)
		}
	}

	// The registry compiles the schema and checks every example against it.
	reg, err := provider.NewRegistry(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Provider("bankid"); !ok {
		t.Error("not registered")
	}
}
