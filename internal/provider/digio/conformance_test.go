package digio_test

import (
	"testing"

	"github.com/signet-dev/signet/internal/provider/digio/digiotest"
	"github.com/signet-dev/signet/internal/provider/providertest"
)

// TestConformance runs the provider conformance suite against the adapter
// and its simulator over real HTTP.
func TestConformance(t *testing.T) {
	providertest.Run(t, digiotest.Sandbox)
}
