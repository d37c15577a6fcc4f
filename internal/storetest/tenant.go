package storetest

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

var tenantTests = []test{
	{"CreateAndRead", func(t *testing.T, st Store) {
		ctx := t.Context()
		if n, err := st.CountTenants(ctx); err != nil || n != 0 {
			t.Fatalf("CountTenants on a new store = %d, %v; want 0", n, err)
		}
		a := newTenant(t, st, "acme")
		if a.ID == "" || a.Name != "acme" || a.CreatedAt.IsZero() || a.CreatedAt.Location() != time.UTC {
			t.Errorf("CreateTenant = %+v, want an id, the name and a UTC creation time", a)
		}
		got, err := st.TenantByID(ctx, a.ID)
		if err != nil || got.ID != a.ID || got.Name != a.Name || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("TenantByID = %+v, %v; want %+v", got, err, a)
		}
		if again := newTenant(t, st, "acme"); again.ID != a.ID || !again.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("CreateTenant of an existing name = %+v, want %+v", again, a)
		}
		b := newTenant(t, st, "globex")
		if b.ID == a.ID {
			t.Errorf("two names share id %s", a.ID)
		}
		if n, err := st.CountTenants(ctx); err != nil || n != 2 {
			t.Errorf("CountTenants = %d, %v; want 2", n, err)
		}
		_, err = st.TenantByID(ctx, "00000000-0000-4000-8000-000000000000")
		wantErr(t, "TenantByID(unknown)", err, signing.ErrNotFound)
	}},
	{"CreateConcurrently", func(t *testing.T, st Store) {
		var got [racers]signing.Tenant
		var errs [racers]error
		race(racers, func(i int) { got[i], errs[i] = st.CreateTenant(t.Context(), "default") })
		for i := range racers {
			if errs[i] != nil {
				t.Fatalf("CreateTenant #%d: %v", i, errs[i])
			}
			if got[i].ID != got[0].ID {
				t.Errorf("CreateTenant #%d = %s, #0 = %s: want one tenant", i, got[i].ID, got[0].ID)
			}
		}
		if n, err := st.CountTenants(t.Context()); err != nil || n != 1 {
			t.Errorf("CountTenants = %d, %v; want 1", n, err)
		}
	}},
	{"Ping", func(t *testing.T, st Store) {
		if err := st.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	}},
}

var authTests = []test{
	{"APIKeys", func(t *testing.T, st Store) {
		ctx := t.Context()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		for _, k := range []struct{ tenant, hash string }{{a.ID, "hash-a1"}, {a.ID, "hash-a2"}, {b.ID, "hash-b"}} {
			if err := st.CreateAPIKey(ctx, k.tenant, k.hash); err != nil {
				t.Fatalf("CreateAPIKey(%s): %v", k.hash, err)
			}
		}
		for hash, want := range map[string]signing.Tenant{"hash-a1": a, "hash-a2": a, "hash-b": b} {
			got, err := st.TenantByAPIKey(ctx, hash)
			if err != nil || got.ID != want.ID || got.Name != want.Name {
				t.Errorf("TenantByAPIKey(%s) = %+v, %v; want %+v", hash, got, err, want)
			}
		}
		_, err := st.TenantByAPIKey(ctx, "hash-unknown")
		wantErr(t, "TenantByAPIKey(unknown)", err, signing.ErrNotFound)
		wantErr(t, "CreateAPIKey(duplicate hash)", st.CreateAPIKey(ctx, b.ID, "hash-a1"), signing.ErrConflict)
		if got, _ := st.TenantByAPIKey(ctx, "hash-a1"); got.ID != a.ID {
			t.Errorf("a duplicate key moved hash-a1 to tenant %s", got.ID)
		}
	}},
	{"RefreshTokens", func(t *testing.T, st Store) {
		ctx := t.Context()
		a := newTenant(t, st, "a")
		exp := base.Add(time.Hour)
		for _, h := range []string{"rt-1", "rt-2", "rt-3"} {
			if err := st.CreateRefreshToken(ctx, a.ID, h, exp); err != nil {
				t.Fatalf("CreateRefreshToken(%s): %v", h, err)
			}
		}
		tests := []struct {
			name, hash string
			now        time.Time
			want       error
		}{
			{"valid", "rt-1", base, nil},
			{"used", "rt-1", base, signing.ErrNotFound},
			{"last microsecond", "rt-2", exp.Add(-time.Microsecond), nil},
			{"at expiry", "rt-3", exp, signing.ErrNotFound},
			{"unknown", "rt-x", base, signing.ErrNotFound},
		}
		for _, tt := range tests {
			got, err := st.ConsumeRefreshToken(ctx, tt.hash, tt.now)
			if tt.want != nil {
				wantErr(t, tt.name, err, tt.want)
				continue
			}
			if err != nil || got != a.ID {
				t.Errorf("%s: ConsumeRefreshToken = %q, %v; want %q", tt.name, got, err, a.ID)
			}
		}
	}},
	{"RefreshTokenSingleUse", func(t *testing.T, st Store) {
		a := newTenant(t, st, "a")
		if err := st.CreateRefreshToken(t.Context(), a.ID, "rt", base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		race(racers, func(i int) {
			got, err := st.ConsumeRefreshToken(t.Context(), "rt", base)
			switch {
			case err == nil && got == a.ID:
				wins.Add(1)
			case err == nil:
				t.Errorf("ConsumeRefreshToken = %q, want %q", got, a.ID)
			default:
				wantErr(t, "losing ConsumeRefreshToken", err, signing.ErrNotFound)
			}
		})
		if n := wins.Load(); n != 1 {
			t.Errorf("%d of %d consumers got the token, want exactly 1", n, racers)
		}
	}},
	{"Secret", func(t *testing.T, st Store) {
		ctx := t.Context()
		gen := func(v string) func() []byte { return func() []byte { return []byte(v) } }
		first, err := st.Secret(ctx, "jwt", gen("one"))
		if err != nil || string(first) != "one" {
			t.Fatalf("Secret(jwt) = %q, %v; want the generated %q", first, err, "one")
		}
		again, err := st.Secret(ctx, "jwt", gen("two"))
		if err != nil || !bytes.Equal(again, first) {
			t.Errorf("Secret(jwt) again = %q, %v; want the stored %q", again, err, first)
		}
		other, err := st.Secret(ctx, "csrf", gen("three"))
		if err != nil || string(other) != "three" {
			t.Errorf("Secret(csrf) = %q, %v; want its own %q", other, err, "three")
		}
	}},
	{"SecretConcurrently", func(t *testing.T, st Store) {
		var got [racers][]byte
		race(racers, func(i int) {
			v, err := st.Secret(t.Context(), "shared", func() []byte { return fmt.Appendf(nil, "secret-%d", i) })
			if err != nil {
				t.Errorf("Secret #%d: %v", i, err)
			}
			got[i] = v
		})
		for i := range racers {
			if len(got[i]) == 0 || !bytes.Equal(got[i], got[0]) {
				t.Errorf("Secret #%d = %q, #0 = %q: want one shared value", i, got[i], got[0])
			}
		}
	}},
}
