// Package idempotency holds what the API's X-Idempotency-Key handling
// keeps in the database: the remembered outcome of a request, and the
// store methods that claim, finish and forget it. The HTTP side lives in
// the server; both stores implement Store and storetest covers it.
package idempotency

import (
	"context"
	"time"
)

// Record is the remembered outcome of a request made with an
// X-Idempotency-Key.
type Record struct {
	TenantID    string
	Key         string
	Fingerprint string // hash of method, path and body
	Done        bool   // false while the first request is still executing
	StatusCode  int
	Header      map[string]string
	Body        []byte
	CreatedAt   time.Time
}

// Store keeps idempotency records, scoped by tenant.
type Store interface {
	// BeginIdempotent claims rec.Key for a request. If the key is new (or
	// its record is older than expiredBefore) it stores an unfinished
	// record and returns (rec, true). Otherwise it returns the existing
	// record and false.
	BeginIdempotent(ctx context.Context, rec Record, expiredBefore time.Time) (Record, bool, error)
	// FinishIdempotent stores the response of the request that claimed
	// the key; signing.ErrNotFound if the claim was lost.
	FinishIdempotent(ctx context.Context, rec Record) error
	// ReleaseIdempotent forgets an unfinished claim (the request failed
	// with a server fault), so that the client may try again.
	ReleaseIdempotent(ctx context.Context, tenantID, key string) error
	// IdempotentRecord reads a record; signing.ErrNotFound if none.
	IdempotentRecord(ctx context.Context, tenantID, key string) (Record, error)
	// DeleteIdempotentBefore deletes records created before t; it returns
	// how many.
	DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error)
}
