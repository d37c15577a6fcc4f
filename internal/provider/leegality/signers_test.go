package leegality

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// threeSigners is initiateReq with three signers.
func threeSigners(order signing.SigningOrder) signing.InitiateRequest {
	req := initiateReq()
	req.Signers = []signing.SignerRequest{
		{ID: "s-1", Details: req.SignerDetails},
		{ID: "s-2", Details: json.RawMessage(`{"name":"Ravi Kumar","phone":"09123456780"}`)},
		{ID: "s-3", Details: json.RawMessage(`{"name":"Meera Iyer","email":"meera@example.com"}`)},
	}
	req.SigningOrder = order
	return req
}

// createdThree answers a create of threeSigners, the invitees in the
// order given.
func createdThree(order ...int) string {
	invs := []string{
		`{"name":"Asha Verma","email":"asha@example.com","phone":"9876543210","signUrl":"https://sandbox.leegality.com/sign/aaaa-1","expiryDate":"01-12-2026 15:30:00"}`,
		`{"name":"Ravi Kumar","email":"","phone":"9123456780","signUrl":"https://sandbox.leegality.com/sign/bbbb-2","expiryDate":"01-12-2026 15:30:00"}`,
		`{"name":"Meera Iyer","email":"meera@example.com","signUrl":"https://sandbox.leegality.com/sign/cccc-3","expiryDate":"01-12-2026 15:30:00"}`,
	}
	out := `{"status":1,"messages":[],"data":{"documentId":"01M7YRRT801H1NW31AD668CETA","invitees":[`
	for k, i := range order {
		if k > 0 {
			out += ","
		}
		out += invs[i]
	}
	return out + `]}}`
}

func TestInitiateSeveralSigners(t *testing.T) {
	for _, tt := range []struct {
		order     signing.SigningOrder
		signOrder bool
	}{{signing.Sequential, true}, {"", true}, {signing.Parallel, false}} {
		f, a := newFake(t, 200, createdThree(0, 1, 2))
		got, err := a.Initiate(context.Background(), threeSigners(tt.order))
		if err != nil {
			t.Fatal(err)
		}
		invs := f.Body["invitees"].([]any)
		want := []map[string]any{
			{"name": "Asha Verma", "email": "asha@example.com", "phone": "9876543210", "redirectUrl": "https://client.example/return?order=42"},
			{"name": "Ravi Kumar", "phone": "9123456780", "redirectUrl": "https://client.example/return?order=42"},
			{"name": "Meera Iyer", "email": "meera@example.com", "redirectUrl": "https://client.example/return?order=42"},
		}
		if len(invs) != len(want) {
			t.Fatalf("%s: invitees %v", tt.order, invs)
		}
		for i := range want {
			if !reflect.DeepEqual(invs[i], any(want[i])) {
				t.Errorf("%s: invitee %d = %v, want %v", tt.order, i, invs[i], want[i])
			}
		}
		if f.Body["requestSignOrder"] != tt.signOrder {
			t.Errorf("%s: requestSignOrder %v, want %v", tt.order, f.Body["requestSignOrder"], tt.signOrder)
		}
		wantSigners := []signing.InitiatedSigner{
			{Ref: "aaaa-1", URL: "https://sandbox.leegality.com/sign/aaaa-1"},
			{Ref: "bbbb-2", URL: "https://sandbox.leegality.com/sign/bbbb-2"},
			{Ref: "cccc-3", URL: "https://sandbox.leegality.com/sign/cccc-3"},
		}
		if got.Ref != "01M7YRRT801H1NW31AD668CETA" || got.RedirectURL != wantSigners[0].URL || !reflect.DeepEqual(got.Signers, wantSigners) {
			t.Errorf("%s: Initiated %+v", tt.order, got)
		}
	}
}

// TestInitiateMatchesInviteesByContacts: should Leegality list the
// invitees in another order, each signer still gets their own link.
func TestInitiateMatchesInviteesByContacts(t *testing.T) {
	_, a := newFake(t, 200, createdThree(2, 0, 1))
	got, err := a.Initiate(context.Background(), threeSigners(signing.Parallel))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"aaaa-1", "bbbb-2", "cccc-3"} {
		if got.Signers[i].Ref != want {
			t.Errorf("signer %d got %+v", i, got.Signers[i])
		}
	}
}

func TestInitiateSeveralSignersRefused(t *testing.T) {
	// A signer with no name: the error names them.
	f, a := newFake(t, 200, createdThree(0, 1, 2))
	req := threeSigners(signing.Sequential)
	req.Signers[1].Details = json.RawMessage(`{"phone":"9123456780"}`)
	_, err := a.Initiate(context.Background(), req)
	var ve *signing.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "signers[1].signerDetails.name" || f.Calls != 0 {
		t.Errorf("err = %v, calls %d", err, f.Calls)
	}
	// An answer short of an invitee cannot be used, and is not retried.
	_, a = newFake(t, 200, createdThree(0, 1))
	_, err = a.Initiate(context.Background(), threeSigners(signing.Sequential))
	var pe *signing.ProviderError
	if !errors.As(err, &pe) || pe.Retryable {
		t.Errorf("short answer: %v", err)
	}
}

