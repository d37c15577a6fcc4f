//go:build !unix

package sqlite

import (
	"errors"
	"os"
)

// lockFile: this platform has no flock, so no store can be sure it is
// the only writer, and Open runs without a session cache.
func lockFile(string) (*os.File, error) { return nil, errors.ErrUnsupported }

func unlockFile(*os.File) {}
