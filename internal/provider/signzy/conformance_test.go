package signzy_test

import (
	"testing"

	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/signzy/signzytest"
)

// TestConformance runs the provider conformance suite against the adapter
// and its simulator over real HTTP.
func TestConformance(t *testing.T) {
	providertest.Run(t, signzytest.Sandbox)
}