// knownSigners are three signers as Signet keeps them after Initiate.
func knownSigners() []signing.Signer {
	return []signing.Signer{
		{ID: "s-1", ProviderRef: "aaaa-1", ProviderURL: "https://sandbox.leegality.com/sign/aaaa-1", Status: signing.SignerPending},
		{ID: "s-2", ProviderRef: "bbbb-2", ProviderURL: "https://sandbox.leegality.com/sign/bbbb-2", Status: signing.SignerWaiting},
		{ID: "s-3", ProviderRef: "cccc-3", ProviderURL: "https://sandbox.leegality.com/sign/cccc-3", Status: signing.SignerWaiting},
	}
}

func TestSignerUpdates(t *testing.T) {
	inv := func(id, extra string) string {
		return `{"name":"x","signUrl":"https://sandbox.leegality.com/sign/` + id + `","expiryDate":"01-12-2026 15:30:00"` + extra + `}`
	}
	signed := `,"signed":true,"action":"Signed","signedDate":"21-11-2026 15:35:00"`
	tests := []struct {
		name    string
		status  string
		invs    []string
		want    signing.Status
		reason  string
		signers []signing.SignerUpdate // without evidence
	}{
		{"nobody yet", "SENT", []string{inv("aaaa-1", ""), inv("bbbb-2", ""), inv("cccc-3", "")}, signing.StatusPending, "", nil},
		{"first opened", "SENT", []string{inv("aaaa-1", `,"action":"Viewed"`), inv("bbbb-2", ""), inv("cccc-3", "")},
			signing.StatusInProgress, "", []signing.SignerUpdate{{Index: 0, Status: signing.SignerInProgress}}},
		{"first signed, second opened", "SENT", []string{inv("aaaa-1", signed), inv("bbbb-2", `,"action":"Viewed"`), inv("cccc-3", "")},
			signing.StatusInProgress, "", []signing.SignerUpdate{{Index: 0, Status: signing.SignerSigned}, {Index: 1, Status: signing.SignerInProgress}}},
		{"second rejected", "SENT", []string{inv("aaaa-1", signed), inv("bbbb-2", `,"rejected":true,"action":"Rejected","comment":"Wrong amount"`), inv("cccc-3", "")},
			signing.StatusFailed, "Wrong amount", []signing.SignerUpdate{{Index: 0, Status: signing.SignerSigned}, {Index: 1, Status: signing.SignerFailed, Reason: "Wrong amount"}}},
		{"two of three signed", "SENT", []string{inv("aaaa-1", signed), inv("bbbb-2", signed), inv("cccc-3", "")},
			signing.StatusInProgress, "", []signing.SignerUpdate{{Index: 0, Status: signing.SignerSigned}, {Index: 1, Status: signing.SignerSigned}}},
		{"all signed", "COMPLETED", []string{inv("aaaa-1", signed), inv("bbbb-2", signed), inv("cccc-3", signed)},
			signing.StatusCompleted, "", []signing.SignerUpdate{{Index: 0, Status: signing.SignerSigned}, {Index: 1, Status: signing.SignerSigned}, {Index: 2, Status: signing.SignerSigned}}},
		// The invitations in another order: matched by their signUrl.
		{"listed out of order", "SENT", []string{inv("cccc-3", signed), inv("aaaa-1", ""), inv("bbbb-2", `,"action":"Viewed"`)},
			signing.StatusInProgress, "", []signing.SignerUpdate{{Index: 2, Status: signing.SignerSigned}, {Index: 1, Status: signing.SignerInProgress}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := `{"documentId":"01M7YRRT801H1NW31AD668CETA","status":"` + tt.status + `","invitations":[`
			for i, s := range tt.invs {
				if i > 0 {
					js += ","
				}
				js += s
			}
			_, a := newFake(t, 200, `{"status":1,"messages":[],"data":`+js+`]}}`)
			u, err := a.Refresh(context.Background(), signing.ProviderRef{Ref: "01M7YRRT801H1NW31AD668CETA", Signers: knownSigners(), SigningOrder: signing.Sequential})
			if err != nil {
				t.Fatal(err)
			}
			if u.Status != tt.want || u.Reason != tt.reason {
				t.Errorf("session %s %q, want %s %q", u.Status, u.Reason, tt.want, tt.reason)
			}
			if len(u.Signers) != len(tt.signers) {
				t.Fatalf("signers %+v, want %+v", u.Signers, tt.signers)
			}
			for i, su := range u.Signers {
				w := tt.signers[i]
				if su.Index != w.Index || su.Status != w.Status || su.Reason != w.Reason {
					t.Errorf("signer update %d = %+v, want %+v", i, su, w)
				}
				// A signature or a rejection carries the invitation's evidence.
				var ev map[string]string
				if su.Status.Terminal() && (json.Unmarshal(su.Evidence, &ev) != nil || ev["documentId"] != "01M7YRRT801H1NW31AD668CETA" || ev["action"] == "") {
					t.Errorf("signer update %d evidence %s", i, su.Evidence)
				}
				if su.Status == signing.SignerSigned && ev["signedAt"] != "2026-11-21T10:05:00Z" {
					t.Errorf("signer update %d evidence %s", i, su.Evidence)
				}
			}
		})
	}
}

// TestSingleSignerReportsNoSigners: a session of one is reported as it
// always was, by the session's status alone.
func TestSingleSignerReportsNoSigners(t *testing.T) {
	_, a := newFake(t, 200, string(readTestdata(t, "details_completed.json")))
	u, err := a.Refresh(context.Background(), signing.ProviderRef{Ref: "01M7YRRT801H1NW31AD668CETA", Signers: knownSigners()[:1]})
	if err != nil || u.Status != signing.StatusCompleted || u.Signers != nil {
		t.Errorf("update %+v, %v", u, err)
	}
}
