package signzy_test

import (
	"testing"

	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/signzy/sim"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, sim.Sandbox)
}
