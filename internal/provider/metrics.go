package provider

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/signing"
)

// Metrics counts and times every call Signet makes to a provider, by
// provider and operation (signet_provider_call_duration_seconds,
// signet_provider_errors_total, which also counts refused callbacks), and
// the sessions each provider finished, by status
// (signet_sessions_finished_total). It is a signing.Observer.
type Metrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	finished *prometheus.CounterVec
}

// NewMetrics registers the provider metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "signet_provider_call_duration_seconds",
			Help:    "Latency of calls to signing providers, by provider and operation.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signet_provider_errors_total",
			Help: "Failed calls to signing providers and refused callbacks, by provider, operation and kind (retryable, permanent).",
		}, []string{"provider", "op", "kind"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signet_sessions_finished_total",
			Help: "Sessions that reached a terminal status, by provider and status.",
		}, []string{"provider", "status"}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.errors, m.finished} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ProviderCall records one call to a provider.
func (m *Metrics) ProviderCall(provider, op string, d time.Duration, err error) {
	m.duration.WithLabelValues(provider, op).Observe(d.Seconds())
	if err != nil {
		kind := "permanent"
		switch {
		case errors.Is(err, signing.ErrUnauthorized) && op == "callback":
			kind = "unauthorized"
		case signing.IsRetryable(err):
			kind = "retryable"
		}
		m.errors.WithLabelValues(provider, op, kind).Inc()
	}
}

// SessionStatus counts a session entering a terminal status.
func (m *Metrics) SessionStatus(s *signing.Session, to signing.Status) {
	if to.Terminal() {
		m.finished.WithLabelValues(s.Provider, string(to)).Inc()
	}
}

var _ signing.Observer = (*Metrics)(nil)
