package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/signing"
)

// Idempotency timings: keys live 24 h (CONTRACT.md); a request that holds
// a key longer than claimTimeout is presumed dead (its process crashed) and
// its claim may be taken over; a concurrent duplicate waits at most
// waitTimeout for the first request's answer before it gets a 409.
const (
	idempotencyTTL = 24 * time.Hour
	claimTimeout   = 2 * time.Minute
	waitTimeout    = 30 * time.Second
	waitStep       = 20 * time.Millisecond
	maxKeyLen      = 256
)

type idempotent struct {
	store idempotency.Store
	now   func() time.Time
	log   *slog.Logger
}

// wrap makes h idempotent under X-Idempotency-Key: the first request with
// a key executes and its response is stored; a repeat with the same method,
// path and body gets that response again with Idempotent-Replayed: true; a
// different request with the key gets 409. Concurrent repeats wait for the
// first one's answer, so exactly one executes.
func (i *idempotent) wrap(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		vals, present := r.Header["X-Idempotency-Key"]
		if !present {
			return h(w, r)
		}
		key := vals[0]
		if len(vals) != 1 || len(key) < 1 || len(key) > maxKeyLen {
			return signing.Invalid("X-Idempotency-Key", "must be one value of 1 to %d characters", maxKeyLen)
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		keepBody(r, body)
		tenant := tenantFrom(r.Context()).ID
		fp := fingerprint(r.Method, r.URL.Path, body)

		deadline := time.Now().Add(waitTimeout)
		for {
			now := i.now().UTC()
			rec, claimed, err := i.store.BeginIdempotent(r.Context(), idempotency.Record{
				TenantID: tenant, Key: key, Fingerprint: fp, CreatedAt: now,
			}, now.Add(-idempotencyTTL))
			if err != nil {
				return err
			}
			if claimed {
				return i.execute(w, r, h, rec)
			}
			if rec.Fingerprint != fp {
				return signing.Errorf(signing.ErrConflict, "X-Idempotency-Key was already used with a different request")
			}
			if rec.Done {
				replay(w, rec)
				return nil
			}
			if now.Sub(rec.CreatedAt) > claimTimeout {
				// The first request died holding the key; forget its claim.
				if err := i.store.ReleaseIdempotent(r.Context(), tenant, key); err != nil {
					return err
				}
				continue
			}
			if time.Now().After(deadline) {
				return signing.Errorf(signing.ErrConflict, "a request with this X-Idempotency-Key is still in progress; try again")
			}
			if err := sleep(r.Context(), waitStep); err != nil {
				return err
			}
		}
	}
}

// execute runs the request that claimed the key and stores its response.
// Server faults (5xx) are not stored: the claim is released so the client
// can retry with the same key.
func (i *idempotent) execute(w http.ResponseWriter, r *http.Request, h handlerFunc, rec idempotency.Record) error {
	rw := &recorder{header: http.Header{}, status: http.StatusOK}
	if err := h(rw, r); err != nil {
		p := problemFor(r, err, i.log)
		writeProblem(rw, p)
	}
	// Store with a context that outlives a client hang-up: the work is done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	if rw.status >= 500 {
		if err := i.store.ReleaseIdempotent(ctx, rec.TenantID, rec.Key); err != nil {
			i.log.Error("releasing idempotency key", "err", err)
		}
	} else {
		rec.Done, rec.StatusCode, rec.Body = true, rw.status, rw.body.Bytes()
		rec.Header = map[string]string{}
		for _, name := range []string{"Content-Type", "Location", "Retry-After"} {
			if v := rw.header.Get(name); v != "" {
				rec.Header[name] = v
			}
		}
		if err := i.store.FinishIdempotent(ctx, rec); err != nil {
			return err
		}
	}
	for k, v := range rw.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rw.status)
	_, _ = w.Write(rw.body.Bytes())
	return nil
}

func replay(w http.ResponseWriter, rec idempotency.Record) {
	for k, v := range rec.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rec.StatusCode)
	_, _ = w.Write(rec.Body)
}

func fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// recorder buffers a response so it can be stored before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
