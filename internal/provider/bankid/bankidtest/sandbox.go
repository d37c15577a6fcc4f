// Package bankidtest wires the BankID adapter to its simulator for the
// provider conformance suite, the way Signet runs in sandbox mode. It is
// for tests only.
package bankidtest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/bankid/sim"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
)

// Sandbox wires a BankID adapter to a fresh simulator for the provider
// conformance suite, the way Signet runs in sandbox mode: the RP API on
// its own mutual-TLS server (a throwaway PKI), the simulated app and
// Signet's BankID page on a plain-HTTP server. The signer opens their
// page (the session's redirectUrl) and submits its sandbox form
// (providertest.SubmitForm). Everything is closed with t.Cleanup. BankID
// never calls back (Info().CallsBack is false), so callbackURL is unused.
//
// BankID orders are started by Signet when a signer arrives at their
// page (the adapter is a signing.Starter), and the adapter's state and
// each signer's evidence live in Signet's store. The Provider plays that
// part of Signet for the suite, which passes the state Initiate returned:
// it keeps each session (state and signers) as Signet's store would,
// applies every update to it, answers with it, and starts the signers
// whose turn it is as soon as the session is initiated (as if they opened
// their pages at once), so that a BankID order exists for the suite's
// refreshes, faults and hooks. The hooks take the session's reference
// and act on its first signer's current order.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	pki, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := simtest.NewEnv(t) // the page and the simulated app
	s, err := sim.New(sim.Config{BaseURL: e.Srv.URL + "/sandbox/bankid", RPCommonName: pki.ClientCommonName})
	if err != nil {
		t.Fatal(err)
	}
	e.Mux.Handle("/sandbox/bankid/", s)
	api := simtest.ServeTLS(t, s, pki.ServerTLS)

	a, err := bankid.New(bankid.Config{
		BaseURL:   api.URL + sim.APIPath,
		TLS:       pki.ClientTLS,
		PublicURL: e.Srv.URL,
		Timeout:   providertest.SandboxTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := NewProvider(a, time.Now)
	p.StartOnInitiate = true
	pages, err := web.New(web.Config{Logger: slog.New(slog.DiscardHandler), BankID: &web.BankIDConfig{Lookup: p.Lookup, Start: p.StartSigner, SimAppURL: s.AppURL}})
	if err != nil {
		t.Fatal(err)
	}
	e.Mux.Handle("/", pages.Handler())

	// onOrder runs a simulator hook on the first signer's current order.
	onOrder := func(name string, hook func(orderRef string) error) func(t *testing.T, ref string) {
		return providertest.Hook(name, func(ref string) error {
			orderRef, err := p.OrderRef(ref, 0)
			if err != nil {
				return err
			}
			return hook(orderRef)
		})
	}
	sb := &providertest.Sandbox{
		Provider:      p,
		Expire:        onOrder("expire", s.Expire),
		UnknownStatus: onOrder("unknown hint", func(ref string) error { return s.SetHint(ref, "futureHintCode") }),
	}
	ops := map[providertest.Op]string{providertest.OpInitiate: sim.OpSign, providertest.OpRefresh: sim.OpCollect, providertest.OpCancel: sim.OpCancel}
	sb.Fail = func(op providertest.Op, status int) {
		if o, ok := ops[op]; ok {
			s.FailNext(o, status)
		}
		// OpDocument: BankID has no document call; the signed document is
		// built from the stored completion data, so there is nothing to fail.
	}
	sb.Delay = func(op providertest.Op, d time.Duration) {
		if o, ok := ops[op]; ok {
			s.DelayNext(o, d)
		}
	}
	return sb
}

// Provider is the BankID adapter with the part of Signet around it that
// BankID needs: a store of each session's state and signers, and the
// start of a signer's order when they arrive at their page.
type Provider struct {
	*bankid.Adapter
	// StartOnInitiate starts the orders of the signers whose turn it is
	// as soon as a session is initiated, as if they opened their pages at
	// once.
	StartOnInitiate bool

	now      func() time.Time
	mu       sync.Mutex
	sessions map[string]*session // by the session's reference
}

// NewProvider wraps a with a store of sessions, on the clock now.
func NewProvider(a *bankid.Adapter, now func() time.Time) *Provider {
	return &Provider{Adapter: a, now: now, sessions: map[string]*session{}}
}

// Session is the kept session whose reference is ref, or nil.
func (p *Provider) Session(ref string) *signing.Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.sessions[ref]; ok {
		return k.sess.Clone()
	}
	return nil
}

// session is what Signet's store keeps of one session.
type session struct {
	sess *signing.Session
	doc  signing.Document
}

