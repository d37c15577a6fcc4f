package web_test

import (
	"os"
	"testing"

	"github.com/signet-dev/signet/internal/web/browsertest"
)

// TestMain shares one Chromium between the browser tests.
func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
