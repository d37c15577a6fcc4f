package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// phaseHOL measures webhook head-of-line blocking: one tenant registers
// an endpoint that never answers (each attempt hangs until the server's
// webhook timeout, 10 s by default) and a healthy one, sessions are
// created at TargetHOLRate, and the healthy endpoint's delivery lag is
// measured as in the webhook lag run.
func (d *dbRun) phaseHOL(ctx context.Context) error {
	srv, err := d.startServer(ctx, "hol")
	if err != nil {
		return err
	}
	h := &HOLResult{Rate: TargetHOLRate, Wait: holWait}
	rcv, hs, recvBase, err := startReceiver()
	if err != nil {
		srv.stop("")
		return err
	}
	defer func() {
		// Closing the receiver first ends the hanging attempts, so the
		// server need not wait out its webhook timeout to stop.
		hs.Close()
		srv.stop(fmt.Sprintf("sessions at %s/s, one endpoint hanging, one healthy", formatRate(h.Rate)))
	}()
	const healthy, hung = "/hol", HangPrefix + "/hol"
	api := srv.apiFor(tenantHOL, 64)
	for _, path := range []string{hung, healthy} {
		reg, _ := json.Marshal(map[string]string{"url": recvBase + path})
		if _, err := api.Do(ctx, http.MethodPost, "/webhooks", reg, http.StatusCreated); err != nil {
			return fmt.Errorf("registering a webhook endpoint: %w", err)
		}
	}
	d.rep.HOL = h
	h.Creates, h.Offered = FixedRate(ctx, h.Rate, d.o.Duration, 64, createOp(api, d.small, &orders{prefix: "bench-hol-" + randHex(3)}))
	h.Expected = h.Creates.OK
	wctx, cancel := context.WithTimeout(ctx, h.Wait)
	waitCount(wctx, h.Expected, func() int { _, n := rcv.CountsAt(healthy); return n })
	cancel()

	var ok []Arrival
	for _, a := range rcv.Arrivals() {
		switch {
		case a.Path == healthy:
			ok = append(ok, a)
		case strings.HasPrefix(a.Path, HangPrefix):
			h.HungAttempts++
		}
	}
	h.HungDeliveries, _ = rcv.CountsAt(hung)
	var rec Recorder
	for _, l := range Lags(ok, "signing.created") {
		rec.Record(l)
	}
	h.Lag = rec.Summarize(d.o.Duration)
	h.Delivered = h.Lag.OK
	d.o.logf("%s: hol: %s created at %s/s, healthy lag p50 %s p99 %s, %d of %d delivered, %d hung attempts", d.short,
		formatInt(h.Creates.OK), formatRate(h.Creates.Rate()), formatDur(h.Lag.P50), formatDur(h.Lag.P99), h.Delivered, h.Expected, h.HungAttempts)
	return nil
}
