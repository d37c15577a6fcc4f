// Package bankidtest wires the BankID adapter to its simulator for the
// provider conformance suite, the way Signet runs in sandbox mode. It is
// for tests only.
package bankidtest

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
	"github.com/signet-dev/signet/internal/provider/bankid/sim"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
)

// Sandbox wires a BankID adapter to a fresh simulator for the provider
// conformance suite, the way Signet runs in sandbox mode: the RP API on
// its own mutual-TLS server (a throwaway PKI), the simulated app and
// Signet's BankID page on a plain-HTTP server. The signer opens the
// session's redirectUrl (the page) and submits its sandbox form
// (providertest.SubmitForm).
// Everything is closed with t.Cleanup. BankID never calls back
// (Info().CallsBack is false), so callbackURL is unused.
//
// The Provider fills in ProviderRef.LoadOriginal, when the suite leaves
// it nil, with the document the request was initiated with, so that a
// COMPLETED update carries the signed PDF as it does in Signet.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	pki, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}

	sessions := &sessionTable{byID: map[string]*signing.Session{}}
	mux := http.NewServeMux()
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)

	s, err := sim.New(sim.Config{BaseURL: front.URL + "/sandbox/bankid", RPCommonName: pki.ClientCommonName})
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
		BaseURL:   api.URL + sim.APIPath,
		TLS:       pki.ClientTLS,
		PublicURL: front.URL,
		Timeout:   providertest.SandboxTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &sandboxProvider{Adapter: a, docs: map[string]signing.Document{}}

	sb := &providertest.Sandbox{
		Provider: p,
		Timeout:  providertest.SandboxTimeout,
		Signer: func(t *testing.T, started signing.Initiated, action string) {
			t.Helper()
			sessions.add(started)
			providertest.SubmitForm(t, started.RedirectURL, action)
		},
		Expire:        providertest.Hook("expire", s.Expire),
		UnknownStatus: providertest.Hook("unknown hint", func(ref string) error { return s.SetHint(ref, "futureHintCode") }),
	}
	sb.UseFaults(s, map[providertest.Op]string{
		providertest.OpInitiate: sim.OpSign, providertest.OpRefresh: sim.OpCollect, providertest.OpCancel: sim.OpCancel,
		providertest.OpDocument: sim.OpCollect, // BankID has no document API: it is collect again
	})
	return sb
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
