// Package storetest is the conformance suite every signing.Store must pass.
// It uses nothing but the signing.Store interface, so that the SQLite and
// PostgreSQL stores are held to exactly the same contract.
//
// Beyond the interface's doc comments the suite pins down these details:
//   - CreateSession sets s.Version to the stored version; UpdateSession and
//     ClaimDuePolls return the new one.
//   - Audit entries and documents are stored under the session's id and
//     tenant, whatever the entry or document says.
//   - Reads by tenant (Session, Document, AuditTrail, UpdateSession) answer
//     ErrNotFound for another tenant's session, exactly as for a missing one.
//   - Times come back in UTC and equal to the microsecond; absent optional
//     times are nil, empty metadata is nil, empty strings stay empty.
//   - A refresh token is valid while now < expiresAt.
//   - Idempotency records expire (BeginIdempotent, DeleteIdempotentBefore)
//     when created strictly before the given time; ReleaseIdempotent leaves
//     finished records alone; FinishIdempotent on a lost claim is ErrNotFound.
//   - ClaimDuePolls takes the earliest NextPollAt first and sets the claimed
//     sessions' NextPollAt to now+lease.
//
// RunWebhooks holds a store that is also a signing.WebhookStore to the
// webhook contract (endpoints, the outbox, the delivery queue).
package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/signing"
)

// Store is a whole store as the suites test it: everything Signet keeps
// (signing.Store) and the API's idempotency records.
type Store interface {
	signing.Store
	idempotency.Store
}

type test struct {
	name string
	run  func(t *testing.T, st Store)
}

// Run runs the suite. newStore must return a fresh, empty, migrated store
// for each call and close it when t ends (t.Cleanup). Subtests run in
// parallel, each with its own store.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Tenant", tenantTests},
		{"Auth", authTests},
		{"Session", sessionTests},
		{"Isolation", isolationTests},
		{"List", listTests},
		{"Update", updateTests},
		{"Expiry", expiryTests},
		{"Poll", pollTests},
		{"Backlog", backlogTests},
		{"Idempotency", idempotencyTests},
		{"Signers", signerTests},
		{"Codes", codeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(t, newStore(t))
				})
			}
		})
	}
}

// base is a fixed instant with microsecond precision, in a zone other than
// UTC, so that the suite sees both truncation and zone bugs.
var base = time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.FixedZone("CEST", 2*60*60))

// The concurrency of the race tests.
const racers = 20

// race runs fn(i) for i in [0, n) at once, released together to maximise
// contention, and waits for all.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func newTenant(t *testing.T, st Store, name string) signing.Tenant {
	t.Helper()
	tn, err := st.CreateTenant(t.Context(), name)
	if err != nil {
		t.Fatalf("CreateTenant(%q): %v", name, err)
	}
	return tn
}

// newSession is a minimal valid PENDING session of tenant created at c.
func newSession(tenant signing.Tenant, c time.Time) *signing.Session {
	return &signing.Session{
		ID:            uuid.NewString(),
		TenantID:      tenant.ID,
		OrderID:       "order-1",
		Status:        signing.StatusPending,
		SignerDetails: json.RawMessage(`{"name":"Ada Lovelace"}`),
		Signers: []signing.Signer{{ID: "sgn_" + uuid.NewString(), Details: json.RawMessage(`{"name":"Ada Lovelace"}`),
			Status: signing.SignerPending}},
		SigningOrder: signing.Sequential,
		CreatedAt:    c,
		UpdatedAt:    c,
		Provider:     "signzy",
		Language:     "en",
		ExpiresAt:    c.Add(24 * time.Hour),
	}
}

func originalOf(s *signing.Session) signing.Document {
	content := []byte("%PDF-1.7 original of " + s.ID)
	return signing.Document{
		SessionID: s.ID,
		Kind:      signing.DocumentOriginal,
		Filename:  "contract.pdf",
		Content:   content,
		SHA256:    "sha-" + s.ID,
		CreatedAt: s.CreatedAt,
	}
}

func createdEntry(s *signing.Session) signing.AuditEntry {
	return signing.AuditEntry{
		SessionID: s.ID,
		TenantID:  s.TenantID,
		Type:      signing.EventCreated,
		ToStatus:  s.Status,
		CreatedAt: s.CreatedAt,
	}
}

// create stores s with its original document and a created entry.
func create(t *testing.T, st Store, s *signing.Session) *signing.Session {
	t.Helper()
	if err := st.CreateSession(t.Context(), s, originalOf(s), []signing.AuditEntry{createdEntry(s)}); err != nil {
		t.Fatalf("CreateSession(%s): %v", s.ID, err)
	}
	return s
}

func mustSession(t *testing.T, st Store, tenantID, id string) *signing.Session {
	t.Helper()
	s, err := st.Session(t.Context(), tenantID, id)
	if err != nil {
		t.Fatalf("Session(%s): %v", id, err)
	}
	if s == nil {
		t.Fatalf("Session(%s) = nil, nil", id)
	}
	return s
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func ptr[T any](v T) *T { return &v }

// checkTime reports whether got is want in UTC, to the microsecond.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

func checkOptTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, fmtOpt(got), fmtOpt(want))
	default:
		checkTime(t, what, *got, *want)
	}
}

func fmtOpt(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.String()
}

