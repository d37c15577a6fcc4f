package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
)

// CreateTenant creates a tenant, or returns the existing one of that name.
// The insert does nothing if the name exists (it waits for a concurrent
// insert of the name to commit or roll back first); the read that follows
// is a new statement and sees whichever row won.
func (s *Store) CreateTenant(ctx context.Context, name string) (signing.Tenant, error) {
	if name == "" {
		return signing.Tenant{}, fmt.Errorf("postgres: create tenant: %w: empty name", signing.ErrInvalid)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, uuid.NewString(), name, s.now()); err != nil {
		return signing.Tenant{}, dbErr("create tenant", err)
	}
	var t signing.Tenant
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM tenants WHERE name = $1`, name).
		Scan(&t.ID, &t.Name, &t.CreatedAt)
	return t, dbErr("create tenant", err)
}

// CountTenants counts tenants.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n)
	return n, dbErr("count tenants", err)
}

// TenantByID returns a tenant; ErrNotFound if none.
func (s *Store) TenantByID(ctx context.Context, id string) (signing.Tenant, error) {
	var t signing.Tenant
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM tenants WHERE id = $1`, id).
		Scan(&t.ID, &t.Name, &t.CreatedAt)
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
	err := s.pool.QueryRow(ctx, `SELECT t.id, t.name, t.created_at
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL`, keyHash).
		Scan(&t.ID, &t.Name, &t.CreatedAt)
	return t, dbErr("tenant by api key", err)
}

// CreateRefreshToken stores a refresh token's hash. ErrConflict if the hash
// exists, ErrNotFound if the tenant does not.
func (s *Store) CreateRefreshToken(ctx context.Context, tenantID, tokenHash string, expiresAt time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, tenant_id, expires_at, created_at)
		VALUES ($1, $2, $3, $4)`, tokenHash, tenantID, expiresAt, s.now())
	return dbErr("create refresh token", err)
}

// ConsumeRefreshToken deletes the token in one statement, so that only one
// caller can ever get it back. A token is valid while now < expiresAt; an
// expired one is deleted too, and reported as ErrNotFound.
func (s *Store) ConsumeRefreshToken(ctx context.Context, tokenHash string, now time.Time) (string, error) {
	var (
		tenantID string
		expires  time.Time
	)
	err := s.pool.QueryRow(ctx, `DELETE FROM refresh_tokens WHERE token_hash = $1
		RETURNING tenant_id, expires_at`, tokenHash).Scan(&tenantID, &expires)
	if err != nil {
		return "", dbErr("consume refresh token", err)
	}
	if expires.UnixMicro() <= now.UnixMicro() {
		return "", fmt.Errorf("postgres: consume refresh token: %w: expired", signing.ErrNotFound)
	}
	return tenantID, nil
}

// DeleteRefreshTokensBefore deletes refresh tokens whose expiry is strictly
// before t; it returns how many.
func (s *Store) DeleteRefreshTokensBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at < $1`, t)
	if err != nil {
		return 0, dbErr("delete refresh tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

// Secret returns the named secret, storing gen() first if there is none.
// The insert does nothing if another process got there first, and the read
// that follows returns whichever value won.
func (s *Store) Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, dbErr("secret", err)
	}
	fresh := gen()
	if len(fresh) == 0 {
		return nil, fmt.Errorf("postgres: secret %q: %w: generator returned no bytes", name, signing.ErrInvalid)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, fresh, s.now()); err != nil {
		return nil, dbErr("secret", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, dbErr("secret", err)
	}
	return v, nil
}
