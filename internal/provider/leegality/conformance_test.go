package leegality_test

import (
	"testing"

	"github.com/signet-dev/signet/internal/provider/leegality/leegalitytest"
	"github.com/signet-dev/signet/internal/provider/providertest"
)

// TestConformance runs the provider conformance suite against the adapter
// and its simulator.
func TestConformance(t *testing.T) {
	providertest.Run(t, leegalitytest.Sandbox)
}
