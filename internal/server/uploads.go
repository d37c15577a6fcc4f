package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"github.com/signet-dev/signet/internal/signing"
)

// Defaults of the upload bound.
const (
	// DefaultUploadBytes bounds the request bodies being read and
	// handled at once. A create holds its body (and the document decoded
	// in place inside it) until it answers, and about as much again in
	// the database driver's buffers and the garbage collector's headroom,
	// so this is what uploads may take from memory, times about three:
	// 2 creates at the 15 MiB body limit, 23 with 1 MB documents. At 64
	// MiB, 32 creates of 1 MB documents on PostgreSQL peaked at 150 MB
	// RSS; at 32 MiB at 135 MB, at the same throughput (BENCHMARKS.md).
	DefaultUploadBytes = 32 << 20
	// DefaultUploadWait is how long an upload waits for room before it
	// is answered 503: long enough to ride out a burst, short enough
	// that the client's retry comes sooner than a timeout would.
	DefaultUploadWait = 5 * time.Second
	// smallBody is the size under which a body is not counted: API calls
	// without a document, which a burst of uploads must not hold up.
	smallBody = 64 << 10
	// uploadRetryAfter is the Retry-After of a refused upload, in seconds.
	uploadRetryAfter = 2
)

// uploadGate bounds the bytes of request bodies in flight. A request
// reserves its Content-Length (the body limit, when it is sent without
// one) before its body is read and gives it back when it is answered;
// when the bound is reached it waits its turn, first come first served,
// for at most wait, then is refused with 503 and Retry-After.
type uploadGate struct {
	sem      *semaphore.Weighted
	bound    int64
	maxBody  int64
	wait     time.Duration
	inFlight prometheus.Gauge
	refused  prometheus.Counter
}

func newUploadGate(bound, maxBody int64, wait time.Duration, reg prometheus.Registerer) (*uploadGate, error) {
	if bound < maxBody {
		return nil, fmt.Errorf("server: the bound on upload bytes in flight (%d) is below the body limit (%d): the largest upload could never start", bound, maxBody)
	}
	g := &uploadGate{sem: semaphore.NewWeighted(bound), bound: bound, maxBody: maxBody, wait: wait,
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "signet_upload_bytes_in_flight", Help: "Bytes of request bodies being read or handled, as reserved against --upload-bytes-in-flight.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "signet_uploads_refused_total", Help: "Uploads answered 503 because the bound on upload bytes in flight stayed full for --upload-wait.",
		}),
	}
	for _, c := range []prometheus.Collector{g.inFlight, g.refused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// admit serves h once the request's body fits under the bound.
func (g *uploadGate) admit(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		n := r.ContentLength
		if n < 0 {
			n = g.maxBody // unknown until read: count the most it may be
		}
		if n <= smallBody {
			return h(w, r)
		}
		ctx, cancel := context.WithTimeout(r.Context(), g.wait)
		err := g.sem.Acquire(ctx, n)
		cancel()
		if err != nil {
			if r.Context().Err() != nil {
				return r.Context().Err() // the client left while waiting
			}
			g.refused.Inc()
			return retryLater{signing.Errorf(signing.ErrUnavailable, "the server is reading as many uploads as it may hold at once (%d MiB); retry after %d s",
				g.bound>>20, uploadRetryAfter), uploadRetryAfter}
		}
		g.inFlight.Add(float64(n))
		defer func() {
			g.inFlight.Sub(float64(n))
			g.sem.Release(n)
		}()
		return h(w, r)
	}
}
