package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob/s3test"
	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/provider/providertest"
)

// balancer is the load balancer in front of the replicas: round robin,
// passing a request to the next replica when one does not answer.
type balancer struct {
	srv     *httptest.Server
	targets []*url.URL
	next    atomic.Uint64
	hits    []atomic.Int64
}

func newBalancer(t *testing.T, addrs ...string) *balancer {
	b := &balancer{hits: make([]atomic.Int64, len(addrs))}
	for _, a := range addrs {
		b.targets = append(b.targets, &url.URL{Scheme: "http", Host: a})
	}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		start := int(b.next.Add(1))
		for i := range b.targets {
			n := (start + i) % len(b.targets)
			rec := httptest.NewRecorder()
			failed := false
			proxy := httputil.NewSingleHostReverseProxy(b.targets[n])
			proxy.ErrorHandler = func(http.ResponseWriter, *http.Request, error) { failed = true }
			req := r.Clone(r.Context())
			req.Body = io.NopCloser(bytes.NewReader(body))
			proxy.ServeHTTP(rec, req)
			if failed {
				continue
			}
			b.hits[n].Add(1)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		http.Error(w, "no replica answers", http.StatusBadGateway)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// TestReplicas runs two `signet serve` processes on one PostgreSQL
// database behind a load balancer, with one (simulated) Signzy account,
// configured as a live deployment would be (--sandbox off, credentials),
// and their documents in one S3 bucket (versitygw) when it is installed.
func TestReplicas(t *testing.T) {
	if os.Getenv(databaseEnv) != "" {
		t.Skip("runs once, in the main run")
	}
	t.Parallel()
	dsn := pgtest.DSN(t) // skips, saying why, without PostgreSQL
	bin := signetBinary(t)

	provider := sharedSignzy(t) // the provider both replicas share

	out, err := exec.Command(bin, "apikey", "create", "--tenant", "acme", "--database", dsn).Output()
	if err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	key := strings.TrimSpace(string(out))

	// The documents: in one bucket both replicas share, as a team with
	// large contracts runs it.
	var docs, docsEnv []string
	var bucket func() [][]byte
	if s3test.VersityWanted() {
		s3srv := s3test.Versity(t)
		name := s3srv.Bucket(t)
		docs, docsEnv = []string{"--documents", s3srv.DocumentsFlag(name)}, s3srv.Env()
		bucket = func() [][]byte { return bucketObjects(t, s3srv, name) }
	} else {
		t.Log("versitygw is not installed (" + s3test.Install + "): the replicas keep their documents in PostgreSQL")
	}

	addrs := []string{freeAddr(t), freeAddr(t)}
	lb := newBalancer(t, addrs...)
	retries := strings.TrimSuffix(strings.Repeat("300ms,", 30), ",")
	var replicas []*exec.Cmd
	for _, addr := range addrs {
		args := append([]string{"serve", "--addr", addr, "--database", dsn, "--public-url", lb.srv.URL,
			"--allow-private-webhooks", "--poll-interval", "1s", "--webhook-retries", retries,
			"--webhook-timeout", "2s", "--webhook-lease", "3s", "--poll-lease", "3s"}, provider...)
		srv, logs := startBinaryEnv(t, bin, docsEnv, append(args, docs...)...)
		waitFor(t, logs, func(line string) bool { return strings.Contains(line, "signet serving") })
		replicas = append(replicas, srv)
	}
	a := client{t: t, base: "http://" + addrs[0], key: key}
	b := client{t: t, base: "http://" + addrs[1], key: key}
	viaLB := client{t: t, base: lb.srv.URL, key: key}

	// Webhooks go to one receiver; it remembers every webhook-id.
	var mu sync.Mutex
	seen := map[string]int{}         // answered deliveries by webhook-id
	arrived := map[string]int{}      // attempts by webhook-id, answered or not
	bySession := map[string]string{} // webhook-id of each session's created event
	var hold atomic.Bool             // while set, the receiver keeps requests waiting
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string
			Data struct{ SigningSessionID string }
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &ev)
		mu.Lock()
		arrived[r.Header.Get("webhook-id")]++
		if ev.Type == "signing.created" {
			bySession[ev.Data.SigningSessionID] = r.Header.Get("webhook-id")
		}
		mu.Unlock()
		if hold.Load() { // never answered: the sender dies waiting
			<-r.Context().Done()
			return
		}
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		mu.Unlock()
	}))
	defer receiver.Close()
	viaLB.must("POST", "/webhooks", map[string]any{"url": receiver.URL}, 201)

	t.Run("SessionsVisibleThroughBoth", func(t *testing.T) {
		s1 := a.must("POST", "/signing", createBody("via-a"), 201)
		s2 := b.must("POST", "/signing", createBody("via-b"), 201)
		b.must("GET", "/signing/"+str(s1["signingSessionId"]), nil, 200)
		a.must("GET", "/signing/"+str(s2["signingSessionId"]), nil, 200)
	})

	t.Run("IdempotencyAcrossReplicas", func(t *testing.T) {
		var wg sync.WaitGroup
		ids := make([]string, 20)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := []client{a, b}[i%2]
				req, _ := http.NewRequest("POST", c.base+"/signing", bytes.NewReader(mustMarshal(createBody("idem-order"))))
				req.Header.Set("X-API-Key", key)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Idempotency-Key", "same-key-on-both")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var body map[string]any
				jsonDecode(resp.Body, &body)
				if resp.StatusCode == 201 {
					ids[i] = str(body["signingSessionId"])
				} else if resp.StatusCode != 409 { // 409: the first is still running
					t.Errorf("request %d: %d %v", i, resp.StatusCode, body)
				}
			}()
		}
		wg.Wait()
		distinct := map[string]bool{}
		for _, id := range ids {
			if id != "" {
				distinct[id] = true
			}
		}
		list := a.must("GET", "/signing?orderId=idem-order", nil, 200)["data"].([]any)
		if len(distinct) != 1 || len(list) != 1 {
			t.Errorf("20 same-key requests over two replicas made sessions %v, list has %d; want one", distinct, len(list))
		}
	})

	t.Run("CallbacksReachEitherReplica", func(t *testing.T) {
		before := []int64{lb.hits[0].Load(), lb.hits[1].Load()}
		var ids []string
		for i := range 6 {
			s := []client{a, b}[i%2].must("POST", "/signing", createBody(fmt.Sprintf("cb-%d", i)), 201)
			providertest.SubmitForm(t, str(s["redirectUrl"]), "sign")
			ids = append(ids, str(s["signingSessionId"]))
		}
		var signed [][]byte
		for _, id := range ids {
			waitClientStatus(t, a, id, "COMPLETED")
			signed = append(signed, download(t, b, "/signing/"+id+"/document", nil, 200).body)
			if doc := download(t, a, "/signing/"+id+"/document", nil, 200).body; !bytes.Equal(doc, signed[len(signed)-1]) {
				t.Errorf("session %s: the replicas serve different signed documents", id)
			}
		}
		if bucket != nil {
			objects := bucket()
			for i, doc := range signed {
				if !slices.ContainsFunc(objects, func(o []byte) bool { return bytes.Equal(o, doc) }) {
					t.Errorf("session %s: its signed document is not an object in the shared bucket", ids[i])
				}
			}
		}
		for i := range lb.hits {
			if lb.hits[i].Load() == before[i] {
				t.Errorf("replica %d received no callback", i)
			}
		}
	})

	t.Run("EachDeliveryOnce", func(t *testing.T) {
		for i := range 30 {
			[]client{a, b}[i%2].must("POST", "/signing", createBody(fmt.Sprintf("hook-%d", i)), 201)
		}
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			if n >= 2+1+6*4+30 { // created events, the idempotent one, 6 × created+in_progress+signer_signed+completed
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) < 2+1+6*4+30 {
			t.Errorf("receiver got %d distinct deliveries, want %d", len(seen), 2+1+6*4+30)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("delivery %s received %d times with both replicas dispatching", id, n)
			}
		}
	})

	t.Run("KilledReplicasLeasesMoveOver", func(t *testing.T) {
		// Only replica 0 may claim: replica 1 is frozen. The receiver holds
		// the delivery replica 0 sends, and replica 0 dies mid-attempt.
		replicas[1].Process.Signal(syscall.SIGSTOP)
		hold.Store(true)
		s := a.must("POST", "/signing", createBody("orphan"), 201)
		id := str(s["signingSessionId"])
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			sent := bySession[id] != ""
			mu.Unlock()
			if sent { // replica 0 claimed it and is waiting for the answer
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("replica 0 never sent the delivery")
			}
		}
		replicas[0].Process.Signal(syscall.SIGKILL)
		replicas[0].Wait()
		replicas[1].Process.Signal(syscall.SIGCONT)
		hold.Store(false)

		// Replica 1 takes the delivery over once replica 0's lease ends,
		// under the same webhook-id.
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			msg := bySession[id]
			answered, attempts := seen[msg], arrived[msg]
			mu.Unlock()
			if answered > 0 {
				if attempts != 2 || answered != 1 {
					t.Errorf("the orphaned delivery %s arrived %d times, answered %d; want 2 and 1", msg, attempts, answered)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the killed replica's delivery (%q, %d attempts) was never made by the other", msg, attempts)
			}
			time.Sleep(100 * time.Millisecond)
		}
		b.must("GET", "/signing/"+id, nil, 200)
	})
}

// waitClientStatus polls a session until it has the status.
func waitClientStatus(t *testing.T, c client, id, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := c.must("GET", "/signing/"+id, nil, 200)
		if str(got["status"]) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %v, want %s", id, got["status"], want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
