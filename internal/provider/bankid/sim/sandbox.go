package sim

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
)

// SandboxTimeout is the adapter's per-call timeout in Sandbox.
const SandboxTimeout = 500 * time.Millisecond

// Sandbox wires a BankID adapter to a fresh simulator for the provider
// conformance suite, the way Signet runs in sandbox mode: the RP API on
// its own mutual-TLS server (a throwaway PKI), the simulated app and
// Signet's BankID page on a plain-HTTP server. The signer opens the
// session's redirectUrl (the page) and submits its sandbox form
// (providertest.SubmitForm).
// Everything is closed with t.Cleanup. BankID never calls back, so
// callbackURL is unused and NoCallbacks is set.
//
// The Provider fills in ProviderRef.LoadOriginal, when the suite leaves
// it nil, with the document the request was initiated with, so that a
// COMPLETED update carries the signed PDF as it does in Signet.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	_ = callbackURL
	pki, err := NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}

	sessions := &sessionTable{byID: map[string]*signing.Session{}}
	mux := http.NewServeMux()
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)

	s, err := New(Config{BaseURL: front.URL + "/sandbox/bankid", RPCommonName: pki.ClientCommonName})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/sandbox/bankid/", s)
	pages, err := web.New(web.Config{BankID: &web.BankIDConfig{Lookup: sessions.lookup, SimAppURL: s.AppURL}})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", pages.Handler())

	api := httptest.NewUnstartedServer(s)
	api.TLS = pki.ServerTLS
	api.Config.ErrorLog = log.New(io.Discard, "", 0)
	api.StartTLS()
	t.Cleanup(api.Close)

	a, err := bankid.New(bankid.Config{
		BaseURL:   api.URL + APIPath,
		TLS:       pki.ClientTLS,
		PublicURL: front.URL,
		Timeout:   SandboxTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &sandboxProvider{Adapter: a, docs: map[string]signing.Document{}}

	ops := map[providertest.Op]string{
		providertest.OpInitiate: OpSign,
		providertest.OpRefresh:  OpCollect,
		providertest.OpCancel:   OpCancel,
		providertest.OpDocument: OpCollect, // BankID has no document API: it is collect again
	}
	return &providertest.Sandbox{
		Provider: p,
		Timeout:  SandboxTimeout,
		Signer: func(t *testing.T, started signing.Initiated, action string) {
			t.Helper()
			sessions.add(started)
			providertest.SubmitForm(t, started.RedirectURL, action)
		},
		Fail:  func(op providertest.Op, status int) { s.FailNext(ops[op], status) },
		Delay: func(op providertest.Op, d time.Duration) { s.DelayNext(ops[op], d) },
		Expire: func(t *testing.T, ref string) {
			t.Helper()
			if err := s.Expire(ref); err != nil {
				t.Fatalf("expire %s: %v", ref, err)
			}
		},
		UnknownStatus: func(t *testing.T, ref string) {
			t.Helper()
			if err := s.SetHint(ref, "futureHintCode"); err != nil {
				t.Fatalf("unknown hint for %s: %v", ref, err)
			}
		},
		NoCallbacks: true,
	}
}

// sessionTable stands in for Signet's store behind the page.
type sessionTable struct {
	mu   sync.Mutex
	byID map[string]*signing.Session
}

func (st *sessionTable) add(in signing.Initiated) {
	u, err := url.Parse(in.RedirectURL)
	if err != nil {
		return
	}
	id, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/bankid/"))
	st.mu.Lock()
	defer st.mu.Unlock()
	st.byID[id] = &signing.Session{ID: id, Status: signing.StatusPending, Provider: bankid.Name, Language: "en",
		ProviderRef: in.Ref, ProviderState: in.State, ExpiresAt: time.Now().Add(time.Hour)}
}

func (st *sessionTable) lookup(_ context.Context, id string) (*signing.Session, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[id]
	if !ok {
		return nil, signing.ErrNotFound
	}
	return s.Clone(), nil
}

// sandboxProvider is the adapter with ProviderRef.LoadOriginal filled in
// from the initiated documents when the caller has none.
type sandboxProvider struct {
	*bankid.Adapter
	mu   sync.Mutex
	docs map[string]signing.Document // by orderRef
}

func (p *sandboxProvider) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	in, err := p.Adapter.Initiate(ctx, req)
	if err == nil {
		p.mu.Lock()
		p.docs[in.Ref] = req.Document
		p.mu.Unlock()
	}
	return in, err
}

func (p *sandboxProvider) withOriginal(ref signing.ProviderRef) signing.ProviderRef {
	if ref.LoadOriginal != nil {
		return ref
	}
	p.mu.Lock()
	doc, ok := p.docs[ref.Ref]
	p.mu.Unlock()
	if ok {
		ref.LoadOriginal = func(context.Context) (signing.Document, error) { return doc, nil }
	}
	return ref
}

func (p *sandboxProvider) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	return p.Adapter.Refresh(ctx, p.withOriginal(ref))
}

func (p *sandboxProvider) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	return p.Adapter.FetchDocument(ctx, p.withOriginal(ref))
}
