package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// TestMeasureSetsLag: the gauges show how much work is due and how long the
// longest-waiting item has waited.
func TestMeasureSetsLag(t *testing.T) {
	st := openStore(t)
	tn, err := st.CreateTenant(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{-90 * time.Second, -10 * time.Second, time.Minute} {
		poll := now.Add(d)
		s := &signing.Session{ID: uuid.NewString(), TenantID: tn.ID, OrderID: "o", Status: signing.StatusPending,
			SignerDetails: json.RawMessage(`{}`), Provider: "signzy", Language: "en", CreatedAt: now.Add(-time.Hour),
			UpdatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(d - time.Hour), NextPollAt: &poll}
		if err := st.CreateSession(t.Context(), s, signing.Document{Content: []byte("%PDF")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	w, err := New(Config{Store: st, Registry: reg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	w.measure(context.Background())
	got := gauges(t, reg)
	for name, want := range map[string]float64{
		`signet_worker_due{queue="poll"}`:           2,
		`signet_worker_due{queue="expiry"}`:         3,
		`signet_worker_lag_seconds{queue="poll"}`:   90,
		`signet_worker_lag_seconds{queue="expiry"}`: 3690,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
}

// gauges reads every gauge of reg as name{label="value"} → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += fmt.Sprintf("{%s=%q}", l.GetName(), l.GetValue())
			}
			out[name] = m.GetGauge().GetValue()
		}
	}
	return out
}

// TestCleanupForgetsExpiredKeysAndTokens: idempotency records older than
// 24 h and expired refresh tokens go; fresh ones stay.
func TestCleanupForgetsExpiredKeysAndTokens(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []struct {
		hash    string
		expires time.Time
	}{{"old", now.Add(-time.Second)}, {"live", now.Add(time.Hour)}} {
		if err := st.CreateRefreshToken(ctx, tn.ID, tok.hash, tok.expires); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []struct {
		key     string
		created time.Time
	}{{"old", now.Add(-25 * time.Hour)}, {"fresh", now.Add(-time.Hour)}} {
		if _, _, err := st.BeginIdempotent(ctx, idempotency.Record{TenantID: tn.ID, Key: k.key, Fingerprint: "f", CreatedAt: k.created}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	w, err := New(Config{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	w.cleanup(ctx)
	if _, err := st.ConsumeRefreshToken(ctx, "live", now); err != nil {
		t.Errorf("live refresh token: %v", err)
	}
	if n, err := st.DeleteRefreshTokensBefore(ctx, now.Add(time.Minute)); err != nil || n != 0 {
		t.Errorf("expired refresh tokens left after cleanup: %d, %v", n, err)
	}
	if _, err := st.IdempotentRecord(ctx, tn.ID, "fresh"); err != nil {
		t.Errorf("fresh idempotency record: %v", err)
	}
	if _, err := st.IdempotentRecord(ctx, tn.ID, "old"); err == nil {
		t.Error("idempotency record older than 24 h kept")
	}
}
