package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
)

// CreateTenant creates a tenant, or returns the existing one of that name.
// Insert-if-absent and read happen in one write transaction, so concurrent
// callers (in any process) all get the same tenant.
func (s *Store) CreateTenant(ctx context.Context, name string) (signing.Tenant, error) {
	if name == "" {
		return signing.Tenant{}, fmt.Errorf("sqlite: create tenant: %w: empty name", signing.ErrInvalid)
	}
	var t signing.Tenant
	err := s.tx(ctx, func(tx wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, uuid.NewString(), name, micros(s.now())); err != nil {
			return err
		}
		return scanTenant(tx.QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE name = ?`, name), &t)
	})
	return t, dbErr("create tenant", err)
}

// CountTenants counts tenants.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	var n int
	err := s.readRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n)
	return n, dbErr("count tenants", err)
}

// TenantByID returns a tenant; ErrNotFound if none.
func (s *Store) TenantByID(ctx context.Context, id string) (signing.Tenant, error) {
	var t signing.Tenant
	err := scanTenant(s.readRow(ctx, `SELECT id, name, created_at FROM tenants WHERE id = ?`, id), &t)
	return t, dbErr("tenant", err)
}

// CreateAPIKey stores an API key's hash, with a fresh id and no prefix.
// ErrConflict if the hash exists, ErrNotFound if the tenant does not.
func (s *Store) CreateAPIKey(ctx context.Context, tenantID, keyHash string) error {
	return s.InsertAPIKey(ctx, auth.APIKey{ID: auth.NewKeyID(), Tenant: signing.Tenant{ID: tenantID}}, keyHash)
}

// TenantByAPIKey finds the tenant of a working (not revoked) API key's
// hash; ErrNotFound if none.
func (s *Store) TenantByAPIKey(ctx context.Context, keyHash string) (signing.Tenant, error) {
	var t signing.Tenant
	err := scanTenant(s.readRow(ctx, `SELECT t.id, t.name, t.created_at
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = ? AND k.revoked_at IS NULL`, keyHash), &t)
	return t, dbErr("tenant by api key", err)
}

func scanTenant(row *sql.Row, t *signing.Tenant) error {
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &created); err != nil {
		return err
	}
	t.CreatedAt = fromMicros(created)
	return nil
}

// CreateRefreshToken stores a refresh token's hash. ErrConflict if the hash
// exists, ErrNotFound if the tenant does not.
func (s *Store) CreateRefreshToken(ctx context.Context, tenantID, tokenHash string, expiresAt time.Time) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, tenant_id, expires_at, created_at)
		VALUES (?, ?, ?, ?)`, tokenHash, tenantID, micros(expiresAt), micros(s.now()))
	return dbErr("create refresh token", err)
}

// ConsumeRefreshToken deletes the token in one statement, so that only one
// caller can ever get it back. A token is valid while now < expiresAt; an
// expired one is deleted too, and reported as ErrNotFound.
func (s *Store) ConsumeRefreshToken(ctx context.Context, tokenHash string, now time.Time) (string, error) {
	var tenantID string
	var expires int64
	err := s.write.QueryRowContext(ctx, `DELETE FROM refresh_tokens WHERE token_hash = ?
		RETURNING tenant_id, expires_at`, tokenHash).Scan(&tenantID, &expires)
	if err != nil {
		return "", dbErr("consume refresh token", err)
	}
	if expires <= micros(now) {
		return "", fmt.Errorf("sqlite: consume refresh token: %w: expired", signing.ErrNotFound)
	}
	return tenantID, nil
}

// Secret returns the named secret, storing gen() first if there is none.
// The insert does nothing if another process got there first, and the read
// that follows returns whichever value won.
func (s *Store) Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error) {
	var v []byte
	err := s.readRow(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, dbErr("secret", err)
	}
	fresh := gen()
	if len(fresh) == 0 {
		return nil, fmt.Errorf("sqlite: secret %q: %w: generator returned no bytes", name, signing.ErrInvalid)
	}
	err = s.tx(ctx, func(tx wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, name, fresh, micros(s.now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	})
	if err != nil {
		return nil, dbErr("secret", err)
	}
	return v, nil
}
