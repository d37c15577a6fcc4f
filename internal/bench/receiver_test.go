package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func postEvent(t *testing.T, url, id, typ string, ts time.Time) int {
	t.Helper()
	body := fmt.Sprintf(`{"type":%q,"timestamp":%q,"data":{"signingSessionId":"x"}}`, typ, ts.Format(time.RFC3339Nano))
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("webhook-id", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestReceiverRecordsAndAnswersWithTheSetStatus(t *testing.T) {
	rcv := NewReceiver()
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC) // microseconds, as Signet sends them
	clock := base
	rcv.now = func() time.Time { return clock }
	srv := httptest.NewServer(rcv)
	defer srv.Close()

	rcv.SetStatus(http.StatusServiceUnavailable)
	clock = base.Add(10 * time.Millisecond)
	if code := postEvent(t, srv.URL+"/a", "msg_1", "signing.created", base); code != 503 {
		t.Errorf("status %d, want 503", code)
	}
	postEvent(t, srv.URL+"/b", "msg_1", "signing.created", base) // same event, another endpoint
	if a, s := rcv.Counts(); a != 2 || s != 0 {
		t.Errorf("counts after refusals: %d attempted, %d succeeded", a, s)
	}

	rcv.SetStatus(http.StatusOK)
	clock = base.Add(2 * time.Second)
	if code := postEvent(t, srv.URL+"/a", "msg_1", "signing.created", base); code != 200 {
		t.Errorf("status %d, want 200", code)
	}
	clock = base.Add(3 * time.Second)
	postEvent(t, srv.URL+"/b", "msg_1", "signing.created", base)
	clock = base.Add(4 * time.Second)
	postEvent(t, srv.URL+"/a", "msg_1", "signing.created", base) // a redelivery: not counted again
	postEvent(t, srv.URL+"/a", "msg_2", "signing.completed", base.Add(time.Second))
	if a, s := rcv.Counts(); a != 3 || s != 3 {
		t.Errorf("counts: %d attempted, %d succeeded; want 3, 3", a, s)
	}

	arr := rcv.Arrivals()
	if len(arr) != 6 || arr[0].Status != 503 || arr[0].Path != "/a" || arr[0].WebhookID != "msg_1" ||
		arr[0].Type != "signing.created" || !arr[0].Timestamp.Equal(base) || !arr[0].At.Equal(base.Add(10*time.Millisecond)) {
		t.Fatalf("arrivals: %+v", arr)
	}
	ok := FirstSuccesses(arr)
	if len(ok) != 3 {
		t.Fatalf("first successes: %+v", ok)
	}
	d := DrainOf(arr)
	if d.Delivered != 3 || d.Span() != 2*time.Second || d.Rate() != 1 {
		t.Errorf("drain %+v, rate %v", d, d.Rate())
	}
	lags := Lags(arr, "signing.created")
	if len(lags) != 2 || lags[0] != 2*time.Second || lags[1] != 3*time.Second {
		t.Errorf("lags %v", lags)
	}
	if got := TypeCounts(arr); got["signing.created"] != 2 || got["signing.completed"] != 1 {
		t.Errorf("type counts %v", got)
	}

	rcv.Reset()
	if a, s := rcv.Counts(); a != 0 || s != 0 || len(rcv.Arrivals()) != 0 {
		t.Error("Reset kept arrivals")
	}
}

func TestReceiverRefusesGarbage(t *testing.T) {
	rcv := NewReceiver()
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", bytes.NewBufferString("not json"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if _, s := rcv.Counts(); s != 0 {
		t.Error("garbage counted as a delivery")
	}
}

func TestDrainOfTooFewIsZero(t *testing.T) {
	if r := DrainOf(nil).Rate(); r != 0 {
		t.Errorf("rate of nothing %v", r)
	}
	one := []Arrival{{At: time.Now(), Status: 200, WebhookID: "a"}}
	if r := DrainOf(one).Rate(); r != 0 {
		t.Errorf("rate of one %v", r)
	}
}

func TestDrainSeparatesStragglers(t *testing.T) {
	t0 := time.Unix(100, 0)
	var arr []Arrival
	for i := range 11 { // 11 deliveries over 1 s: 10/s
		arr = append(arr, Arrival{At: t0.Add(time.Duration(i) * 100 * time.Millisecond), Status: 200, WebhookID: fmt.Sprint(i)})
	}
	arr = append(arr, Arrival{At: t0.Add(31 * time.Second), Status: 200, WebhookID: "late1"},
		Arrival{At: t0.Add(32 * time.Second), Status: 200, WebhookID: "late2"})
	d := DrainOf(arr)
	if d.Delivered != 11 || d.Rate() != 10 || d.Late != 2 || !d.LastLate.Equal(t0.Add(32*time.Second)) {
		t.Errorf("%+v rate %v", d, d.Rate())
	}
}

func TestReceiverHangsUntilTheSenderGivesUp(t *testing.T) {
	rcv := NewReceiver()
	returned := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rcv.ServeHTTP(w, r)
		returned <- r.URL.Path
	}))
	defer srv.Close()

	ts := time.Now()
	body := fmt.Sprintf(`{"type":"signing.created","timestamp":%q}`, ts.Format(time.RFC3339Nano))
	hung := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+HangPrefix+"/x", bytes.NewBufferString(body))
		req.Header.Set("webhook-id", "msg_1")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		hung <- err
	}()
	// While one request hangs, other paths are answered.
	waitFor(t, func() bool { a, _ := rcv.CountsAt(HangPrefix + "/x"); return a == 1 })
	if code := postEvent(t, srv.URL+"/ok", "msg_1", "signing.created", ts); code != 200 {
		t.Errorf("healthy path answered %d while another hung", code)
	}
	if p := <-returned; p != "/ok" {
		t.Errorf("%s returned first; the hanging request should still be held", p)
	}
	if err := <-hung; err == nil {
		t.Error("the hanging path answered")
	}
	select {
	case p := <-returned:
		if p != HangPrefix+"/x" {
			t.Errorf("returned %s", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hanging handler did not return after the sender gave up")
	}
	if a, s := rcv.CountsAt(HangPrefix + "/x"); a != 1 || s != 0 {
		t.Errorf("hang path counts %d attempted, %d succeeded; want 1, 0", a, s)
	}
	if a, s := rcv.CountsAt("/ok"); a != 1 || s != 1 {
		t.Errorf("healthy path counts %d, %d; want 1, 1", a, s)
	}
	var hangs int
	for _, a := range rcv.Arrivals() {
		if a.Path == HangPrefix+"/x" {
			hangs++
			if a.Status != statusHung || a.Type != "signing.created" {
				t.Errorf("hung arrival %+v", a)
			}
		}
	}
	if hangs != 1 {
		t.Errorf("%d hung arrivals recorded", hangs)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
