package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/postgres"
	"github.com/signet-dev/signet/internal/server"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
	"github.com/signet-dev/signet/internal/web"
)

// database is a whole store: everything Signet keeps, the API's
// idempotency records, credentials and the console's reads
// (sqlite.Store or postgres.Store).
type database interface {
	signing.Store
	idempotency.Store
	server.Store
	web.ConsoleStore
	auth.OperatorStore
	auth.UsageStore
	auth.TokenStore
	blob.Referrer
	blob.Renamer
	blob.Inliner
	// Documents is the blob store that keeps the documents.
	Documents() blob.Store
}

// openStore opens the database named by dsn and applies pending
// migrations. Documents go to docs, or into the database if it is nil
// (commands that read no documents pass nil). serving is signet serve's
// open: on SQLite it caches sessions, which takes the database for this
// process alone (sqlite.WithSessionCache).
func openStore(ctx context.Context, dsn string, docs blob.Store, serving bool) (database, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		var opts []sqlite.Option
		if serving {
			opts = append(opts, sqlite.WithSessionCache())
		}
		if docs != nil {
			opts = append(opts, sqlite.WithDocuments(docs))
		}
		return sqlite.Open(ctx, path, opts...)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		var opts []postgres.Option
		if docs != nil {
			opts = append(opts, postgres.WithDocuments(docs))
		}
		return postgres.Open(ctx, dsn, opts...)
	}
	return nil, fmt.Errorf("%w: --database must be sqlite:PATH or postgres://…, got %q", errUsage, redactDSN(dsn))
}

// redactDSN hides a password in a database URL before it is printed.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}
