package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/signing"
)

// metrics are the due-work gauges: a growing lag means the workers (of
// all replicas together) do not keep up.
type metrics struct {
	due *prometheus.GaugeVec // by queue: poll, expiry
	lag *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		due: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "signet_worker_due",
			Help: "Sessions due for background work now, by queue (poll: provider polls and cancels to withdraw; expiry)."}, []string{"queue"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "signet_worker_lag_seconds",
			Help: "How long the longest-waiting due session has been due, by queue (0 when none is due)."}, []string{"queue"}),
	}
	for _, c := range []prometheus.Collector{m.due, m.lag} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) set(now time.Time, b signing.Backlog) {
	m.due.WithLabelValues("poll").Set(float64(b.DuePolls))
	m.due.WithLabelValues("expiry").Set(float64(b.DueExpiries))
	m.lag.WithLabelValues("poll").Set(lag(now, b.OldestPollDue))
	m.lag.WithLabelValues("expiry").Set(lag(now, b.OldestExpiryDue))
}

func lag(now, oldest time.Time) float64 {
	if oldest.IsZero() || oldest.After(now) {
		return 0
	}
	return now.Sub(oldest).Seconds()
}
