package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmts caches prepared statements by their text. Parsing and planning
// a statement costs SQLite about as much as running a small one, and the
// store runs a handful of statements over and over, so each is prepared
// once per pool (database/sql prepares it again on each new connection).
//
// The writer pool has one connection, which a transaction holds, so a
// statement first seen inside a transaction runs unprepared and is only
// noted; the transaction's end prepares it (see Store.tx).
type stmts struct {
	db     *sql.DB
	m      sync.Map // query → *sql.Stmt
	mu     sync.Mutex
	n      int             // statements cached
	wanted map[string]bool // seen in a transaction, not yet prepared
}

// maxStmts bounds the cache: queries built with a variable number of
// placeholders must not grow it without end.
const maxStmts = 128

// cached returns the prepared statement of query, if there is one.
func (c *stmts) cached(query string) *sql.Stmt {
	if st, ok := c.m.Load(query); ok {
		return st.(*sql.Stmt)
	}
	return nil
}

// get returns query prepared, preparing it now if needed. Only for pools
// where preparing cannot wait on a connection the caller holds.
func (c *stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.cached(query); st != nil {
		return st, nil
	}
	// Prepared without holding mu: a transaction that holds the writer's
	// connection may be waiting on mu (want) meanwhile.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.cached(query); prev != nil {
		st.Close()
		return prev, nil
	}
	if c.n >= maxStmts {
		st.Close()
		return nil, errCacheFull
	}
	c.m.Store(query, st)
	c.n++
	return st, nil
}

// errCacheFull makes callers run a query unprepared.
var errCacheFull = errors.New("sqlite: statement cache full")

// want notes a query to prepare once no transaction holds the connection.
func (c *stmts) want(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n+len(c.wanted) >= maxStmts {
		return
	}
	if c.wanted == nil {
		c.wanted = map[string]bool{}
	}
	c.wanted[query] = true
}

// prepareWanted prepares the noted queries; failures are left for the
// next transaction to report.
func (c *stmts) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for q := range wanted {
		c.get(ctx, q)
	}
}

func (c *stmts) close() {
	c.m.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
}

// wtx is a write transaction whose ExecContext and QueryRowContext run
// single statements through the writer's statement cache. Statements with
// several parts (migrations) use the embedded *sql.Tx directly.
type wtx struct {
	*sql.Tx
	cache *stmts
}

func (t wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.cache.cached(query); st != nil {
		return t.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	t.cache.want(query)
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.cache.cached(query); st != nil {
		return t.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	t.cache.want(query)
	return t.Tx.QueryRowContext(ctx, query, args...)
}

func (t wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.cache.cached(query); st != nil {
		return t.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	t.cache.want(query)
	return t.Tx.QueryContext(ctx, query, args...)
}

// readRow runs a one-row query on the readers through their cache.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.readStmts.get(ctx, query)
	if err != nil {
		return s.read.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// readRows runs a query on the readers through their cache.
func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.readStmts.get(ctx, query)
	if err != nil {
		return s.read.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// cachedReads is the readers pool as a querier, through the cache.
type cachedReads struct{ s *Store }

func (r cachedReads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.s.readRows(ctx, query, args...)
}
