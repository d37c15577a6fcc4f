package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// full is a session with every field set, times in a non-UTC zone.
func full(tenant signing.Tenant) *signing.Session {
	s := newSession(tenant, base)
	s.OrderID = "order-ü-42"
	s.Status = signing.StatusCompleted
	s.SignerDetails = json.RawMessage(`{
		"name": "Åsa Öberg", "identity": "198112289874",
		"address": {"lines": ["1 Main St", "Flat \"B\""], "zip": null},
		"age": 44, "big": 12345678901234567890, "tags": [], "ok": true}`)
	s.UpdatedAt = base.Add(90 * time.Minute)
	s.Provider = "bankid"
	s.Language = "sv"
	s.Signers = []signing.Signer{{
		ID: "sgn_first", Details: s.SignerDetails, Status: signing.SignerSigned,
		SignedAt: ptr(base.Add(80 * time.Minute)), OpenedAt: ptr(base.Add(time.Minute)),
		ProviderRef: "signer-1", ProviderURL: "https://sign.example/r/1?x=y&z=%20", LinkHash: "hash-of-" + s.ID,
		Evidence: json.RawMessage(`{"ip":"192.0.2.1","userAgent":"Mozilla/5.0 (ü)"}`),
	}, {
		ID: "sgn_second", Details: json.RawMessage(`{"name":"Bo","email":"bo@example.com"}`), Status: signing.SignerFailed,
		FailureReason: "declined: not today",
	}}
	s.SigningOrder = signing.Parallel
	s.ProviderCompletedAt = ptr(base.Add(85 * time.Minute))
	s.ReturnURL = "https://client.example/back"
	s.CompletedAt = ptr(base.Add(90 * time.Minute))
	s.ExpiresAt = base.Add(30 * 24 * time.Hour)
	s.FailureReason = "not empty, to see it round-trip"
	s.Metadata = map[string]string{"crm": "42", "empty": "", "ünï": "cødé"}
	s.DocumentName = "Kontrakt 2031.pdf"
	s.ProviderRef = "ref-7f3a"
	s.ProviderState = json.RawMessage(`{"qrStartSecret":"abc","n":[1,2,3]}`)
	s.NextPollAt = ptr(base.Add(time.Minute + 7*time.Microsecond))
	return s
}

var sessionTests = []test{
	{"RoundTripEveryField", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := full(newTenant(t, st, "acme"))
		want := s.Clone()
		create(t, st, s)
		want.Version = s.Version

		checkSession(t, mustSession(t, st, s.TenantID, s.ID), want)
		byID, err := st.SessionByID(ctx, s.ID)
		if err != nil {
			t.Fatalf("SessionByID: %v", err)
		}
		checkSession(t, byID, want)
		byRef, err := st.SessionByProviderRef(ctx, s.Provider, s.ProviderRef)
		if err != nil {
			t.Fatalf("SessionByProviderRef: %v", err)
		}
		checkSession(t, byRef, want)
	}},
	{"RoundTripAbsentOptionals", func(t *testing.T, st Store) {
		tenant := newTenant(t, st, "acme")
		for name, mod := range map[string]func(*signing.Session){
			"nil metadata":   func(s *signing.Session) { s.Metadata = nil },
			"empty metadata": func(s *signing.Session) { s.Metadata = map[string]string{} },
			"empty state":    func(s *signing.Session) { s.ProviderState = json.RawMessage{} },
			"empty language": func(s *signing.Session) { s.Language = "" },
		} {
			s := newSession(tenant, base)
			mod(s)
			want := s.Clone()
			create(t, st, s)
			want.Version = s.Version
			got := mustSession(t, st, s.TenantID, s.ID)
			checkSession(t, got, want)
			if got.CompletedAt != nil || got.NextPollAt != nil || got.Metadata != nil || len(got.ProviderState) != 0 {
				t.Errorf("%s: optionals = %v, %v, %#v, %s; want all absent",
					name, got.CompletedAt, got.NextPollAt, got.Metadata, got.ProviderState)
			}
		}
	}},
	{"TimesToTheMicrosecond", func(t *testing.T, st Store) {
		tenant := newTenant(t, st, "acme")
		for _, c := range []time.Time{
			time.Date(2025, 1, 1, 0, 0, 0, 1000, time.UTC),
			time.Date(2025, 12, 31, 23, 59, 59, 999999000, time.FixedZone("W", -7*3600)),
			time.Date(1999, 3, 4, 5, 6, 7, 0, time.UTC),
			time.Date(2099, 6, 30, 12, 0, 0, 500000000, time.FixedZone("E", 14*3600)),
		} {
			s := newSession(tenant, c)
			s.NextPollAt = ptr(c.Add(time.Microsecond))
			want := s.Clone()
			create(t, st, s)
			want.Version = s.Version
			checkSession(t, mustSession(t, st, s.TenantID, s.ID), want)
		}
	}},
	{"DuplicateID", func(t *testing.T, st Store) {
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		s := create(t, st, newSession(a, base))
		for _, dup := range []*signing.Session{newSession(a, base), newSession(b, base)} {
			dup.ID = s.ID
			dup.OrderID = "other"
			err := st.CreateSession(t.Context(), dup, originalOf(dup), []signing.AuditEntry{createdEntry(dup)})
			wantErr(t, "CreateSession(existing id)", err, signing.ErrConflict)
		}
		if got := mustSession(t, st, a.ID, s.ID); got.OrderID != s.OrderID {
			t.Errorf("a conflicting create changed the session: orderId %q", got.OrderID)
		}
		if trail, err := st.AuditTrail(t.Context(), a.ID, s.ID); err != nil || len(trail) != 1 {
			t.Errorf("a conflicting create changed the audit trail: %d entries, %v", len(trail), err)
		}
	}},
	{"Lookups", func(t *testing.T, st Store) {
		ctx := t.Context()
		tenant := newTenant(t, st, "acme")
		withRef := newSession(tenant, base)
		withRef.ProviderRef = "r-1"
		create(t, st, withRef)
		create(t, st, newSession(tenant, base)) // no ref yet
		other := newSession(tenant, base)
		other.Provider, other.ProviderRef = "digio", "r-2"
		create(t, st, other)

		if got, err := st.SessionByProviderRef(ctx, "signzy", "r-1"); err != nil || got.ID != withRef.ID {
			t.Errorf("SessionByProviderRef(signzy, r-1) = %v, %v; want %s", got, err, withRef.ID)
		}
		for _, tt := range []struct{ provider, ref string }{
			{"digio", "r-1"},  // another provider's reference
			{"signzy", "r-2"}, // ditto
			{"signzy", ""},    // sessions without a reference never match
			{"signzy", "nope"},
		} {
			_, err := st.SessionByProviderRef(ctx, tt.provider, tt.ref)
			wantErr(t, "SessionByProviderRef("+tt.provider+", "+tt.ref+")", err, signing.ErrNotFound)
		}
		unknown := "00000000-0000-4000-8000-000000000000"
		_, err := st.SessionByID(ctx, unknown)
		wantErr(t, "SessionByID(unknown)", err, signing.ErrNotFound)
		_, err = st.Session(ctx, tenant.ID, unknown)
		wantErr(t, "Session(unknown)", err, signing.ErrNotFound)
	}},
	{"DocumentsAndTrail", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := newSession(newTenant(t, st, "acme"), base)
		orig := originalOf(s)
		orig.Content = []byte{0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x0a, 0x00} // binary, with NULs
		entries := []signing.AuditEntry{
			createdEntry(s),
			{Type: signing.EventProviderAccepted, Detail: "accepted", Data: json.RawMessage(`{"ref":"r","n":1}`),
				CreatedAt: base.Add(time.Microsecond)},
		}
		if err := st.CreateSession(ctx, s, orig, entries); err != nil {
			t.Fatal(err)
		}
		got, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentOriginal)
		if err != nil {
			t.Fatalf("Document(original): %v", err)
		}
		checkDocument(t, got, orig)
		_, err = st.Document(ctx, s.TenantID, s.ID, signing.DocumentSigned)
		wantErr(t, "Document(signed) before completion", err, signing.ErrNotFound)

		trail, err := st.AuditTrail(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatalf("AuditTrail: %v", err)
		}
		checkTrail(t, trail, s, entries)
	}},
}

