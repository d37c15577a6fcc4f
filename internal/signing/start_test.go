package signing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// starter is a provider that starts each signer when they arrive, the
// way BankID does: its state is {"orders": {signer: ref}, "claims":
// {signer: unix ms}}, changed only by pure functions.
type starter struct {
	*fakeProvider
	starts   atomic.Int32
	startErr error
	// gate, when set, holds Start until it is closed (after started is
	// signalled).
	gate    chan struct{}
	started chan struct{}
}

type starterState struct {
	Orders map[int]string `json:"orders"`
	Claims map[int]int64  `json:"claims"`
	Other  string         `json:"other,omitempty"` // written by someone else
}

func readStarterState(raw json.RawMessage) starterState {
	var st starterState
	_ = json.Unmarshal(raw, &st)
	if st.Orders == nil {
		st.Orders = map[int]string{}
	}
	if st.Claims == nil {
		st.Claims = map[int]int64{}
	}
	return st
}

func (s *starter) Info() signing.ProviderInfo {
	info := s.fakeProvider.Info()
	info.SigningOrders, info.MaxSigners = []signing.SigningOrder{signing.Sequential, signing.Parallel}, 3
	return info
}

func (s *starter) ClaimStart(raw json.RawMessage, i int, now time.Time, asked bool) (json.RawMessage, bool, error) {
	st := readStarterState(raw)
	if st.Orders[i] != "" || (st.Claims[i] != 0 && now.UnixMilli() < st.Claims[i]+10_000) {
		return nil, false, nil
	}
	st.Claims[i] = now.UnixMilli()
	b, err := json.Marshal(st)
	return b, err == nil, err
}

func (s *starter) Start(ctx context.Context, ref signing.ProviderRef, i int) (signing.Started, error) {
	n := s.starts.Add(1)
	if readStarterState(ref.State).Claims[i] == 0 {
		return signing.Started{}, errors.New("started without a claim")
	}
	if s.gate != nil {
		s.started <- struct{}{}
		<-s.gate
	}
	order := fmt.Sprintf("order-%d", n)
	if s.startErr != nil {
		order = ""
	}
	record := func(raw json.RawMessage, _ time.Time) (json.RawMessage, error) {
		st := readStarterState(raw)
		delete(st.Claims, i)
		if order != "" {
			st.Orders[i] = order
		}
		return json.Marshal(st)
	}
	return signing.Started{Ref: order, Record: record}, s.startErr
}

func newStarterEnv(t *testing.T) (*env, *starter) {
	t.Helper()
	p := &starter{fakeProvider: &fakeProvider{doc: []byte("%PDF-1.7 signed")}}
	e := newEnv(t, func(c *signing.Config) { c.Providers = registry{p} })
	return e, p
}

