package sqlite

import (
	"context"
	"embed"
	"fmt"

	"github.com/signet-dev/signet/internal/sqlmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the embedded migrations that the database has not seen
// yet, each in its own write transaction, so that two processes starting
// at once apply each migration exactly once. Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := sqlmigrate.Load(migrationFiles, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return dbErr("migrate", err)
	}
	for _, m := range ms {
		err := s.tx(ctx, func(tx wtx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.Tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, micros(s.now()))
			return err
		})
		if err != nil {
			return dbErr("migrate "+m.Name, err)
		}
	}
	return nil
}
