package storetest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
)

// Seed bulk-loads a store for ExpirySweep: total sessions of tenant, of
// which the first due are PENDING past their deadline at now, about 5 %
// are open with a later deadline and the rest are COMPLETED long ago. It
// is store-specific SQL (one statement, not total round trips).
type Seed func(tb testing.TB, tenantID string, total, due int, now time.Time)

// ExpirySweep measures what the expiry worker does to a large table: it
// finds and expires every due session, batch by batch, through
// signing.Service (each batch in up to ExpiryWriters transactions at
// once, each expiry with its audit entry and outbox row). It reports the sweep's wall time as
// "sweep-ms" and checks that exactly the due sessions were expired.
// Run it with -benchtime=1x: after one sweep nothing is due. For
// comparisons, SIGNET_SWEEP_BATCH replaces batch (the sessions one
// ExpireDue finds) and SIGNET_SWEEP_WRITERS the service's ExpiryWriters.
func ExpirySweep(b *testing.B, st Store, seed Seed, total, due, batch int) {
	batch = envInt("SIGNET_SWEEP_BATCH", batch)
	ctx := context.Background()
	tenant, err := st.CreateTenant(ctx, "sweep")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	seed(b, tenant.ID, total, due, now)
	links, err := signing.NewLinks(bytes.Repeat([]byte("k"), 32), "http://signet.test")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := signing.NewService(signing.Config{Store: st, Providers: idleProviders{}, DefaultProvider: "idle",
		ExpiryWriters: envInt("SIGNET_SWEEP_WRITERS", 0),
		Now:           func() time.Time { return now }, NewID: uuid.NewString, Links: links, Logger: slog.New(slog.DiscardHandler),
		EncodeEvent: present.Presenter{PublicURL: "http://signet.test", Links: links}.WebhookEvent})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	expired := 0
	start := time.Now()
	for range b.N {
		for {
			n, err := svc.ExpireDue(ctx, batch)
			if err != nil {
				b.Fatal(err)
			}
			expired += n
			if n == 0 {
				break
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if expired != due {
		b.Fatalf("expired %d sessions, want the %d due", expired, due)
	}
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "sweep-ms")
	b.ReportMetric(float64(due)/elapsed.Seconds()*float64(b.N), "expiries/s")
}

// idleProviders is a provider that is never called: the sweep only expires.
type idleProviders struct{}

func (idleProviders) Provider(name string) (signing.Provider, bool) { return idle{}, name == "idle" }
func (idleProviders) All() []signing.Provider                       { return []signing.Provider{idle{}} }

type idle struct{}

var errIdle = errors.New("storetest: the sweep calls no provider")

func (idle) Info() signing.ProviderInfo { return signing.ProviderInfo{Name: "idle"} }
func (idle) Initiate(context.Context, signing.InitiateRequest) (signing.Initiated, error) {
	return signing.Initiated{}, errIdle
}
func (idle) Refresh(context.Context, signing.ProviderRef) (signing.Update, error) {
	return signing.Update{}, errIdle
}
func (idle) Cancel(context.Context, signing.ProviderRef) error { return errIdle }
func (idle) FetchDocument(context.Context, signing.ProviderRef) ([]byte, error) {
	return nil, errIdle
}
func (idle) ParseCallback(http.Header, []byte) (signing.Callback, error) {
	return signing.Callback{}, errIdle
}
