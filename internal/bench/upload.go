package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

// phaseUpload measures the server's memory under bursts of large
// creates: for each of UploadTargets' PDF sizes, a fresh server gets
// rounds of TargetUploads simultaneous creates while its VmRSS is
// sampled. Rounds continue until the duration is up or the size's
// share of uploadBudget is spent, whichever comes first (at least one).
func (d *dbRun) phaseUpload(ctx context.Context) error {
	for _, ut := range UploadTargets {
		if ctx.Err() != nil {
			break
		}
		if err := d.uploadSize(ctx, ut.PDFBytes); err != nil {
			return err
		}
	}
	return nil
}

func (d *dbRun) uploadSize(ctx context.Context, size int) error {
	body := newCreateBody(pdf.SampleOfSize(size), providerLocal)
	srv, err := d.startServer(ctx, "upload-"+wholeMB(int64(size)))
	if err != nil {
		return err
	}
	u := UploadResult{PDFBytes: size, Concurrent: TargetUploads}
	_, n := body.Reader("")
	u.BodyBytes = int(n)
	defer func() {
		srv.stop(fmt.Sprintf("%d %s of %d simultaneous creates of %s PDFs", u.Rounds, plural(u.Rounds, "round"), u.Concurrent, wholeMB(int64(size))))
		d.rep.Uploads = append(d.rep.Uploads, u)
	}()
	pid := srv.child.Pid()
	if mem, err := ReadMemory(pid); err == nil {
		u.IdleRSS = mem.RSS
	}
	api := srv.apiFor(tenantMain, u.Concurrent)
	ids := &orders{prefix: "bench-upload-" + randHex(3)}
	maxRounds := max(1, uploadBudget/(u.Concurrent*size))
	var rec Recorder
	var deferred atomic.Int64
	stopSampling := sampleRSS(ctx, pid)
	start := time.Now()
	for u.Rounds < maxRounds && ctx.Err() == nil && (u.Rounds == 0 || time.Since(start) < d.o.Duration) {
		var wg sync.WaitGroup
		for range u.Concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				if err := createRetrying(ctx, api, body, ids.next(), &deferred); err != nil {
					rec.Error(err)
					return
				}
				rec.Record(time.Since(t0))
			}()
		}
		wg.Wait()
		u.Rounds++
	}
	u.Creates = rec.Summarize(time.Since(start))
	u.PeakRSS, u.Samples = stopSampling()
	if mem, err := ReadMemory(pid); err == nil {
		u.HWM = mem.HWM
	}
	u.Deferred = int(deferred.Load())
	d.o.logf("%s: upload %s: %d × %d, %d created, %d answered 503 and retried, %d failed; peak VmRSS %s, VmHWM %s", d.short,
		wholeMB(int64(size)), u.Rounds, u.Concurrent, u.Creates.OK, u.Deferred, u.Creates.Errors, formatMB(u.PeakRSS), formatMB(u.HWM))
	return nil
}

// uploadSizes lists the upload run's PDF sizes: "1 MB, 10 MB".
func uploadSizes() string {
	var out []string
	for _, ut := range UploadTargets {
		out = append(out, wholeMB(int64(ut.PDFBytes)))
	}
	return strings.Join(out, ", ")
}

// uploadRetryTimeout bounds how long one create keeps being retried
// after 503s.
const uploadRetryTimeout = 60 * time.Second

// createRetrying creates one session; a 503 with Retry-After (the
// server's bound on upload bytes in flight) is counted in deferred and
// the create sent again after the time it asks for.
func createRetrying(ctx context.Context, api *API, body *createBody, orderID string, deferred *atomic.Int64) error {
	ctx, cancel := context.WithTimeout(ctx, uploadRetryTimeout)
	defer cancel()
	for {
		rd, n := body.Reader(orderID)
		err := api.Stream(ctx, http.MethodPost, "/signing", rd, n, http.StatusCreated)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || se.RetryAfter <= 0 {
			return err
		}
		deferred.Add(1)
		t := time.NewTimer(se.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("still refused after %s: %w", uploadRetryTimeout, err)
		case <-t.C:
		}
	}
}
