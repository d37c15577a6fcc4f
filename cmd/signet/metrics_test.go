package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	signzysim "github.com/signet-dev/signet/internal/provider/signzy/sim"
)

// series is one metric series: its name and labels.
type series struct {
	name   string
	labels map[string]string
}

func (s series) String() string { return fmt.Sprintf("%s%v", s.name, s.labels) }

// metricValue is the value of s in a /metrics text, and whether the
// series is there at all.
func metricValue(text string, s series) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, s.name+"{")
		if !ok {
			continue
		}
		set, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		got := map[string]string{}
		for _, pair := range strings.Split(set, ",") {
			k, v, _ := strings.Cut(pair, "=")
			got[k] = strings.Trim(v, `"`)
		}
		if maps.Equal(got, s.labels) {
			f, err := strconv.ParseFloat(value, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// wantMetric is a series and the value a test expects of it (or, with
// atLeast, its least value).
type wantMetric struct {
	series
	value   float64
	atLeast bool
}

// waitMetrics polls base's /metrics until every series in want has its
// value (the counters move right after the write they count commits, so
// a client may see the status a moment before the metric), and returns
// the last text.
func waitMetrics(t *testing.T, base string, want []wantMetric) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		text := metrics(t, base)
		var wrong []string
		for _, w := range want {
			if got, ok := metricValue(text, w.series); !ok || got != w.value && !(w.atLeast && got > w.value) {
				wrong = append(wrong, fmt.Sprintf("%v = %v (present %v), want %v", w.series, got, ok, w.value))
			}
		}
		if len(wrong) == 0 {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics:\n%s\nof\n%s", strings.Join(wrong, "\n"), grepLines(text, "signet_provider_errors_total{"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func finishedSeries(provider, status string) series {
	return series{"signet_sessions_finished_total", map[string]string{"provider": provider, "status": status}}
}

func callCount(provider, op string) series {
	return series{"signet_provider_call_duration_seconds_count", map[string]string{"provider": provider, "op": op}}
}

func providerErrors(provider, op, kind string) series {
	return series{"signet_provider_errors_total", map[string]string{"provider": provider, "op": op, "kind": kind}}
}

// TestProviderMetrics runs sessions through every sandbox provider
// (signed, declined, cancelled, one expired) and local (cancelled), and
// reads GET /metrics: the sessions finished count by provider and status,
// and every provider call is timed by provider and operation.
func TestProviderMetrics(t *testing.T) {
	t.Parallel()
	h := startServer(t, "--webhook-retries", "1h")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer receiver.Close()
	h.expect(h.do("POST", "/webhooks", h.key, map[string]any{"url": receiver.URL}), 201)

	var want []wantMetric
	expect := func(s series, v float64, atLeast bool) { // a later expectation of a series replaces the earlier
		want = slices.DeleteFunc(want, func(w wantMetric) bool { return w.String() == s.String() })
		want = append(want, wantMetric{s, v, atLeast})
	}
	for _, provider := range sandboxProviders {
		signed := h.createAt(provider, provider+"-metrics-sign")
		h.signAtProvider(str(signed["redirectUrl"]), "sign")
		h.waitStatus(str(signed["signingSessionId"]), "COMPLETED")

		declined := h.createAt(provider, provider+"-metrics-decline")
		h.signAtProvider(str(declined["redirectUrl"]), "decline")
		h.waitStatus(str(declined["signingSessionId"]), "FAILED")

		cancelled := h.createAt(provider, provider+"-metrics-cancel")
		h.expect(h.do("DELETE", "/signing/"+str(cancelled["signingSessionId"]), h.key, nil), 200)

		expect(finishedSeries(provider, "COMPLETED"), 1, false)
		expect(finishedSeries(provider, "FAILED"), 1, false)
		expect(finishedSeries(provider, "CANCELLED"), 1, false)
		expect(callCount(provider, "initiate"), 3, false)
		expect(callCount(provider, "document"), 1, true) // the signed session's
		if provider != "bankid" {                        // the others call back
			expect(callCount(provider, "callback"), 1, true)
		}
	}
	local := h.expect(h.do("POST", "/signing", h.key, localBody("metrics-local", "Bo Ek|bo@example.com")), 201).json(t)
	h.expect(h.do("DELETE", "/signing/"+str(local["signingSessionId"]), h.key, nil), 200)
	expect(finishedSeries("local", "CANCELLED"), 1, false)
	expect(callCount("local", "initiate"), 1, false)

	body := createBody("metrics-expire")
	body["expiresAt"] = h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	expiring := str(h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)["signingSessionId"])
	h.clock.Advance(time.Hour + time.Second)
	h.waitStatus(expiring, "EXPIRED")
	expect(finishedSeries("signzy", "EXPIRED"), 1, false)
	expect(callCount("signzy", "initiate"), 4, false)
	// Every webhook attempt fails (the receiver answers 503).
	expect(series{"signet_webhook_attempts_total", map[string]string{"outcome": "failure"}}, 1, true)

	text := waitMetrics(t, h.base, want)
	for _, provider := range sandboxProviders {
		// The calls took time, each in a bucket.
		sum := series{"signet_provider_call_duration_seconds_sum", map[string]string{"provider": provider, "op": "initiate"}}
		if v, _ := metricValue(text, sum); v <= 0 {
			t.Errorf("%v = %v, want > 0", sum, v)
		}
		inf := series{"signet_provider_call_duration_seconds_bucket", map[string]string{"provider": provider, "op": "initiate", "le": "+Inf"}}
		if v, _ := metricValue(text, inf); v < 3 {
			t.Errorf("%v = %v, want every call in the +Inf bucket", inf, v)
		}
		for _, status := range []string{"PENDING", "IN_PROGRESS"} {
			if _, ok := metricValue(text, finishedSeries(provider, status)); ok {
				t.Errorf("%v is counted as finished", finishedSeries(provider, status))
			}
		}
	}
	if strings.Contains(text, "signet_provider_errors_total{") {
		t.Errorf("provider errors counted in runs without faults:\n%s", grepLines(text, "signet_provider_errors_total{"))
	}
	if _, ok := metricValue(text, series{"signet_webhook_attempts_total", map[string]string{"outcome": "success"}}); ok {
		t.Error("a webhook attempt succeeded against a receiver that answers 503")
	}
}

// TestProviderFaultMetrics: a provider that fails calls (starting a
// signing, retryably then for good; reading its state) and
// a callback that is not the provider's are counted by provider,
// operation and kind; the session the provider refused is counted FAILED.
func TestProviderFaultMetrics(t *testing.T) {
	t.Parallel()
	sim, flags := signzyAccount(t)
	h := startServer(t, flags...)

	sim.FailNextWith(signzysim.OpInitiate, http.StatusServiceUnavailable, "Down for maintenance")
	retried := h.expect(h.do("POST", "/signing", h.key, createBody("fault-retryable")), 201).json(t)
	if retried["status"] != "PENDING" {
		t.Errorf("after a retryable fault the session is %v", retried["status"])
	}
	sim.FailNextWith(signzysim.OpInitiate, http.StatusBadRequest, "Contract could not be processed")
	refused := h.expect(h.do("POST", "/signing", h.key, createBody("fault-permanent")), 201).json(t)
	h.waitStatus(str(refused["signingSessionId"]), "FAILED")
	h.expect(h.do("POST", "/callbacks/signzy", "", map[string]any{"contractId": "forged"}, "Authorization", "not-the-secret"), 401)

	// Reading a contract's state fails once (the callback's refresh or a
	// poll's, whichever comes first); it is retried and the session
	// completes.
	signed := h.expect(h.do("POST", "/signing", h.key, createBody("fault-reads")), 201).json(t)
	sim.FailNextWith(signzysim.OpPullData, http.StatusBadGateway, "Upstream timeout")
	h.signAtProvider(str(signed["redirectUrl"]), "sign")
	h.waitStatus(str(signed["signingSessionId"]), "COMPLETED")

	waitMetrics(t, h.base, []wantMetric{
		{providerErrors("signzy", "initiate", "retryable"), 1, false},
		{providerErrors("signzy", "initiate", "permanent"), 1, false},
		{providerErrors("signzy", "callback", "unauthorized"), 1, false},
		{providerErrors("signzy", "refresh", "retryable"), 1, false},
		{finishedSeries("signzy", "FAILED"), 1, false},
		{finishedSeries("signzy", "COMPLETED"), 1, false},
		// Failed calls are timed too.
		{callCount("signzy", "initiate"), 3, true},
		{callCount("signzy", "callback"), 2, true},
		{callCount("signzy", "refresh"), 2, true},
		{callCount("signzy", "document"), 1, true},
	})
}

// signzyAccount is one simulated Signzy account served apart from Signet
// (so that a test can inject its faults) and the serve flags that make it
// Signet's only provider.
func signzyAccount(t *testing.T) (*signzysim.Server, []string) {
	t.Helper()
	const token, secret = "live-token", "callback-secret"
	mux := http.NewServeMux()
	provider := httptest.NewServer(mux)
	t.Cleanup(provider.Close)
	sim, err := signzysim.New(signzysim.Config{BaseURL: provider.URL + "/signzy", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	mux.Handle("/signzy/", http.StripPrefix("/signzy", sim))
	return sim, []string{"--sandbox=false", "--default-provider", "signzy", "--signzy-url", provider.URL + "/signzy",
		"--signzy-token", token, "--signzy-callback-secret", secret}
}

// grepLines is the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
