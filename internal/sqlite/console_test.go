package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/signet-dev/signet/internal/storetest"
)

func TestConsoleConformance(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore {
		return open(t, filepath.Join(t.TempDir(), "signet.db"))
	})
}
