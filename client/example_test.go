package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/client"
)

// Create a session, send the signer to its redirectUrl, wait until the
// signing ends and download the signed PDF.
func ExampleClient_Wait() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := client.New(signetURL, apiKey)

	contract, err := os.ReadFile("../testdata/contract.pdf") // your PDF
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.CreateSession(ctx, &api.CreateSessionRequest{
		OrderID:       "order-1001",
		Provider:      "signzy",
		SignerDetails: json.RawMessage(`{"name": "Asha Rao", "email": "asha@example.com"}`),
		Document:      api.Document{Filename: "loan.pdf", Content: contract},
		ReturnURL:     "https://example.com/orders/1001/done",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", s.Status)

	signAtSandbox(s.RedirectURL, "sign") // the signer signs at the provider

	done, err := c.Wait(ctx, s.SigningSessionID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("finished:", done.Status)

	doc, err := c.Document(ctx, done.SigningSessionID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("signed document: %s, starts with %q\n", doc.ContentType, doc.Content[:5])
	// Output:
	// created: PENDING
	// finished: COMPLETED
	// signed document: application/pdf, starts with "%PDF-"
}

// A webhook handler: verify each request with the endpoint's secret before
// trusting its event.
func ExampleVerifyWebhook() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := client.New(signetURL, apiKey)

	var secret string // the endpoint's whsec_ secret, from CreateWebhook below
	events := make(chan api.WebhookEvent, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		ev, err := client.VerifyWebhook(secret, r.Header, body)
		if err != nil {
			http.Error(w, "not from Signet", http.StatusUnauthorized)
			return
		}
		select { // handle the event (once per webhook-id header)
		case events <- ev:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	})
	receiver := httptest.NewUnstartedServer(handler) // your HTTPS endpoint
	url := "http://" + receiver.Listener.Addr().String()

	hook, err := c.CreateWebhook(ctx, &api.CreateWebhookRequest{URL: url, Events: []string{api.EventCancelled}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.DeleteWebhook(ctx, hook.ID)
	secret = hook.Secret
	receiver.Start()
	defer receiver.Close()

	s, err := c.CreateSession(ctx, &api.CreateSessionRequest{
		OrderID:       "order-1002",
		Provider:      "signzy",
		SignerDetails: json.RawMessage(`{"name": "Asha Rao", "email": "asha@example.com"}`),
		Document:      api.Document{Filename: "loan.pdf", Content: mustRead("../testdata/contract.pdf")},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.CancelSession(ctx, s.SigningSessionID); err != nil {
		log.Fatal(err)
	}
	ev := <-events
	fmt.Println(ev.Type, ev.Data.OrderID, ev.Data.Status)
	// Output:
	// signing.cancelled order-1002 CANCELLED
}

func mustRead(name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		log.Fatal(err)
	}
	return b
}