// jsonEqual compares JSON by value, not by bytes: PostgreSQL's jsonb does
// not keep whitespace or key order. Empty and absent are equal.
func jsonEqual(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	dx, dy := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	dx.UseNumber()
	dy.UseNumber()
	if dx.Decode(&x) != nil || dy.Decode(&y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// checkSession compares every field of a session.
func checkSession(t *testing.T, got, want *signing.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("session %s: got nil", want.ID)
	}
	str := func(name, g, w string) {
		t.Helper()
		if g != w {
			t.Errorf("session %s: %s = %q, want %q", want.ID, name, g, w)
		}
	}
	str("ID", got.ID, want.ID)
	str("TenantID", got.TenantID, want.TenantID)
	str("OrderID", got.OrderID, want.OrderID)
	str("Status", string(got.Status), string(want.Status))
	str("Provider", got.Provider, want.Provider)
	str("Language", got.Language, want.Language)
	str("SigningOrder", string(got.SigningOrder), string(want.SigningOrder))
	str("ReturnURL", got.ReturnURL, want.ReturnURL)
	str("FailureReason", got.FailureReason, want.FailureReason)
	str("DocumentName", got.DocumentName, want.DocumentName)
	str("ProviderRef", got.ProviderRef, want.ProviderRef)
	if !jsonEqual(got.SignerDetails, want.SignerDetails) {
		t.Errorf("session %s: SignerDetails = %s, want %s", want.ID, got.SignerDetails, want.SignerDetails)
	}
	if !jsonEqual(got.ProviderState, want.ProviderState) {
		t.Errorf("session %s: ProviderState = %s, want %s", want.ID, got.ProviderState, want.ProviderState)
	}
	wantMeta := want.Metadata
	if len(wantMeta) == 0 {
		wantMeta = nil
	}
	if !reflect.DeepEqual(got.Metadata, wantMeta) {
		t.Errorf("session %s: Metadata = %#v, want %#v", want.ID, got.Metadata, wantMeta)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkOptTime(t, "CompletedAt", got.CompletedAt, want.CompletedAt)
	checkOptTime(t, "NextPollAt", got.NextPollAt, want.NextPollAt)
	checkOptTime(t, "ProviderCompletedAt", got.ProviderCompletedAt, want.ProviderCompletedAt)
	checkSigners(t, want.ID, got.Signers, want.Signers)
	if got.Version != want.Version {
		t.Errorf("session %s: Version = %d, want %d", want.ID, got.Version, want.Version)
	}
}

func checkDocument(t *testing.T, got, want signing.Document) {
	t.Helper()
	if got.SessionID != want.SessionID || got.Kind != want.Kind || got.Filename != want.Filename || got.SHA256 != want.SHA256 {
		t.Errorf("document = {%s %s %q %s}, want {%s %s %q %s}",
			got.SessionID, got.Kind, got.Filename, got.SHA256, want.SessionID, want.Kind, want.Filename, want.SHA256)
	}
	if !bytes.Equal(got.Content, want.Content) {
		t.Errorf("document %s/%s content = %q, want %q", want.SessionID, want.Kind, got.Content, want.Content)
	}
	checkTime(t, "document CreatedAt", got.CreatedAt, want.CreatedAt)
}

// checkTrail compares an audit trail with the entries written, in order.
func checkTrail(t *testing.T, got []signing.AuditEntry, s *signing.Session, want []signing.AuditEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("audit trail of %s has %d entries, want %d: %+v", s.ID, len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		if g.SessionID != s.ID || g.TenantID != s.TenantID {
			t.Errorf("entry %d belongs to %s/%s, want %s/%s", i, g.TenantID, g.SessionID, s.TenantID, s.ID)
		}
		if g.Type != w.Type || g.FromStatus != w.FromStatus || g.ToStatus != w.ToStatus || g.Detail != w.Detail {
			t.Errorf("entry %d = {%s %s→%s %q}, want {%s %s→%s %q}", i,
				g.Type, g.FromStatus, g.ToStatus, g.Detail, w.Type, w.FromStatus, w.ToStatus, w.Detail)
		}
		if !jsonEqual(g.Data, w.Data) {
			t.Errorf("entry %d data = %s, want %s", i, g.Data, w.Data)
		}
		checkTime(t, "entry CreatedAt", g.CreatedAt, w.CreatedAt)
		if g.ID <= 0 || (i > 0 && g.ID <= got[i-1].ID) {
			t.Errorf("entry %d id = %d, want positive and increasing", i, g.ID)
		}
	}
}

func ids(list []*signing.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

// checkSigners compares every field of every signer.
func checkSigners(t *testing.T, session string, got, want []signing.Signer) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("session %s: %d signers, want %d", session, len(got), len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Status != w.Status || g.FailureReason != w.FailureReason || g.ProviderRef != w.ProviderRef ||
			g.ProviderURL != w.ProviderURL || g.LinkHash != w.LinkHash {
			t.Errorf("session %s: signer %d = %+v, want %+v", session, i, g, w)
		}
		if !jsonEqual(g.Details, w.Details) || !jsonEqual(g.Evidence, w.Evidence) {
			t.Errorf("session %s: signer %d details/evidence = %s / %s, want %s / %s", session, i, g.Details, g.Evidence, w.Details, w.Evidence)
		}
		checkOptTime(t, fmt.Sprintf("Signers[%d].SignedAt", i), g.SignedAt, w.SignedAt)
		checkOptTime(t, fmt.Sprintf("Signers[%d].OpenedAt", i), g.OpenedAt, w.OpenedAt)
	}
}
