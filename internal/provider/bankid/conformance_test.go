package bankid_test

import (
	"testing"

	"github.com/signet-dev/signet/internal/provider/bankid/bankidtest"
	"github.com/signet-dev/signet/internal/provider/providertest"
)

// TestConformance runs the provider conformance suite against the adapter
// and the simulator over mutual TLS.
func TestConformance(t *testing.T) {
	providertest.Run(t, bankidtest.Sandbox)
}
