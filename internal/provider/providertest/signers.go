package providertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// runSigners is the multi-signer part of the suite: for each signing
// order the provider declares, three signers (or its maximum) all sign,
// and a decline by the second fails the request.
func runSigners(t *testing.T, newSandbox func(t *testing.T, callbackURL string) *Sandbox) {
	probe := newSandbox(t, "http://127.0.0.1:9/callbacks")
	info := probe.Provider.Info()
	if info.MaxSigners < 2 {
		return
	}
	if _, starts := probe.Provider.(signing.Starter); starts {
		// Such a provider (BankID) starts each signer when they arrive,
		// through Signet's signer link; the black-box tests in cmd/signet
		// run its signers, since the suite has no Signet to start them.
		return
	}
	if probe.NthSigner == nil {
		t.Run("Signers", func(t *testing.T) {
			t.Fatalf("%s takes %d signers but its Sandbox has no NthSigner", info.Name, info.MaxSigners)
		})
		return
	}
	n := min(3, info.MaxSigners)
	for _, order := range info.SigningOrders {
		t.Run(fmt.Sprintf("Signers/%s/AllSign", order), func(t *testing.T) {
			cb := newCallbacks(t)
			sb := newSandbox(t, cb.url)
			started, r := initiateSigners(t, sb, cb.url, n, order)
			for i := range n {
				sb.Signer(t, signerPage(started, i), "sign")
				if i == n-1 {
					break
				}
				upd := refreshUntilSigner(t, sb, r, i, signing.SignerSigned)
				if upd.Status == signing.StatusCompleted || upd.Status == signing.StatusFailed {
					t.Fatalf("after signer %d of %d: session %s", i+1, n, upd.Status)
				}
			}
			upd := refreshUntil(t, sb, r, signing.StatusCompleted)
			signed := upd.Signed
			if signed == nil {
				var err error
				if signed, err = sb.Provider.FetchDocument(context.Background(), r); err != nil {
					t.Fatalf("FetchDocument: %v", err)
				}
			}
			sigs, err := pdf.Verify(signed)
			if err != nil {
				t.Fatalf("signed document: %v", err)
			}
			valid := 0
			for _, s := range sigs {
				if s.Valid {
					valid++
				}
			}
			if valid < n {
				t.Errorf("signed document holds %d valid signatures of %d (%+v), want one per signer", valid, len(sigs), sigs)
			}
		})
		t.Run(fmt.Sprintf("Signers/%s/SecondDeclines", order), func(t *testing.T) {
			cb := newCallbacks(t)
			sb := newSandbox(t, cb.url)
			started, r := initiateSigners(t, sb, cb.url, n, order)
			sb.Signer(t, signerPage(started, 0), "sign")
			refreshUntilSigner(t, sb, r, 0, signing.SignerSigned)
			sb.Signer(t, signerPage(started, 1), "decline")
			upd := refreshUntil(t, sb, r, signing.StatusFailed)
			if strings.TrimSpace(upd.Reason) == "" {
				t.Error("FAILED without a reason")
			}
		})
	}
}

func initiateSigners(t *testing.T, sb *Sandbox, callbackURL string, n int, order signing.SigningOrder) (signing.Initiated, signing.ProviderRef) {
	t.Helper()
	doc := signing.Document{SessionID: "00000000-0000-4000-8000-000000000001", Kind: signing.DocumentOriginal,
		Filename: "contract.pdf", Content: contract, SHA256: signing.SHA256Hex(contract)}
	var signers []signing.SignerRequest
	var known []signing.Signer
	for i := range n {
		id := fmt.Sprintf("00000000-0000-4000-8000-0000000001%02d", i)
		signers = append(signers, signing.SignerRequest{ID: id, Details: sb.NthSigner(i)})
		status := signing.SignerPending
		if i > 0 && order == signing.Sequential {
			status = signing.SignerWaiting
		}
		known = append(known, signing.Signer{ID: id, Details: sb.NthSigner(i), Status: status})
	}
	info := sb.Provider.Info()
	started, err := sb.Provider.Initiate(context.Background(), signing.InitiateRequest{
		SessionID: doc.SessionID, OrderID: "order-1", SignerDetails: signers[0].Details, Signers: signers,
		SigningOrder: order, Language: info.Languages[0], Document: doc,
		ReturnURL: "https://app.example.com/done", CallbackURL: callbackURL, ExpiresAt: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("Initiate %d signers, %s: %v", n, order, err)
	}
	if len(started.Signers) != n {
		t.Fatalf("Initiate %d signers gave %d signer pages: %+v", n, len(started.Signers), started.Signers)
	}
	for i, s := range started.Signers {
		if s.URL == "" {
			t.Fatalf("signer %d has no page: %+v", i, started.Signers)
		}
		known[i].ProviderRef, known[i].ProviderURL = s.Ref, s.URL
	}
	r := ref(started)
	r.Signers, r.SigningOrder = known, order
	return started, r
}

// signerPage is the started request as the i-th signer sees it.
func signerPage(started signing.Initiated, i int) signing.Initiated {
	started.RedirectURL = started.Signers[i].URL
	return started
}

// refreshUntilSigner refreshes until the update says signer i is want.
func refreshUntilSigner(t *testing.T, sb *Sandbox, r signing.ProviderRef, i int, want signing.SignerStatus) signing.Update {
	t.Helper()
	return refreshFor(t, sb, r, fmt.Sprintf("signer %d %s", i, want), func(u signing.Update) bool {
		for _, s := range u.Signers {
			if s.Index == i && s.Status == want {
				return true
			}
		}
		return false
	})
}
