package postgres_test

import (
	"testing"

	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/storetest"
)

func TestConsoleConformance(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore {
		return open(t, pgtest.DSN(t))
	})
}