func createSigners(t *testing.T, e *env, order signing.SigningOrder, n int) *signing.Session {
	t.Helper()
	var signers []json.RawMessage
	for i := range n {
		signers = append(signers, json.RawMessage(fmt.Sprintf(`{"name":"Signer %d"}`, i+1)))
	}
	s, err := e.svc.Create(context.Background(), e.tenant, signing.CreateRequest{
		OrderID: "o-1", Signers: signers, SigningOrder: order, Filename: "c.pdf", Content: []byte("%PDF-1.7"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStartSignerOnceForConcurrentPages: of several pages asking at
// once, one starts the signer; the others see the claim and start
// nothing; the order is recorded with an audit entry naming the signer.
func TestStartSignerOnceForConcurrentPages(t *testing.T) {
	e, p := newStarterEnv(t)
	sess := createSigners(t, e, signing.Sequential, 1)
	p.gate, p.started = make(chan struct{}), make(chan struct{}, 1)
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := e.svc.StartSigner(ctx, sess, 0, true); err != nil {
			t.Error(err)
		}
	}()
	<-p.started // the first holds the claim and is at the provider
	for range 3 {
		got, err := e.svc.StartSigner(ctx, sess, 0, true)
		if err != nil || got == nil {
			t.Fatalf("a concurrent page: %v", err)
		}
	}
	close(p.gate)
	wg.Wait()
	if n := p.starts.Load(); n != 1 {
		t.Fatalf("%d starts at the provider, want 1", n)
	}
	got, err := e.svc.Get(ctx, e.tenant, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	st := readStarterState(got.ProviderState)
	if st.Orders[0] != "order-1" || len(st.Claims) != 0 {
		t.Errorf("state %+v", st)
	}
	last := lastEvent(t, e, sess.ID)
	// (The entry carries SignerID too; the stores do not keep it yet.)
	if last.Type != signing.EventProviderAccepted || last.Detail != "started signer 1 (Signer 1) at the provider: order-1" {
		t.Errorf("audit entry %+v", last)
	}
	// With an order running, nothing more starts.
	if _, err := e.svc.StartSigner(ctx, got, 0, true); err != nil || p.starts.Load() != 1 {
		t.Errorf("a start with an order running: %v, %d starts", err, p.starts.Load())
	}
}

// TestStartRecordsOntoTheStoredState: what the start records is applied
// to the state as stored when it is written, so that a change made
// meanwhile (the poller storing another signer's progress) is kept.
func TestStartRecordsOntoTheStoredState(t *testing.T) {
	e, p := newStarterEnv(t)
	sess := createSigners(t, e, signing.Parallel, 2)
	p.gate, p.started = make(chan struct{}), make(chan struct{}, 1)
	ctx := context.Background()
	done := make(chan *signing.Session, 1)
	go func() {
		got, err := e.svc.StartSigner(ctx, sess, 1, false)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	<-p.started
	// Meanwhile the poller stores a change of its own.
	cur, err := e.svc.Get(ctx, e.tenant, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	st := readStarterState(cur.ProviderState)
	st.Other = "the poller's"
	b, _ := json.Marshal(st)
	p.set(func(f *fakeProvider) { f.refresh = signing.Update{State: b} })
	if _, err := e.svc.Refresh(ctx, e.tenant, sess.ID); err != nil {
		t.Fatal(err)
	}
	close(p.gate)
	got := <-done
	if st := readStarterState(got.ProviderState); st.Orders[1] != "order-1" || st.Other != "the poller's" || len(st.Claims) != 0 {
		t.Errorf("state after both writes: %+v", st)
	}
}

// TestStartOnlyWhenTheSignerMaySign: not before their turn, not for an
// ended session or signer, not for a provider that is no Starter.
func TestStartOnlyWhenTheSignerMaySign(t *testing.T) {
	e, p := newStarterEnv(t)
	ctx := context.Background()
	sess := createSigners(t, e, signing.Sequential, 2)
	if _, err := e.svc.StartSigner(ctx, sess, 1, true); !errors.Is(err, signing.ErrConflict) {
		t.Errorf("before the signer's turn: %v", err)
	}
	if _, err := e.svc.StartSigner(ctx, sess, 5, true); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("no such signer: %v", err)
	}
	cancelled, err := e.svc.Cancel(ctx, e.tenant, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartSigner(ctx, cancelled, 0, true); !errors.Is(err, signing.ErrConflict) {
		t.Errorf("a cancelled session: %v", err)
	}
	late := createSigners(t, e, signing.Sequential, 1)
	e.advance(25 * time.Hour)
	if _, err := e.svc.StartSigner(ctx, late, 0, true); !errors.Is(err, signing.ErrConflict) {
		t.Errorf("past the deadline: %v", err)
	}
	if n := p.starts.Load(); n != 0 {
		t.Errorf("%d starts", n)
	}

	plain := newEnv(t) // fakeProvider is no Starter
	s := plain.create(t)
	if got, err := plain.svc.StartSigner(ctx, s, 0, true); err != nil || got.Version != s.Version {
		t.Errorf("a provider that is no Starter: %v", err)
	}
}

// TestStartFailureRecorded: a failed start returns the provider's error,
// records why in the state (the claim released) and as an audit entry.
func TestStartFailureRecorded(t *testing.T) {
	e, p := newStarterEnv(t)
	sess := createSigners(t, e, signing.Sequential, 1)
	p.startErr = &signing.ProviderError{Provider: "fake", Op: "initiate", Message: "already in progress"}
	got, err := e.svc.StartSigner(context.Background(), sess, 0, true)
	if err == nil || got == nil {
		t.Fatalf("a failed start: %v", err)
	}
	if st := readStarterState(got.ProviderState); len(st.Claims) != 0 || len(st.Orders) != 0 {
		t.Errorf("state %+v", st)
	}
	if last := lastEvent(t, e, sess.ID); last.Type != signing.EventProviderError || last.Detail != "starting signer 1 (Signer 1) at the provider failed: fake initiate: already in progress" {
		t.Errorf("audit entry %+v", last)
	}
	if got.Status != signing.StatusPending {
		t.Errorf("a failed start made the session %s", got.Status)
	}
}

// TestStartForAnEndedSessionIsWithdrawn: a session cancelled while the
// provider was starting a signer has that start withdrawn at once.
func TestStartForAnEndedSessionIsWithdrawn(t *testing.T) {
	e, p := newStarterEnv(t)
	sess := createSigners(t, e, signing.Sequential, 1)
	p.gate, p.started = make(chan struct{}), make(chan struct{}, 1)
	ctx := context.Background()
	done := make(chan *signing.Session, 1)
	go func() {
		got, _ := e.svc.StartSigner(ctx, sess, 0, true)
		done <- got
	}()
	<-p.started
	if _, err := e.svc.Cancel(ctx, e.tenant, sess.ID); err != nil {
		t.Fatal(err)
	}
	before := p.cancels.Load()
	close(p.gate)
	got := <-done
	if got.Status != signing.StatusCancelled || readStarterState(got.ProviderState).Orders[0] != "order-1" {
		t.Fatalf("after the start: %s, %s", got.Status, got.ProviderState)
	}
	if p.cancels.Load() != before+1 {
		t.Errorf("the start for a cancelled session was not withdrawn (%d cancels)", p.cancels.Load()-before)
	}
	if types := e.trail(t, sess.ID); !slices.Contains(types, signing.EventProviderAccepted) {
		t.Errorf("trail %v", types)
	}
}
