// Package postgres is Signet's storage for many replicas: a signing.Store
// and signing.WebhookStore on PostgreSQL (pgx, pgxpool).
//
// Every replica runs the same queries on one database. Writes that must
// not interleave are single statements or transactions whose conditional
// updates (… WHERE version = $n) decide the race; the work queues (polls,
// webhook deliveries) are claimed with FOR UPDATE SKIP LOCKED, so that
// claimers never wait for each other and never take the same row.
// Migrations run under an advisory lock, so replicas starting at once
// apply each exactly once.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/signet-dev/signet/internal/blob"
	blobdb "github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/signing"
)

var (
	_ signing.Store        = (*Store)(nil)
	_ signing.WebhookStore = (*Store)(nil)
)

// Store is a signing.Store on a PostgreSQL database. It is safe for
// concurrent use, also by many processes sharing the database.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	docs blob.Store
	// own is docs when the documents live in this database: a create
	// then writes its document in the session's transaction.
	own *blobdb.Store
}

// Option configures Open.
type Option func(*config)

type config struct {
	now  func() time.Time
	docs blob.Store
}

// WithNow sets the clock used for the times the store assigns itself
// (tenant creation, default record times). The default is time.Now.
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithDocuments keeps the documents' content in d (an object store);
// those stored in this database before stay readable. The default is this
// database's blobs table (blob/db).
func WithDocuments(d blob.Store) Option { return func(c *config) { c.docs = d } }

// Open connects to the database of dsn (a postgres:// URL or key=value
// string, as pgx accepts), checks that it answers and applies pending
// migrations. Runtime parameters in the DSN reach the server: a
// search_path puts Signet's tables in that schema. The pool holds
// max(8, 4×GOMAXPROCS) connections unless the DSN sets pool_max_conns
// (pgxpool's other pool_* settings work too): a request spends most of
// its time waiting on the database, so the pool outnumbers the cores
// (on 2 cores, 8 connections create 20 % more sessions a second than 4).
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.now == nil {
		return nil, errors.New("postgres: open: invalid options")
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err) // pgconn redacts the password
	}
	if !hasParam(dsn, "pool_max_conns") {
		pc.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	pc.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Times come back in UTC, as the store's contract wants, without
		// a conversion at every scan.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, now: cfg.now, docs: cfg.docs}
	s.own, s.docs = blobdb.Documents(s, s.docs)
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// keyValueParam finds a key in a key=value connection string.
var keyValueParam = regexp.MustCompile(`(?:^|\s)([a-z_]+)\s*=`)

// hasParam reports whether the connection string sets the parameter.
func hasParam(dsn, name string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		return err == nil && u.Query().Has(name)
	}
	for _, m := range keyValueParam.FindAllStringSubmatch(dsn, -1) {
		if m[1] == name {
			return true
		}
	}
	return false
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to come back.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// tx runs fn in a transaction (READ COMMITTED, the default) and commits
// it if fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}
