package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestScheduleIsEvenAndDoesNotDrift(t *testing.T) {
	start := time.Unix(1000, 0)
	s := NewSchedule(start, 3, time.Second) // 0, 333.3…, 666.6… ms
	var got []time.Duration
	for {
		due, ok := s.Next()
		if !ok {
			break
		}
		got = append(got, due.Sub(start))
	}
	want := []time.Duration{0, 333333333, 666666666}
	if len(got) != len(want) {
		t.Fatalf("due times %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("due %d = %v, want %v", i, got[i], want[i])
		}
	}
	// A high rate over a long run: exactly rate × d due times, the last
	// one less than 1/rate before the end.
	s = NewSchedule(start, 5000, 10*time.Second)
	n, last := 0, time.Time{}
	for due, ok := s.Next(); ok; due, ok = s.Next() {
		n++
		last = due
	}
	if n != 50000 || last.Sub(start) != 10*time.Second-200*time.Microsecond {
		t.Errorf("5000/s for 10 s: %d due, last at %v", n, last.Sub(start))
	}
	if _, ok := NewSchedule(start, 0, time.Second).Next(); ok {
		t.Error("rate 0 scheduled something")
	}
}

func TestClosedLoopCountsSuccessesAndErrors(t *testing.T) {
	var calls, bad atomic.Int64
	fail := errors.New("boom")
	s := ClosedLoop(context.Background(), 4, 50*time.Millisecond, func(ctx context.Context, w int) error {
		if w < 0 || w >= 4 {
			bad.Add(1)
		}
		time.Sleep(time.Millisecond)
		if calls.Add(1)%5 == 0 {
			return fail
		}
		return nil
	})
	if bad.Load() != 0 {
		t.Error("worker index out of range")
	}
	if s.OK == 0 || int64(s.OK)+s.Errors != calls.Load() || s.FirstError != "boom" {
		t.Errorf("summary %+v after %d calls", s, calls.Load())
	}
	if s.P50 < time.Millisecond || s.Elapsed < 50*time.Millisecond {
		t.Errorf("latency %v / elapsed %v shorter than the op's sleep / the run", s.P50, s.Elapsed)
	}
}

func TestClosedLoopStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := ClosedLoop(ctx, 2, time.Hour, func(ctx context.Context, _ int) error { return nil })
	if s.Elapsed > time.Minute {
		t.Errorf("ran %v after cancel", s.Elapsed)
	}
}

func TestFixedRateOffersTheScheduleAndMeasuresFromDueTime(t *testing.T) {
	var calls atomic.Int64
	s, offered := FixedRate(context.Background(), 200, 250*time.Millisecond, 8, func(ctx context.Context, _ int) error {
		calls.Add(1)
		return nil
	})
	if offered != 50 || calls.Load() != 50 || s.OK != 50 || s.Errors != 0 {
		t.Errorf("offered %d, calls %d, summary %+v", offered, calls.Load(), s)
	}

	// One worker and an op slower than the interval: the requests queue,
	// and their latency (from the due time) grows with the queue instead
	// of staying at the op's own 20 ms. The 10th request is due at 45 ms
	// but cannot start before 9 × 20 ms = 180 ms.
	s, offered = FixedRate(context.Background(), 200, 50*time.Millisecond, 1, func(ctx context.Context, _ int) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	if offered != 10 || s.OK != 10 {
		t.Fatalf("offered %d, summary %+v", offered, s)
	}
	if s.Max < 150*time.Millisecond {
		t.Errorf("max latency %v: the queueing delay was not counted", s.Max)
	}
}

func TestFixedRateCountsErrors(t *testing.T) {
	s, offered := FixedRate(context.Background(), 100, 100*time.Millisecond, 2, func(ctx context.Context, _ int) error {
		return errors.New("nope")
	})
	if offered != 10 || s.OK != 0 || s.Errors != 10 || s.Dropped != 0 || s.FirstError != "nope" {
		t.Errorf("offered %d, summary %+v", offered, s)
	}
	if s, offered := FixedRate(context.Background(), 0, time.Second, 1, nil); offered != 0 || s.OK != 0 {
		t.Error("rate 0 offered requests")
	}
}

func TestFixedRateDropsBeyondASecondBehind(t *testing.T) {
	// One worker stuck on its first request for the whole run: the queue
	// holds one second's worth (20), the rest of the 30 due are dropped.
	var first atomic.Bool
	s, offered := FixedRate(context.Background(), 20, 1500*time.Millisecond, 1, func(ctx context.Context, _ int) error {
		if first.CompareAndSwap(false, true) {
			time.Sleep(1600 * time.Millisecond)
		}
		return nil
	})
	if offered != 30 || s.OK != 21 || s.Dropped != 9 || s.Errors != 0 {
		t.Errorf("offered %d, summary %+v", offered, s)
	}
}