var isolationTests = []test{
	{"OtherTenantSeesNothing", func(t *testing.T, st Store) {
		ctx := t.Context()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		s := create(t, st, newSession(a, base))
		create(t, st, newSession(b, base.Add(-time.Hour)))

		_, err := st.Session(ctx, b.ID, s.ID)
		wantErr(t, "Session(other tenant)", err, signing.ErrNotFound)
		_, err = st.Document(ctx, b.ID, s.ID, signing.DocumentOriginal)
		wantErr(t, "Document(other tenant)", err, signing.ErrNotFound)
		trail, err := st.AuditTrail(ctx, b.ID, s.ID)
		wantErr(t, "AuditTrail(other tenant)", err, signing.ErrNotFound)
		if len(trail) != 0 {
			t.Errorf("AuditTrail(other tenant) leaked %d entries", len(trail))
		}
		list, _, err := st.ListSessions(ctx, b.ID, signing.ListFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range list {
			if got.ID == s.ID || got.TenantID != b.ID {
				t.Errorf("ListSessions(b) returned %s of tenant %s", got.ID, got.TenantID)
			}
		}
		if len(list) != 1 {
			t.Errorf("ListSessions(b) = %d sessions, want 1", len(list))
		}

		// A write through the wrong tenant must not land either.
		c := s.Clone()
		c.TenantID = b.ID
		c.Status = signing.StatusCancelled
		err = st.UpdateSession(ctx, signing.Change{Session: c, ExpectVersion: s.Version,
			Entries: []signing.AuditEntry{{Type: signing.EventCancelled, CreatedAt: base}}})
		wantErr(t, "UpdateSession(other tenant)", err, signing.ErrNotFound)
		if got := mustSession(t, st, a.ID, s.ID); got.Status != signing.StatusPending || got.TenantID != a.ID || got.Version != s.Version {
			t.Errorf("after a cross-tenant update: %s %s v%d, want unchanged", got.TenantID, got.Status, got.Version)
		}
		if trail, _ := st.AuditTrail(ctx, a.ID, s.ID); len(trail) != 1 {
			t.Errorf("cross-tenant update wrote audit entries: %d, want 1", len(trail))
		}
	}},
	{"UnknownSession", func(t *testing.T, st Store) {
		ctx := t.Context()
		a := newTenant(t, st, "a")
		s := newSession(a, base) // never stored
		_, err := st.Document(ctx, a.ID, s.ID, signing.DocumentOriginal)
		wantErr(t, "Document(unknown)", err, signing.ErrNotFound)
		_, err = st.AuditTrail(ctx, a.ID, s.ID)
		wantErr(t, "AuditTrail(unknown)", err, signing.ErrNotFound)
		err = st.UpdateSession(ctx, signing.Change{Session: s, ExpectVersion: 1})
		wantErr(t, "UpdateSession(unknown)", err, signing.ErrNotFound)
	}},
}