// Initiate initiates the session and keeps it; with StartOnInitiate it
// starts the orders of the signers whose turn it is (the first, or all in
// a parallel session).
func (p *Provider) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	in, err := p.Adapter.Initiate(ctx, req)
	if err != nil {
		return in, err
	}
	n := max(len(req.Signers), 1)
	order := req.SigningOrder
	if order == "" {
		order = signing.Sequential
	}
	sess := &signing.Session{ID: req.SessionID, Status: signing.StatusPending, Provider: bankid.Name, Language: req.Language,
		DocumentName: req.Document.Filename, ReturnURL: req.ReturnURL, ExpiresAt: req.ExpiresAt,
		ProviderRef: in.Ref, ProviderState: in.State, SigningOrder: order}
	for i, st := range signing.InitialSignerStatuses(n, order) {
		details := req.SignerDetails
		if i < len(req.Signers) {
			details = req.Signers[i].Details
		}
		sess.Signers = append(sess.Signers, signing.Signer{ID: fmt.Sprintf("sgn_%d", i+1), Details: details, Status: st, ProviderURL: in.Signers[i].URL})
	}
	if sess.ExpiresAt.IsZero() {
		sess.ExpiresAt = p.now().Add(time.Hour)
	}
	p.mu.Lock()
	p.sessions[in.Ref] = &session{sess: sess, doc: req.Document}
	p.mu.Unlock()
	if !p.StartOnInitiate {
		return in, nil
	}
	for i, sg := range sess.Signers {
		if sg.Status == signing.SignerPending {
			if _, err := p.StartSigner(ctx, sess, i, true); err != nil {
				return in, err
			}
		}
	}
	p.mu.Lock()
	in.State = p.sessions[in.Ref].sess.ProviderState
	p.mu.Unlock()
	return in, nil
}

// Lookup reads a kept session by id (the BankID page's Lookup).
func (p *Provider) Lookup(_ context.Context, id string) (*signing.Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sessions {
		if s.sess.ID == id {
			return s.sess.Clone(), nil
		}
	}
	return nil, signing.ErrNotFound
}

// StartSigner starts signer i's order as Signet's Service.StartSigner
// does (claim, start, record), on the kept session.
func (p *Provider) StartSigner(ctx context.Context, sess *signing.Session, i int, asked bool) (*signing.Session, error) {
	p.mu.Lock()
	k, ok := p.sessions[sess.ProviderRef]
	if !ok || k.sess.Status.Terminal() || !p.now().Before(k.sess.ExpiresAt) ||
		k.sess.Signers[i].Status == signing.SignerWaiting || k.sess.Signers[i].Status.Terminal() {
		p.mu.Unlock()
		return sess, nil
	}
	claimed, ok, err := p.ClaimStart(k.sess.ProviderState, i, p.now(), asked)
	if err != nil || !ok {
		p.mu.Unlock()
		return k.sess.Clone(), err
	}
	k.sess.ProviderState = claimed
	ref := p.refOf(k)
	p.mu.Unlock()

	started, startErr := p.Start(ctx, ref, i)
	p.mu.Lock()
	defer p.mu.Unlock()
	if started.Record != nil {
		state, err := started.Record(k.sess.ProviderState, p.now())
		if err != nil {
			return nil, err
		}
		k.sess.ProviderState = state
	}
	return k.sess.Clone(), startErr
}

// OrderRef is the current orderRef of signer i of the session ref.
func (p *Provider) OrderRef(ref string, i int) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k, ok := p.sessions[ref]
	if !ok {
		return "", fmt.Errorf("bankidtest: no session %s", ref)
	}
	st, err := bankid.ParseState(k.sess.ProviderState, k.sess.ProviderRef)
	if err != nil {
		return "", err
	}
	if i >= len(st.Signers) || st.Signers[i].Order == nil {
		return "", fmt.Errorf("bankidtest: signer %d of %s has no order", i+1, ref)
	}
	return st.Signers[i].Order.OrderRef, nil
}

// refOf is the ProviderRef of a kept session; p.mu must be held.
func (p *Provider) refOf(k *session) signing.ProviderRef {
	doc := k.doc
	return signing.ProviderRef{SessionID: k.sess.ID, Ref: k.sess.ProviderRef, State: k.sess.ProviderState,
		Signers: k.sess.Clone().Signers, SigningOrder: k.sess.SigningOrder,
		LoadOriginal: func(context.Context) (signing.Document, error) { return doc, nil }}
}

// kept is ref with the kept session's state and signers, as Signet
// passes them, when the session is kept.
func (p *Provider) kept(ref signing.ProviderRef) signing.ProviderRef {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.sessions[ref.Ref]; ok {
		load := ref.LoadOriginal
		ref = p.refOf(k)
		if load != nil {
			ref.LoadOriginal = load
		}
	}
	return ref
}

// Refresh refreshes the kept session and applies the update to it: the
// new state, and each signer's progress and evidence.
func (p *Provider) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	u, err := p.Adapter.Refresh(ctx, p.kept(ref))
	if err != nil {
		return u, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k, ok := p.sessions[ref.Ref]
	if !ok {
		return u, nil
	}
	if u.State != nil {
		k.sess.ProviderState = append(json.RawMessage(nil), u.State...)
	}
	for _, su := range u.Signers {
		sg := &k.sess.Signers[su.Index]
		if sg.Status.Terminal() {
			continue
		}
		sg.Status = su.Status
		if su.Status == signing.SignerSigned {
			sg.Evidence = su.Evidence
		}
	}
	if i := signing.NextTurn(k.sess.Signers, k.sess.SigningOrder); i >= 0 {
		k.sess.Signers[i].Status = signing.SignerPending
	}
	k.sess.Status = signing.DeriveStatus(k.sess.Signers)
	return u, nil
}

// FetchDocument builds the signed document from the kept session.
func (p *Provider) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	return p.Adapter.FetchDocument(ctx, p.kept(ref))
}

// Cancel withdraws the kept session's orders; the session is CANCELLED
// first, as Signet does.
func (p *Provider) Cancel(ctx context.Context, ref signing.ProviderRef) error {
	p.mu.Lock()
	if k, ok := p.sessions[ref.Ref]; ok {
		k.sess.Status = signing.StatusCancelled
	}
	p.mu.Unlock()
	return p.Adapter.Cancel(ctx, p.kept(ref))
}
