package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/signet-dev/signet/internal/storetest"
)

// TestClaimAcrossProcesses has claimers on two Stores of one file (as two
// processes would be) drain the queues; none may get a row twice.
func TestClaimAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	storetest.ClaimAcrossStores(t, [2]storetest.Store{open(t, path), open(t, path)}, 100)
}

func TestDeliveryIDsAreUUIDv7(t *testing.T) {
	storetest.DeliveryIDsAreUUIDv7(t, open(t, filepath.Join(t.TempDir(), "signet.db")))
}

func TestDeleteEndpointDeletesRows(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "signet.db"))
	storetest.DeleteEndpointDeletesRows(t, st, st)
}

func BenchmarkDeliveryQueue(b *testing.B) {
	storetest.DeliveryQueue(b, open(b, filepath.Join(b.TempDir(), "signet.db")))
}
