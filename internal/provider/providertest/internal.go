package providertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// RunInternal is the part of the conformance suite that applies to a
// provider whose requests never leave Signet (local): its state is the
// session's, its signers sign on Signet's own page, so there is no
// simulator to fail, delay or forge callbacks from. Such a provider must
// still describe itself consistently, take a request (one signer or
// several, in every order it declares) without an outside call, report no
// news on refresh, cancel cleanly and refuse every callback. Its signing
// and signed document are black-box tested through Signet (cmd/signet).
func RunInternal(t *testing.T, p signing.Provider) {
	info := p.Info()
	t.Run("Info", func(t *testing.T) {
		checkDescription(t, info)
		if info.CallsBack {
			t.Error("a provider inside Signet says it calls back")
		}
		CheckInfoIsACopy(t, p)
	})
	example := exampleSigner(t, info)
	orders := append([]signing.SigningOrder{""}, info.SigningOrders...)
	for _, order := range orders {
		n := 1
		if order != "" {
			n = min(3, info.MaxSigners)
		}
		t.Run("Initiate/"+string(order), func(t *testing.T) {
			req := signing.InitiateRequest{SessionID: "00000000-0000-4000-8000-000000000002", OrderID: "order-1", SignerDetails: example,
				SigningOrder: order, Language: info.Languages[0], ExpiresAt: time.Now().Add(time.Hour),
				Document: signing.Document{Filename: "contract.pdf", Content: contract, SHA256: signing.SHA256Hex(contract), Kind: signing.DocumentOriginal}}
			for i := range n {
				req.Signers = append(req.Signers, signing.SignerRequest{ID: "sgn-" + string(rune('a'+i)), Details: example})
			}
			started, err := p.Initiate(context.Background(), req)
			if err != nil || started.Ref == "" {
				t.Fatalf("Initiate = %+v, %v", started, err)
			}
			r := signing.ProviderRef{SessionID: req.SessionID, Ref: started.Ref, State: started.State, SigningOrder: order}
			upd, err := p.Refresh(context.Background(), r)
			if err != nil || upd.Status.Terminal() {
				t.Errorf("Refresh of a new request = %+v, %v; want no error and no end", upd, err)
			}
			if err := p.Cancel(context.Background(), r); err != nil {
				t.Errorf("Cancel: %v", err)
			}
		})
	}
	t.Run("NoCallbacks", func(t *testing.T) {
		for _, body := range []string{"", "{}", `{"ref":"x","status":"COMPLETED"}`} {
			if cb, err := p.ParseCallback(http.Header{"Authorization": {"x"}}, []byte(body)); err == nil {
				t.Errorf("callback %q accepted: %+v", body, cb)
			}
		}
	})
}
