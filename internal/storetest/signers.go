package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/signing"
)

// withLinks gives every signer of s a link hash of its own.
func withLinks(s *signing.Session) *signing.Session {
	for i := range s.Signers {
		s.Signers[i].LinkHash = "link-" + s.Signers[i].ID
	}
	return s
}

var signerTests = []test{
	{"LinkFindsTheSignerInAnyTenant", func(t *testing.T, st Store) {
		ctx := t.Context()
		acme, other := newTenant(t, st, "acme"), newTenant(t, st, "other")
		s := newSession(acme, base)
		s.Signers = append(s.Signers, signing.Signer{ID: "sgn_" + uuid.NewString(), Details: []byte(`{"name":"B"}`), Status: signing.SignerWaiting})
		create(t, st, withLinks(s))
		create(t, st, withLinks(newSession(other, base)))
		for _, sg := range s.Signers {
			got, signerID, err := st.SessionBySignerLink(ctx, sg.LinkHash)
			if err != nil || signerID != sg.ID || got.ID != s.ID || got.TenantID != acme.ID {
				t.Fatalf("SessionBySignerLink(%s) = %v, %q, %v; want session %s, signer %s", sg.LinkHash, got, signerID, err, s.ID, sg.ID)
			}
			checkSession(t, got, s)
		}
		if _, _, err := st.SessionBySignerLink(ctx, "unknown"); !errors.Is(err, signing.ErrNotFound) {
			t.Errorf("unknown link: %v, want ErrNotFound", err)
		}
	}},
	{"LinksAreUnique", func(t *testing.T, st Store) {
		ctx := t.Context()
		tenant := newTenant(t, st, "acme")
		a := create(t, st, withLinks(newSession(tenant, base)))
		b := newSession(tenant, base)
		b.Signers[0].LinkHash = a.Signers[0].LinkHash
		if err := st.CreateSession(ctx, b, originalOf(b), nil); !errors.Is(err, signing.ErrConflict) {
			t.Errorf("a second session with the same link hash: %v, want ErrConflict", err)
		}
		if _, err := st.Session(ctx, tenant.ID, b.ID); !errors.Is(err, signing.ErrNotFound) {
			t.Errorf("the refused session was stored: %v", err)
		}
	}},
	{"BackfillOfMissingLinks", func(t *testing.T, st Store) {
		ctx := t.Context()
		tenant := newTenant(t, st, "acme")
		linked := create(t, st, withLinks(newSession(tenant, base)))
		bare := create(t, st, newSession(tenant, base)) // no LinkHash, as migrated sessions are
		missing, err := st.SignersWithoutLinks(ctx, 10)
		if err != nil || len(missing) != 1 || missing[0].SessionID != bare.ID || missing[0].SignerID != bare.Signers[0].ID {
			t.Fatalf("SignersWithoutLinks = %+v, %v; want the one signer of %s", missing, err, bare.ID)
		}
		missing[0].TokenHash = "backfilled"
		for range 2 { // indexing again leaves it as it is
			if err := st.AddSignerLinks(ctx, missing); err != nil {
				t.Fatalf("AddSignerLinks: %v", err)
			}
		}
		if got, signerID, err := st.SessionBySignerLink(ctx, "backfilled"); err != nil || got.ID != bare.ID || signerID != bare.Signers[0].ID {
			t.Errorf("backfilled link: %v, %q, %v", got, signerID, err)
		}
		if left, err := st.SignersWithoutLinks(ctx, 10); err != nil || len(left) != 0 {
			t.Errorf("after the backfill, missing %+v, %v", left, err)
		}
		_ = linked
	}},
	{"ProviderCompletedNeverDueForExpiry", func(t *testing.T, st Store) {
		ctx := t.Context()
		tenant := newTenant(t, st, "acme")
		due := create(t, st, newSession(tenant, base))
		held := newSession(tenant, base)
		held.Status = signing.StatusInProgress
		held.ProviderCompletedAt = ptr(base.Add(time.Hour))
		create(t, st, held)
		list, err := st.DueForExpiry(ctx, base.Add(48*time.Hour), 10)
		if err != nil || len(list) != 1 || list[0].ID != due.ID {
			t.Errorf("DueForExpiry = %d sessions, %v; want only %s", len(list), err, due.ID)
		}
		b, err := st.DueBacklog(ctx, base.Add(48*time.Hour))
		if err != nil || b.DueExpiries != 1 {
			t.Errorf("DueBacklog expiries = %d, %v; want 1", b.DueExpiries, err)
		}
	}},
	{"EntriesNameTheirSigner", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := newSession(newTenant(t, st, "acme"), base)
		entries := []signing.AuditEntry{{Type: signing.EventCreated, ToStatus: signing.StatusPending, CreatedAt: base},
			{Type: signing.EventSignerOpened, SignerID: s.Signers[0].ID, CreatedAt: base}}
		if err := st.CreateSession(ctx, s, originalOf(s), entries); err != nil {
			t.Fatal(err)
		}
		trail, err := st.AuditTrail(ctx, s.TenantID, s.ID)
		if err != nil || len(trail) != 2 || trail[0].SignerID != "" || trail[1].SignerID != s.Signers[0].ID {
			t.Errorf("AuditTrail = %+v, %v; want the second entry to name signer %s", trail, err, s.Signers[0].ID)
		}
	}},
}
