package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/signet-dev/signet/internal/signing"
)

// dbErr names the failed operation and translates driver errors into the
// domain's sentinels. The driver error stays in the chain for the logs.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, signing.ErrNotFound)
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("sqlite: %s: %w: %w", op, signing.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			// The row refers to a tenant or session that does not exist.
			return fmt.Errorf("sqlite: %s: %w: %w", op, signing.ErrNotFound, err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("sqlite: %s: %w: %w", op, signing.ErrInvalid, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (of any kind).
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
