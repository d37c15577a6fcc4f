package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/signet-dev/signet/internal/signing"
)

// SQLSTATE codes the store translates (PostgreSQL Appendix A).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeNotNullViolation    = "23502"
	classDataException      = "22" // bad input: invalid JSON, NUL in text, out-of-range numbers…
)

// dbErr names the failed operation and translates driver errors into the
// domain's sentinels. The driver error stays in the chain for the logs;
// sentinels and context errors already in err pass through.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, signing.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == codeUniqueViolation:
			return fmt.Errorf("postgres: %s: %w: %w", op, signing.ErrConflict, err)
		case pe.Code == codeForeignKeyViolation:
			// The row refers to a tenant or session that does not exist.
			return fmt.Errorf("postgres: %s: %w: %w", op, signing.ErrNotFound, err)
		case pe.Code == codeCheckViolation, pe.Code == codeNotNullViolation,
			strings.HasPrefix(pe.Code, classDataException):
			return fmt.Errorf("postgres: %s: %w: %w", op, signing.ErrInvalid, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
