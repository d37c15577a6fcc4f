package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// Callback is one callback a simulator sent.
type Callback struct {
	Header http.Header
	Body   []byte
}

// callbacks captures what simulators post to the suite's callback URL.
type callbacks struct {
	mu   sync.Mutex
	list []Callback
	url  string
}

func newCallbacks(t *testing.T) *callbacks {
	c := &callbacks{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.list = append(c.list, Callback{Header: r.Header.Clone(), Body: body})
		c.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	c.url = srv.URL + "/callbacks/provider"
	return c
}

// wait returns the first callback the parse function accepts as being
// about ref, waiting up to 10 s.
func (c *callbacks) wait(t *testing.T, p signing.Provider, ref string) Callback {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		list := append([]Callback(nil), c.list...)
		c.mu.Unlock()
		for _, cb := range list {
			if parsed, err := p.ParseCallback(cb.Header, cb.Body); err == nil && parsed.Ref == ref {
				return cb
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no verifiable callback about %s arrived within 10 s", ref)
	return Callback{}
}

var contract = pdf.Sample(2, "Conformance contract")

func initiate(t *testing.T, sb *Sandbox, callbackURL string) signing.Initiated {
	t.Helper()
	doc := signing.Document{SessionID: "00000000-0000-4000-8000-000000000001", Kind: signing.DocumentOriginal,
		Filename: "contract.pdf", Content: contract, SHA256: signing.SHA256Hex(contract)}
	examples := exampleSigner(t, sb.Provider.Info())
	started, err := sb.Provider.Initiate(context.Background(), signing.InitiateRequest{
		SessionID: doc.SessionID, OrderID: "order-1", SignerDetails: examples, Language: sb.Provider.Info().Languages[0],
		Document: doc, ReturnURL: "https://app.example.com/done", CallbackURL: callbackURL,
		ExpiresAt: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("Initiate: %v", err)
	}
	return started
}

// start makes a sandbox that calls back to a receiver of its own, and
// initiates a signing there.
func start(t *testing.T, newSandbox func(t *testing.T, callbackURL string) *Sandbox) (*Sandbox, signing.Initiated) {
	t.Helper()
	cb := newCallbacks(t)
	sb := newSandbox(t, cb.url)
	return sb, initiate(t, sb, cb.url)
}

// exampleSigner builds signer details from the schema's examples, which
// GET /signing/providers promises are valid.
func exampleSigner(t *testing.T, info signing.ProviderInfo) json.RawMessage {
	t.Helper()
	var schema struct {
		Properties map[string]struct {
			Examples []any `json:"examples"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(info.SignerDetailsSchema, &schema); err != nil {
		t.Fatalf("signerDetailsSchema: %v", err)
	}
	details := map[string]any{}
	for name, p := range schema.Properties {
		if len(p.Examples) == 0 {
			t.Fatalf("signerDetailsSchema property %q has no examples", name)
		}
		details[name] = p.Examples[0]
	}
	b, _ := json.Marshal(details)
	return b
}

func ref(started signing.Initiated) signing.ProviderRef {
	return signing.ProviderRef{SessionID: "00000000-0000-4000-8000-000000000001", Ref: started.Ref, State: started.State,
		LoadOriginal: func(context.Context) (signing.Document, error) {
			return signing.Document{Filename: "contract.pdf", Content: contract, SHA256: signing.SHA256Hex(contract), Kind: signing.DocumentOriginal}, nil
		}}
}

// refreshUntil refreshes until the update's status is want, for 10 s.
func refreshUntil(t *testing.T, sb *Sandbox, r signing.ProviderRef, want signing.Status) signing.Update {
	t.Helper()
	return refreshFor(t, sb, r, string(want), func(u signing.Update) bool { return u.Status == want })
}

// refreshFor refreshes until done accepts the update, for 10 s; what
// names what done waits for.
func refreshFor(t *testing.T, sb *Sandbox, r signing.ProviderRef, what string, done func(signing.Update) bool) signing.Update {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last signing.Update
	var err error
	for time.Now().Before(deadline) {
		last, err = sb.Provider.Refresh(context.Background(), r)
		if err == nil && done(last) {
			return last
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("refresh never reported %s; last %+v, err %v", what, last, err)
	return last
}

// checkDescription checks what every provider's Info must say: its
// names, languages and required fields, and capabilities that agree with
// each other.
func checkDescription(t *testing.T, info signing.ProviderInfo) {
	t.Helper()
	if info.Name == "" || info.DisplayName == "" || len(info.Languages) == 0 || len(info.RequiredSignerFields) == 0 {
		t.Errorf("incomplete Info: %+v", info)
	}
	if info.PollInterval < 0 || info.MaxSigners < 0 || (info.MaxSigners == 1) != (len(info.SigningOrders) == 0) {
		t.Errorf("capabilities: poll every %v, at most %d signers in orders %q", info.PollInterval, info.MaxSigners, info.SigningOrders)
	}
	for _, o := range info.SigningOrders {
		if o != signing.Sequential && o != signing.Parallel {
			t.Errorf("unknown signing order %q", o)
		}
	}
}

// Run is the conformance suite for an adapter and its simulator.
func Run(t *testing.T, newSandbox func(t *testing.T, callbackURL string) *Sandbox) {
	newSandbox = withDefaults(newSandbox)
	t.Run("Info", func(t *testing.T) {
		sb := newSandbox(t, "http://127.0.0.1:9/callbacks")
		info := sb.Provider.Info()
		checkDescription(t, info)
		exampleSigner(t, info)
	})

	t.Run("InitiateThenRefreshPending", func(t *testing.T) {
		sb, started := start(t, newSandbox)
		u, err := url.Parse(started.RedirectURL)
		if started.Ref == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("Initiated %+v", started)
		}
		upd, err := sb.Provider.Refresh(context.Background(), ref(started))
		if err != nil || upd.Status != signing.StatusPending {
			t.Errorf("refresh before signing: %+v, %v; want PENDING", upd, err)
		}
	})

	t.Run("SignCompletesWithSignedPDF", func(t *testing.T) {
		sb, started := start(t, newSandbox)
		sb.Signer(t, started, "sign")
		upd := refreshUntil(t, sb, ref(started), signing.StatusCompleted)
		signed := upd.Signed
		if signed == nil {
			var err error
			if signed, err = sb.Provider.FetchDocument(context.Background(), ref(started)); err != nil {
				t.Fatalf("FetchDocument: %v", err)
			}
		}
		if _, err := pdf.Validate(signed); err != nil {
			t.Errorf("signed document is not a valid PDF: %v", err)
		}
		if bytes.Equal(signed, contract) {
			t.Error("signed document is the unsigned original")
		}
	})

	t.Run("DeclineFailsWithReason", func(t *testing.T) {
		sb, started := start(t, newSandbox)
		sb.Signer(t, started, "decline")
		upd := refreshUntil(t, sb, ref(started), signing.StatusFailed)
		if strings.TrimSpace(upd.Reason) == "" {
			t.Error("FAILED without a reason")
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		sb, started := start(t, newSandbox)
		if err := sb.Provider.Cancel(context.Background(), ref(started)); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if !sb.Provider.Info().CancelReachesProvider {
			return // the request stays signable at the provider (Signzy)
		}
		if _, ok := sb.Provider.(signing.Starter); ok {
			return // BankID: the provider forgets a cancelled order; the provider's own tests check it
		}
		upd, err := sb.Provider.Refresh(context.Background(), ref(started))
		if err == nil && (upd.Status == signing.StatusPending || upd.Status == signing.StatusInProgress || upd.Status == signing.StatusCompleted) {
			t.Errorf("after Cancel the provider reports %s", upd.Status)
		}
	})

	t.Run("CallbackAcceptedAndForgeriesRefused", func(t *testing.T) {
		cb := newCallbacks(t)
		sb := newSandbox(t, cb.url)
		if !sb.Provider.Info().CallsBack {
			t.Skip("this provider never calls back")
		}
		started := initiate(t, sb, cb.url)
		sb.Signer(t, started, "sign")
		genuine := cb.wait(t, sb.Provider, started.Ref)
		if len(sb.Forgeries) == 0 {
			t.Fatal("no forgeries to try")
		}
		for i, forge := range sb.Forgeries {
			h, body := forge(genuine.Header.Clone(), bytes.Clone(genuine.Body))
			if _, err := sb.Provider.ParseCallback(h, body); !errors.Is(err, signing.ErrUnauthorized) {
				t.Errorf("forgery %d: err = %v, want ErrUnauthorized", i, err)
			}
		}
		if _, err := sb.Provider.ParseCallback(genuine.Header, []byte("{")); err == nil {
			t.Error("a malformed callback was accepted")
		}
	})

	t.Run("ExpiryAtProvider", func(t *testing.T) {
		cb := newCallbacks(t)
		sb := newSandbox(t, cb.url)
		if _, ok := sb.Provider.(signing.Starter); ok {
			t.Skip("Signet starts this provider's signers as they arrive and replaces what times out: the request never expires at the provider")
		}
		started := initiate(t, sb, cb.url)
		sb.Expire(t, started.Ref)
		upd, err := sb.Provider.Refresh(context.Background(), ref(started))
		if err == nil && upd.Status == signing.StatusExpired {
			return
		}
		var pe *signing.ProviderError
		if errors.As(err, &pe) && !pe.Retryable && errors.Is(err, signing.ErrNotFound) {
			return // the provider forgets expired requests
		}
		t.Errorf("after expiry at the provider: %+v, %v; want EXPIRED", upd, err)
	})

	for _, status := range []int{500, 503} {
		t.Run("ProviderOutageIsRetryable/"+http.StatusText(status), func(t *testing.T) {
			cb := newCallbacks(t)
			sb := newSandbox(t, cb.url)
			sb.Fail(OpInitiate, status)
			if _, err := sb.Provider.Initiate(context.Background(), signing.InitiateRequest{
				SessionID: "00000000-0000-4000-8000-000000000002", OrderID: "o", SignerDetails: exampleSigner(t, sb.Provider.Info()),
				Language: sb.Provider.Info().Languages[0], CallbackURL: cb.url, ExpiresAt: time.Now().Add(time.Hour),
				Document: signing.Document{Filename: "c.pdf", Content: contract, SHA256: signing.SHA256Hex(contract)},
			}); !signing.IsRetryable(err) {
				t.Errorf("initiate during an outage: %v, want a retryable error", err)
			}
			started := initiate(t, sb, cb.url)
			sb.Fail(OpRefresh, status)
			if _, err := sb.Provider.Refresh(context.Background(), ref(started)); !signing.IsRetryable(err) {
				t.Errorf("refresh during an outage: %v, want a retryable error", err)
			}
			if upd, err := sb.Provider.Refresh(context.Background(), ref(started)); err != nil || upd.Status != signing.StatusPending {
				t.Errorf("refresh after the outage: %+v, %v", upd, err)
			}
		})
	}

	t.Run("TimeoutIsRetryable", func(t *testing.T) {
		sb, started := start(t, newSandbox)
		sb.Delay(OpRefresh, sb.Timeout+2*time.Second)
		start := time.Now()
		_, err := sb.Provider.Refresh(context.Background(), ref(started))
		if !signing.IsRetryable(err) {
			t.Errorf("refresh past the timeout: %v, want a retryable error", err)
		}
		if took := time.Since(start); took > sb.Timeout+time.Second {
			t.Errorf("refresh took %v; the adapter's timeout is %v", took, sb.Timeout)
		}
	})

	t.Run("ProviderRefusalIsPermanent", func(t *testing.T) {
		cb := newCallbacks(t)
		sb := newSandbox(t, cb.url)
		sb.Fail(OpInitiate, 400)
		_, err := sb.Provider.Initiate(context.Background(), signing.InitiateRequest{
			SessionID: "00000000-0000-4000-8000-000000000003", OrderID: "o", SignerDetails: exampleSigner(t, sb.Provider.Info()),
			Language: sb.Provider.Info().Languages[0], CallbackURL: cb.url, ExpiresAt: time.Now().Add(time.Hour),
			Document: signing.Document{Filename: "c.pdf", Content: contract, SHA256: signing.SHA256Hex(contract)},
		})
		var pe *signing.ProviderError
		if !errors.As(err, &pe) || pe.Retryable || strings.TrimSpace(pe.Message) == "" {
			t.Errorf("initiate refused with 400: %v, want a permanent ProviderError with the provider's message", err)
		}
	})

	t.Run("UnknownStatusTolerated", func(t *testing.T) {
		sb, started := start(t, newSandbox)
		sb.UnknownStatus(t, started.Ref)
		upd, err := sb.Provider.Refresh(context.Background(), ref(started))
		if err != nil || upd.Status.Terminal() {
			t.Errorf("an unknown status value gave %+v, %v; want no error and no terminal change", upd, err)
		}
	})
	runSigners(t, newSandbox)
}
