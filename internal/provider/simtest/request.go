package simtest

import (
	"encoding/json"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// UnitRequest is the one-signer request an adapter's unit tests start
// from: a session, order 42, a stand-in PDF (not parsed by the adapters),
// the client's return URL and Signet's callback route for provider, an
// expiry two hours after now, and the signer's details and language.
func UnitRequest(provider, details, language string, now time.Time) signing.InitiateRequest {
	return signing.InitiateRequest{
		SessionID:     "5b0c7c2e-1c1a-4a57-8a0b-3d9f0e7a6b11",
		OrderID:       "order-42",
		SignerDetails: json.RawMessage(details),
		Language:      language,
		Document:      signing.Document{Filename: "loan.pdf", Content: []byte("%PDF-1.7 test")},
		ReturnURL:     "https://client.example/return?order=42",
		CallbackURL:   "https://signet.example/callbacks/" + provider,
		ExpiresAt:     now.Add(2 * time.Hour),
	}
}
