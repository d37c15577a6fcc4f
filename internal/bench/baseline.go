package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, as internal/sqlite uses it
)

// BaselineHandler is the GET baseline: a bare net/http handler that
// answers every GET /signing/{id} with body from memory, with the same
// headers Signet's JSON answers carry. It is what serving a session costs
// with no authentication, no database and no JSON encoding.
func BaselineHandler(body []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signing/{id}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	return mux
}

// ServeBaseline serves BaselineHandler(body) on addr until ctx ends, with
// the same server timeouts as `signet serve`.
func ServeBaseline(ctx context.Context, addr string, body []byte) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           BaselineHandler(body),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Row is what the insert baseline writes: the columns of one created
// session that carry data, and its 100 KB document, as one row.
type Row struct {
	ID, TenantID, OrderID string
	SignerDetails         []byte // JSON
	Metadata              []byte // JSON
	CreatedAt             time.Time
	Document              []byte
}

// Inserter is the POST baseline: one durable single-row insert per
// transaction into the same kind of database Signet runs on.
type Inserter interface {
	Insert(ctx context.Context, r Row) error
	Count(ctx context.Context) (int, error)
	Close() error
}

type sqliteInserter struct{ db *sql.DB }

// OpenSQLiteInserter creates a fresh table in the SQLite file at path,
// opened the way internal/sqlite opens its writer: WAL, synchronous NORMAL,
// busy_timeout 10 s, foreign keys on, BEGIN IMMEDIATE transactions on one
// connection (SQLite has one writer; Signet queues its writes the same way).
func OpenSQLiteInserter(ctx context.Context, path string) (Inserter, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	const ddl = `CREATE TABLE IF NOT EXISTS bench_raw_sessions (
		id             TEXT PRIMARY KEY,
		tenant_id      TEXT NOT NULL,
		order_id       TEXT NOT NULL,
		status         TEXT NOT NULL,
		signer_details TEXT NOT NULL,
		metadata       TEXT,
		created_at     INTEGER NOT NULL,
		document       BLOB NOT NULL
	) STRICT`
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite baseline: %w", err)
	}
	return &sqliteInserter{db: db}, nil
}

func (in *sqliteInserter) Insert(ctx context.Context, r Row) error {
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO bench_raw_sessions
		(id, tenant_id, order_id, status, signer_details, metadata, created_at, document)
		VALUES (?, ?, ?, 'PENDING', ?, ?, ?, ?)`,
		r.ID, r.TenantID, r.OrderID, string(r.SignerDetails), string(r.Metadata), r.CreatedAt.UnixMicro(), r.Document)
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (in *sqliteInserter) Count(ctx context.Context) (int, error) {
	var n int
	err := in.db.QueryRowContext(ctx, `SELECT count(*) FROM bench_raw_sessions`).Scan(&n)
	return n, err
}

func (in *sqliteInserter) Close() error { return in.db.Close() }

type postgresInserter struct{ pool *pgxpool.Pool }

// OpenPostgresInserter creates a plain table in the schema dsn's
// search_path names; each insert is its own autocommit transaction on a
// pool of conns connections.
func OpenPostgresInserter(ctx context.Context, dsn string, conns int) (Inserter, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres baseline: %w", err)
	}
	cfg.MaxConns = int32(max(conns, 1))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres baseline: %w", err)
	}
	const ddl = `CREATE TABLE IF NOT EXISTS bench_raw_sessions (
		id             text PRIMARY KEY,
		tenant_id      text NOT NULL,
		order_id       text NOT NULL,
		status         text NOT NULL,
		signer_details jsonb NOT NULL,
		metadata       jsonb,
		created_at     timestamptz NOT NULL,
		document       bytea NOT NULL
	)`
	if _, err := pool.Exec(ctx, ddl); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres baseline: %w", err)
	}
	return &postgresInserter{pool: pool}, nil
}

func (in *postgresInserter) Insert(ctx context.Context, r Row) error {
	_, err := in.pool.Exec(ctx, `INSERT INTO bench_raw_sessions
		(id, tenant_id, order_id, status, signer_details, metadata, created_at, document)
		VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7)`,
		r.ID, r.TenantID, r.OrderID, string(r.SignerDetails), string(r.Metadata), r.CreatedAt.UTC(), r.Document)
	return err
}

func (in *postgresInserter) Count(ctx context.Context) (int, error) {
	var n int
	err := in.pool.QueryRow(ctx, `SELECT count(*) FROM bench_raw_sessions`).Scan(&n)
	return n, err
}

func (in *postgresInserter) Close() error { in.pool.Close(); return nil }

// PostgresSchema is a throwaway schema for one PostgreSQL run.
type PostgresSchema struct {
	Name string
	DSN  string // the base DSN with search_path set to Name
	base string
}

// CreatePostgresSchema creates schema name in the database dsn names and
// returns a DSN whose connections use it.
func CreatePostgresSchema(ctx context.Context, dsn, name string) (*PostgresSchema, error) {
	if !validIdent(name) {
		return nil, fmt.Errorf("invalid schema name %q", name)
	}
	scoped, err := WithSearchPath(dsn, name)
	if err != nil {
		return nil, err
	}
	if err := pgExec(ctx, dsn, "CREATE SCHEMA "+name); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", name, err)
	}
	return &PostgresSchema{Name: name, DSN: scoped, base: dsn}, nil
}

// Drop removes the schema and everything in it.
func (s *PostgresSchema) Drop(ctx context.Context) error {
	return pgExec(ctx, s.base, "DROP SCHEMA "+s.Name+" CASCADE")
}

func pgExec(ctx context.Context, dsn, stmt string) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}

// WithSearchPath sets search_path=schema in a postgres:// URL's query.
func WithSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("want a postgres:// URL, got %q", redact(dsn))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func validIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// redact hides a password in a database URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
