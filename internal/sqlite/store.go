// Package sqlite is Signet's default storage: a signing.Store on one SQLite
// file (modernc.org/sqlite, pure Go).
//
// SQLite allows one writer at a time. Instead of letting writers collide and
// fail with SQLITE_BUSY, the Store queues them in Go on a single-connection
// pool and starts every write transaction with BEGIN IMMEDIATE, so that the
// write lock is taken up front (busy_timeout covers other processes). Reads
// use a separate pool and, thanks to WAL, never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/signet-dev/signet/internal/blob"
	blobdb "github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/signing"
)

var (
	_ signing.Store   = (*Store)(nil)
	_ signing.Writers = (*Store)(nil)
)

// Store is a signing.Store on an SQLite file. It is safe for concurrent use,
// also by several processes sharing the file.
type Store struct {
	write     *sql.DB // exactly one connection; transactions are BEGIN IMMEDIATE
	read      *sql.DB // query_only connections
	now       func() time.Time
	stmts     *stmts // prepared on write
	readStmts *stmts // prepared on read
	docs      blob.Store
	// own is docs when the documents live in this database: a create
	// then writes its document in the session's transaction.
	own *blobdb.Store
	// sessions caches sessions read (nil unless WithSessionCache), and
	// lock holds the database for this store meanwhile.
	sessions *sessionCache
	lock     *os.File
}

// Option configures Open.
type Option func(*config)

type config struct {
	now         func() time.Time
	busyTimeout time.Duration
	readConns   int
	docs        blob.Store
	cache       bool
}

// WithNow sets the clock used for the times the store assigns itself
// (tenant creation, default record times). The default is time.Now.
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithBusyTimeout sets how long a connection waits for another process's
// lock before failing with SQLITE_BUSY. The default is 10 s.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithReadConns sets the size of the read pool. The default is
// max(4, GOMAXPROCS).
func WithReadConns(n int) Option { return func(c *config) { c.readConns = n } }

// WithDocuments keeps the documents' content in d (an object store);
// those stored in this database before stay readable. The default is this
// database's blobs table (blob/db).
func WithDocuments(d blob.Store) Option { return func(c *config) { c.docs = d } }

// errLocked: another store serves the database.
var errLocked = errors.New("another process serves this database (a second signet serve?); " +
	"SQLite serves one process: stop the other one, or run several replicas on PostgreSQL")

// WithSessionCache keeps the sessions read most recently in memory, so
// that reading one again costs no query (a client polling its session).
// That is only right while this store is the one process that writes
// the database's sessions, so Open then takes an exclusive lock on the
// file PATH.lock for as long as the store is open, and fails if another
// store (in this process or another) holds it. signet serve uses it;
// commands that never write sessions (apikey, migrate) do not, so they
// run beside it.
func WithSessionCache() Option { return func(c *config) { c.cache = true } }

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations. path is a file name; in-memory databases are refused
// because the read and write pools must share one database.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now, busyTimeout: 10 * time.Second, readConns: max(4, runtime.GOMAXPROCS(0))}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("sqlite: open %q: want a file path", path)
	case strings.ContainsAny(path, "?#"):
		return nil, fmt.Errorf("sqlite: open %q: path must not contain '?' or '#'", path)
	case cfg.now == nil || cfg.busyTimeout < 0 || cfg.readConns < 1:
		return nil, errors.New("sqlite: open: invalid options")
	}

	// The file holds secrets and contracts: create it private. SQLite gives
	// the -wal and -shm files the same mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	var lock *os.File
	if cfg.cache {
		var err error
		switch lock, err = lockFile(path + ".lock"); {
		case errors.Is(err, errors.ErrUnsupported):
			cfg.cache = false
		case err != nil:
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
	}
	write, err := sql.Open("sqlite", dsn(path, cfg.busyTimeout, true))
	if err != nil {
		unlockFile(lock)
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Connect the writer first: it switches the file to WAL before any
	// query_only reader could try to.
	if err := connectWriter(ctx, write, cfg.busyTimeout); err != nil {
		write.Close()
		unlockFile(lock)
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", dsn(path, cfg.busyTimeout, false))
	if err != nil {
		write.Close()
		unlockFile(lock)
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(cfg.readConns)
	read.SetMaxIdleConns(cfg.readConns)

	s := &Store{write: write, read: read, now: cfg.now, stmts: &stmts{db: write}, readStmts: &stmts{db: read}, docs: cfg.docs, lock: lock}
	if cfg.cache {
		s.sessions = newSessionCache()
	}
	s.own, s.docs = blobdb.Documents(s, s.docs)
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connectWriter opens the writer's connection. Processes that open a new
// file at once race to switch it to WAL, and SQLite answers the losers
// SQLITE_BUSY at once, without waiting in its busy handler (waiting there
// could deadlock); so the writer tries again, for as long as the busy
// timeout would have waited.
func connectWriter(ctx context.Context, write *sql.DB, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	for {
		err := write.PingContext(ctx)
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// dsn sets every pragma through the DSN, so that the driver applies them to
// each new pooled connection, not only to the first.
func dsn(path string, busy time.Duration, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)") // a write on the read pool is a bug
	}
	return path + "?" + q.Encode()
}

// Ping checks that both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Writers is 1: SQLite commits one write transaction at a time, so a
// sweep gains nothing from splitting its work.
func (s *Store) Writers() int { return 1 }

// Close closes both pools and lets go of the database's lock.
func (s *Store) Close() error {
	s.stmts.close()
	s.readStmts.close()
	err := errors.Join(s.read.Close(), s.write.Close())
	unlockFile(s.lock)
	return err
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it if fn
// returns nil.
func (s *Store) tx(ctx context.Context, fn func(wtx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer s.stmts.prepareWanted(context.WithoutCancel(ctx)) // after the connection is free again
	if err := fn(wtx{Tx: tx, cache: s.stmts}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
