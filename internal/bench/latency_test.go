package bench

import (
	"errors"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileNearestRank(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, ms(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, ms(50)}, {90, ms(90)}, {99, ms(99)}, {99.9, ms(100)}, {100, ms(100)}, {0.1, ms(1)}, {0, ms(1)}} {
		if got := Percentile(sorted, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
	if got := Percentile([]time.Duration{ms(7)}, 99); got != ms(7) {
		t.Errorf("one sample: %v", got)
	}
	// Ten samples: p99 is the largest, p50 the fifth.
	ten := []time.Duration{ms(1), ms(2), ms(3), ms(4), ms(5), ms(6), ms(7), ms(8), ms(9), ms(1000)}
	if Percentile(ten, 99) != ms(1000) || Percentile(ten, 50) != ms(5) {
		t.Errorf("ten: p50 %v p99 %v", Percentile(ten, 50), Percentile(ten, 99))
	}
}

func TestRecorderSummarize(t *testing.T) {
	var a, b Recorder
	for _, d := range []int{5, 1, 3} {
		a.Record(ms(d))
	}
	b.Record(ms(2))
	b.Record(ms(4))
	b.Error(errors.New("first"))
	b.Error(errors.New("second"))
	a.Merge(&b)
	s := a.Summarize(2 * time.Second)
	if s.OK != 5 || s.Errors != 2 || s.FirstError != "first" {
		t.Errorf("counts: %+v", s)
	}
	if s.P50 != ms(3) || s.Max != ms(5) || s.Mean != ms(3) || s.P99 != ms(5) {
		t.Errorf("latencies: %+v", s)
	}
	if s.Rate() != 2.5 {
		t.Errorf("rate %v, want 2.5", s.Rate())
	}
	if (Summary{OK: 3}).Rate() != 0 {
		t.Error("rate without elapsed time")
	}
	var empty Recorder
	if s := empty.Summarize(time.Second); s.OK != 0 || s.P99 != 0 || s.Rate() != 0 {
		t.Errorf("empty: %+v", s)
	}
}
