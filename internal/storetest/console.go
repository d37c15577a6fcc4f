package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
)

// ConsoleStore is a whole store with the methods of the operator console
// (CONTRACT.md §9): API keys by id, operators and their sessions, the
// record of wrong passwords, and the console's reads across tenants.
type ConsoleStore interface {
	Store
	auth.KeyStore
	auth.RevokeStore
	auth.UsageStore
	auth.OperatorStore
	APIKeyByHash(ctx context.Context, keyHash string) (auth.APIKey, error)
	APIKeyByID(ctx context.Context, id string) (auth.APIKey, error)
	APIKeys(ctx context.Context, tenantID string) ([]auth.APIKey, error)

	Tenants(ctx context.Context) ([]signing.Tenant, error)
	AllSessions(ctx context.Context, tenantID string, f signing.ListFilter) ([]*signing.Session, bool, error)
	AllEndpoints(ctx context.Context, tenantID string) ([]signing.Endpoint, error)
	EndpointByID(ctx context.Context, id string) (signing.Endpoint, error)
	AttemptsAfter(ctx context.Context, tenantID, endpointID string, limit int, after *signing.Cursor) ([]signing.Attempt, bool, error)
	RecentEntries(ctx context.Context, eventType, provider string, limit int) ([]signing.AuditEntry, error)
}

type consoleTest struct {
	name string
	run  func(t *testing.T, st ConsoleStore)
}

// RunConsole runs the console's part of the suite; newStore is as for Run.
//
// Beyond the methods' doc comments it pins down: APIKeys and
// AllSessions/AllEndpoints list every tenant for an empty tenant id;
// revocation keeps the first RevokedAt; TouchAPIKeys and
// TouchOperatorSession never move a time backwards.
func RunConsole(t *testing.T, newStore func(t *testing.T) ConsoleStore) {
	tests := []consoleTest{
		{"APIKeys", testAPIKeys},
		{"Revoke", testRevoke},
		{"KeyUse", testKeyUse},
		{"Operators", testOperators},
		{"OperatorSessions", testOperatorSessions},
		{"LoginFailures", testLoginFailures},
		{"LoginFailuresConcurrently", testLoginFailuresConcurrently},
		{"Tenants", testTenants},
		{"AllSessions", testAllSessions},
		{"AllEndpoints", testAllEndpoints},
		{"AttemptsAfter", testAttemptsAfter},
		{"RecentEntries", testRecentEntries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}

// newKey stores a key of tenant made at c, with a hash derived from its id.
func newKey(t *testing.T, st ConsoleStore, tenant signing.Tenant, prefix string, c time.Time) auth.APIKey {
	t.Helper()
	k := auth.APIKey{ID: auth.NewKeyID(), Tenant: tenant, Prefix: prefix, CreatedAt: c}
	if err := st.InsertAPIKey(t.Context(), k, "hash-"+k.ID); err != nil {
		t.Fatalf("InsertAPIKey(%s): %v", prefix, err)
	}
	return k
}

// checkKey compares a key read back with the one stored.
func checkKey(t *testing.T, what string, got, want auth.APIKey) {
	t.Helper()
	if got.ID != want.ID || got.Prefix != want.Prefix || got.Tenant.ID != want.Tenant.ID || got.Tenant.Name != want.Tenant.Name {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+" Tenant.CreatedAt", got.Tenant.CreatedAt, want.Tenant.CreatedAt)
	checkOptTime(t, what+" LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	checkOptTime(t, what+" RevokedAt", got.RevokedAt, want.RevokedAt)
}

func keyIDs(list []auth.APIKey) []string {
	out := []string{}
	for _, k := range list {
		out = append(out, k.ID)
	}
	return out
}

func testAPIKeys(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
	a1 := newKey(t, st, a, "a1aaaaaa", base)
	a2 := newKey(t, st, a, "a2aaaaaa", base.Add(time.Second))
	b1 := newKey(t, st, b, "b1bbbbbb", base.Add(2*time.Second))

	got, err := st.APIKeyByHash(ctx, "hash-"+a1.ID)
	if err != nil {
		t.Fatalf("APIKeyByHash: %v", err)
	}
	checkKey(t, "APIKeyByHash", got, a1)
	if got, err = st.APIKeyByID(ctx, b1.ID); err != nil {
		t.Fatalf("APIKeyByID: %v", err)
	}
	checkKey(t, "APIKeyByID", got, b1)
	_, err = st.APIKeyByHash(ctx, "hash-unknown")
	wantErr(t, "APIKeyByHash(unknown)", err, signing.ErrNotFound)
	_, err = st.APIKeyByID(ctx, auth.NewKeyID())
	wantErr(t, "APIKeyByID(unknown)", err, signing.ErrNotFound)

	for _, tt := range []struct {
		tenant string
		want   []string
	}{
		{a.ID, []string{a2.ID, a1.ID}},
		{b.ID, []string{b1.ID}},
		{"", []string{b1.ID, a2.ID, a1.ID}},
		{"no-such-tenant", []string{}},
	} {
		list, err := st.APIKeys(ctx, tt.tenant)
		if err != nil || !slices.Equal(keyIDs(list), tt.want) {
			t.Errorf("APIKeys(%q) = %v, %v; want %v newest first", tt.tenant, keyIDs(list), err, tt.want)
		}
	}

	wantErr(t, "InsertAPIKey(same hash)", st.InsertAPIKey(ctx,
		auth.APIKey{ID: auth.NewKeyID(), Tenant: a, CreatedAt: base}, "hash-"+a1.ID), signing.ErrConflict)
	wantErr(t, "InsertAPIKey(same id)", st.InsertAPIKey(ctx,
		auth.APIKey{ID: a1.ID, Tenant: a, CreatedAt: base}, "hash-other"), signing.ErrConflict)
	wantErr(t, "InsertAPIKey(no tenant)", st.InsertAPIKey(ctx,
		auth.APIKey{ID: auth.NewKeyID(), Tenant: signing.Tenant{ID: "no-such-tenant"}, CreatedAt: base}, "hash-x"), signing.ErrNotFound)

	// The older CreateAPIKey gives its key an id too, so that it can be
	// listed and revoked.
	if err := st.CreateAPIKey(ctx, b.ID, "hash-old-style"); err != nil {
		t.Fatal(err)
	}
	old, err := st.APIKeyByHash(ctx, "hash-old-style")
	if err != nil || !auth.ValidKeyID(old.ID) || old.Prefix != "" || old.Tenant.ID != b.ID {
		t.Errorf("a key from CreateAPIKey = %+v, %v; want a key id, no prefix, tenant b", old, err)
	}
}

func testRevoke(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	a := newTenant(t, st, "a")
	k := newKey(t, st, a, "kkkkkkkk", base)
	other := newKey(t, st, a, "oooooooo", base)
	if err := st.CreateAPIKey(ctx, a.ID, "hash-plain"); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Hour)
	got, err := st.RevokeAPIKey(ctx, k.ID, at)
	if err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	want := k
	want.RevokedAt = &at
	checkKey(t, "RevokeAPIKey", got, want)

	// A revoked key authenticates nothing, but can still be read.
	_, err = st.APIKeyByHash(ctx, "hash-"+k.ID)
	wantErr(t, "APIKeyByHash(revoked)", err, signing.ErrNotFound)
	_, err = st.TenantByAPIKey(ctx, "hash-"+k.ID)
	wantErr(t, "TenantByAPIKey(revoked)", err, signing.ErrNotFound)
	if got, err := st.APIKeyByID(ctx, k.ID); err != nil {
		t.Errorf("APIKeyByID(revoked): %v", err)
	} else {
		checkKey(t, "APIKeyByID(revoked)", got, want)
	}
	if _, err := st.APIKeyByHash(ctx, "hash-"+other.ID); err != nil {
		t.Errorf("revoking one key broke another: %v", err)
	}
	if _, err := st.TenantByAPIKey(ctx, "hash-plain"); err != nil {
		t.Errorf("revoking one key broke a key from CreateAPIKey: %v", err)
	}

	// Revoking again keeps the first time.
	again, err := st.RevokeAPIKey(ctx, k.ID, at.Add(time.Hour))
	if err != nil {
		t.Fatalf("RevokeAPIKey again: %v", err)
	}
	checkOptTime(t, "RevokedAt after a second revocation", again.RevokedAt, &at)
	_, err = st.RevokeAPIKey(ctx, auth.NewKeyID(), at)
	wantErr(t, "RevokeAPIKey(unknown)", err, signing.ErrNotFound)
}

func testKeyUse(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	a := newTenant(t, st, "a")
	k1, k2 := newKey(t, st, a, "11111111", base), newKey(t, st, a, "22222222", base)
	t1, t2 := base.Add(time.Minute), base.Add(2*time.Minute)
	if err := st.TouchAPIKeys(ctx, map[string]time.Time{k1.ID: t2, k2.ID: t1, auth.NewKeyID(): t1}); err != nil {
		t.Fatalf("TouchAPIKeys: %v", err)
	}
	// An older time (another replica's late write) never moves it back.
	if err := st.TouchAPIKeys(ctx, map[string]time.Time{k1.ID: t1}); err != nil {
		t.Fatalf("TouchAPIKeys(older): %v", err)
	}
	if err := st.TouchAPIKeys(ctx, nil); err != nil {
		t.Errorf("TouchAPIKeys(nothing): %v", err)
	}
	for id, want := range map[string]time.Time{k1.ID: t2, k2.ID: t1} {
		got, err := st.APIKeyByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		checkOptTime(t, "LastUsedAt", got.LastUsedAt, &want)
	}
}

func newOperator(t *testing.T, st ConsoleStore, email string) auth.Operator {
	t.Helper()
	op := auth.Operator{ID: "op_" + email, Email: email, PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$a2V5", CreatedAt: base}
	if err := st.CreateOperator(t.Context(), op); err != nil {
		t.Fatalf("CreateOperator(%s): %v", email, err)
	}
	return op
}

func testOperators(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	op := newOperator(t, st, "ops@example.com")
	got, err := st.OperatorByEmail(ctx, "ops@example.com")
	if err != nil || got.ID != op.ID || got.Email != op.Email || got.PasswordHash != op.PasswordHash {
		t.Errorf("OperatorByEmail = %+v, %v; want %+v", got, err, op)
	}
	checkTime(t, "operator CreatedAt", got.CreatedAt, op.CreatedAt)
	_, err = st.OperatorByEmail(ctx, "nobody@example.com")
	wantErr(t, "OperatorByEmail(unknown)", err, signing.ErrNotFound)
	dup := op
	dup.ID = "op_other"
	wantErr(t, "CreateOperator(same e-mail)", st.CreateOperator(ctx, dup), signing.ErrConflict)
	bad := auth.Operator{ID: "op_upper", Email: "Ops@Example.com", PasswordHash: "x", CreatedAt: base}
	wantErr(t, "CreateOperator(upper-case e-mail)", st.CreateOperator(ctx, bad), signing.ErrInvalid)
}

func testOperatorSessions(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	op := newOperator(t, st, "ops@example.com")
	s := auth.OperatorSession{ID: "sess-1", Operator: op, CreatedAt: base, LastSeenAt: base, ExpiresAt: base.Add(12 * time.Hour)}
	if err := st.CreateOperatorSession(ctx, s); err != nil {
		t.Fatalf("CreateOperatorSession: %v", err)
	}
	later := s
	later.ID, later.ExpiresAt = "sess-2", base.Add(24*time.Hour)
	if err := st.CreateOperatorSession(ctx, later); err != nil {
		t.Fatal(err)
	}
	got, err := st.OperatorSession(ctx, s.ID)
	if err != nil {
		t.Fatalf("OperatorSession: %v", err)
	}
	if got.ID != s.ID || got.Operator.ID != op.ID || got.Operator.Email != op.Email || got.Operator.PasswordHash != "" {
		t.Errorf("OperatorSession = %+v; want its operator without the password hash", got)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, s.CreatedAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, s.ExpiresAt)

	seen := base.Add(5 * time.Minute)
	for _, at := range []time.Time{seen, base.Add(time.Minute)} { // the second would go back
		if err := st.TouchOperatorSession(ctx, s.ID, at); err != nil {
			t.Fatalf("TouchOperatorSession: %v", err)
		}
	}
	got, _ = st.OperatorSession(ctx, s.ID)
	checkTime(t, "LastSeenAt", got.LastSeenAt, seen)

	orphan := auth.OperatorSession{ID: "sess-orphan", Operator: auth.Operator{ID: "op_nobody"}, CreatedAt: base, LastSeenAt: base, ExpiresAt: base}
	wantErr(t, "CreateOperatorSession(unknown operator)", st.CreateOperatorSession(ctx, orphan), signing.ErrNotFound)
	wantErr(t, "CreateOperatorSession(same id)", st.CreateOperatorSession(ctx, s), signing.ErrConflict)

	// Expired sessions go; ExpiresAt at the cut-off stays.
	n, err := st.DeleteOperatorSessionsBefore(ctx, s.ExpiresAt.Add(time.Microsecond))
	if err != nil || n != 1 {
		t.Errorf("DeleteOperatorSessionsBefore = %d, %v; want 1", n, err)
	}
	_, err = st.OperatorSession(ctx, s.ID)
	wantErr(t, "OperatorSession(deleted)", err, signing.ErrNotFound)
	if err := st.DeleteOperatorSession(ctx, later.ID); err != nil {
		t.Fatalf("DeleteOperatorSession: %v", err)
	}
	_, err = st.OperatorSession(ctx, later.ID)
	wantErr(t, "OperatorSession(signed out)", err, signing.ErrNotFound)
	if err := st.DeleteOperatorSession(ctx, later.ID); err != nil {
		t.Errorf("DeleteOperatorSession(missing) = %v, want nil", err)
	}
}

func testLoginFailures(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	const window = time.Hour
	record := func(key string, at time.Time, want int) {
		t.Helper()
		n, err := st.RecordLoginFailure(ctx, key, at, window)
		if err != nil || n != want {
			t.Errorf("RecordLoginFailure(%s, +%v) = %d, %v; want %d", key, at.Sub(base), n, err, want)
		}
	}
	record("email:a@example.com", base, 1)
	record("email:a@example.com", base.Add(time.Minute), 2)
	record("ip:192.0.2.1", base.Add(time.Minute), 1)
	record("email:a@example.com", base.Add(time.Minute+window-time.Microsecond), 3)
	record("ip:192.0.2.1", base.Add(time.Minute+window), 1) // a quiet window starts over

	list, err := st.LoginFailures(ctx, []string{"email:a@example.com", "ip:192.0.2.1", "email:none@example.com"})
	if err != nil {
		t.Fatalf("LoginFailures: %v", err)
	}
	got := map[string]auth.LoginFailures{}
	for _, f := range list {
		got[f.Key] = f
	}
	if len(got) != 2 || got["email:a@example.com"].Failures != 3 || got["ip:192.0.2.1"].Failures != 1 {
		t.Errorf("LoginFailures = %+v; want a@example.com with 3, 192.0.2.1 with 1", list)
	}
	checkTime(t, "Last", got["email:a@example.com"].Last, base.Add(time.Minute+window-time.Microsecond))

	if err := st.ClearLoginFailures(ctx, "email:a@example.com"); err != nil {
		t.Fatalf("ClearLoginFailures: %v", err)
	}
	record("email:a@example.com", base.Add(2*window), 1)
	n, err := st.DeleteLoginFailuresBefore(ctx, base.Add(2*window))
	if err != nil || n != 1 {
		t.Errorf("DeleteLoginFailuresBefore = %d, %v; want 1 (the address's record)", n, err)
	}
	if list, err := st.LoginFailures(ctx, []string{"ip:192.0.2.1"}); err != nil || len(list) != 0 {
		t.Errorf("after DeleteLoginFailuresBefore: %+v, %v", list, err)
	}
}

func testLoginFailuresConcurrently(t *testing.T, st ConsoleStore) {
	var max atomic.Int64
	race(racers, func(int) {
		n, err := st.RecordLoginFailure(t.Context(), "email:x@example.com", base, time.Hour)
		if err != nil {
			t.Errorf("RecordLoginFailure: %v", err)
		}
		for {
			m := max.Load()
			if int64(n) <= m || max.CompareAndSwap(m, int64(n)) {
				break
			}
		}
	})
	if got := max.Load(); got != racers {
		t.Errorf("%d concurrent failures counted up to %d", racers, got)
	}
}

func testTenants(t *testing.T, st ConsoleStore) {
	list, err := st.Tenants(t.Context())
	if err != nil || len(list) != 0 {
		t.Errorf("Tenants of a new store = %v, %v", list, err)
	}
	b, a := newTenant(t, st, "beta"), newTenant(t, st, "Alpha")
	list, err = st.Tenants(t.Context())
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Errorf("Tenants = %+v, %v; want Alpha, beta (byte order)", list, err)
	}
	checkTime(t, "Tenants CreatedAt", list[0].CreatedAt, a.CreatedAt)
}

func testAllSessions(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
	var all []*signing.Session // newest first
	for i := range 7 {
		tn := []signing.Tenant{a, b}[i%2]
		s := newSession(tn, base.Add(time.Duration(i)*time.Minute))
		s.OrderID = fmt.Sprintf("order-%d", i%3)
		s.Provider = []string{"signzy", "bankid"}[i%2]
		if i == 5 {
			s.Status = signing.StatusInProgress
		}
		create(t, st, s)
		all = append([]*signing.Session{s}, all...)
	}
	for _, tt := range []struct {
		name   string
		tenant string
		f      signing.ListFilter
	}{
		{"every tenant", "", signing.ListFilter{}},
		{"one tenant", b.ID, signing.ListFilter{}},
		{"order", "", signing.ListFilter{OrderID: "order-1"}},
		{"status", "", signing.ListFilter{Status: signing.StatusInProgress}},
		{"provider", "", signing.ListFilter{Provider: "bankid"}},
		{"order and provider", "", signing.ListFilter{OrderID: "order-0", Provider: "signzy"}},
	} {
		var want []*signing.Session
		for _, s := range filterSessions(all, tt.f) {
			if tt.tenant == "" || s.TenantID == tt.tenant {
				want = append(want, s)
			}
		}
		// Page by two, following the cursor.
		var got []*signing.Session
		f := tt.f
		f.Limit = 2
		for range 10 {
			page, more, err := st.AllSessions(ctx, tt.tenant, f)
			if err != nil {
				t.Fatalf("%s: AllSessions: %v", tt.name, err)
			}
			got = append(got, page...)
			if !more {
				break
			}
			last := page[len(page)-1]
			f.After = &signing.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("%s: AllSessions pages = %v, want %v", tt.name, ids(got), ids(want))
		}
	}
	_, _, err := st.AllSessions(ctx, "", signing.ListFilter{})
	wantErr(t, "AllSessions(limit 0)", err, signing.ErrInvalid)
	if got := mustAll(t, st, signing.ListFilter{Limit: 1}); len(got) != 1 {
		t.Fatal("no session")
	} else {
		checkSession(t, got[0], all[0])
	}
}

func mustAll(t *testing.T, st ConsoleStore, f signing.ListFilter) []*signing.Session {
	t.Helper()
	list, _, err := st.AllSessions(t.Context(), "", f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func testAllEndpoints(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	h := newHooks(t, st)
	a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
	h.endpoint(a, "ep_a1", base)
	h.endpoint(b, "ep_b1", base.Add(time.Second))
	h.endpoint(a, "ep_a2", base.Add(2*time.Second), signing.EventCompleted)
	epIDs := func(list []signing.Endpoint) []string {
		out := []string{}
		for _, e := range list {
			out = append(out, e.ID)
		}
		return out
	}
	for tenant, want := range map[string][]string{"": {"ep_a2", "ep_b1", "ep_a1"}, a.ID: {"ep_a2", "ep_a1"}} {
		list, err := st.AllEndpoints(ctx, tenant)
		if err != nil || !slices.Equal(epIDs(list), want) {
			t.Errorf("AllEndpoints(%q) = %v, %v; want %v", tenant, epIDs(list), err, want)
		}
	}
	e, err := st.EndpointByID(ctx, "ep_b1")
	if err != nil || e.TenantID != b.ID || e.URL != newEndpoint(b, "ep_b1", base).URL {
		t.Errorf("EndpointByID = %+v, %v", e, err)
	}
	_, err = st.EndpointByID(ctx, "ep_none")
	wantErr(t, "EndpointByID(unknown)", err, signing.ErrNotFound)
}

func testAttemptsAfter(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	h := newHooks(t, st)
	a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
	h.endpoint(a, "ep", base)
	var sessions []string
	for i := range 5 {
		h.session(a, fmt.Sprintf("s%d", i), base.Add(time.Duration(i)*time.Second))
		sessions = append(sessions, fmt.Sprintf("ep/s%d/created", i))
	}
	d := byLabel(h, h.claimSet(base.Add(time.Minute), sessions...))
	// Five attempts, two at the same instant (the id breaks the tie).
	var results []signing.AttemptResult
	for i := range 5 {
		at := base.Add(time.Duration(min(i, 3)) * time.Second)
		results = append(results, succeeded(d[sessions[i]], at))
	}
	h.record(results...)
	all, err := st.Attempts(ctx, a.ID, "ep", 100)
	if err != nil || len(all) != 5 {
		t.Fatalf("Attempts = %d, %v", len(all), err)
	}
	for _, limit := range []int{1, 2, 5, 6} {
		var got []signing.Attempt
		var after *signing.Cursor
		for range 10 {
			page, more, err := st.AttemptsAfter(ctx, a.ID, "ep", limit, after)
			if err != nil {
				t.Fatalf("AttemptsAfter(limit %d): %v", limit, err)
			}
			if len(page) > limit {
				t.Errorf("AttemptsAfter(limit %d) gave %d", limit, len(page))
			}
			got = append(got, page...)
			if !more {
				break
			}
			last := page[len(page)-1]
			after = &signing.Cursor{CreatedAt: last.AttemptedAt, ID: last.ID}
		}
		checkAttempts(t, got, all)
	}
	_, _, err = st.AttemptsAfter(ctx, b.ID, "ep", 10, nil)
	wantErr(t, "AttemptsAfter(another tenant's endpoint)", err, signing.ErrNotFound)
	_, _, err = st.AttemptsAfter(ctx, a.ID, "ep", 0, nil)
	wantErr(t, "AttemptsAfter(limit 0)", err, signing.ErrInvalid)
}

func testRecentEntries(t *testing.T, st ConsoleStore) {
	ctx := t.Context()
	a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
	errEntry := func(s *signing.Session, detail string, c time.Time) signing.Change {
		n := s.Clone()
		n.UpdatedAt = c
		return signing.Change{Session: n, ExpectVersion: s.Version, Entries: []signing.AuditEntry{
			{Type: signing.EventProviderError, Detail: detail, CreatedAt: c},
			{Type: signing.EventProviderCallback, Detail: "not an error", CreatedAt: c},
		}}
	}
	var want []string // newest first
	for i, tn := range []signing.Tenant{a, b, a} {
		s := create(t, st, newSession(tn, base))
		c := errEntry(s, fmt.Sprintf("timeout %d", i), base.Add(time.Duration(i)*time.Second))
		if err := st.UpdateSession(ctx, c); err != nil {
			t.Fatal(err)
		}
		want = append([]string{c.Entries[0].Detail}, want...)
	}
	other := newSession(a, base)
	other.Provider = "bankid"
	other = create(t, st, other)
	if err := st.UpdateSession(ctx, errEntry(other, "bankid down", base)); err != nil {
		t.Fatal(err)
	}
	got, err := st.RecentEntries(ctx, signing.EventProviderError, "signzy", 2)
	if err != nil {
		t.Fatalf("RecentEntries: %v", err)
	}
	var details []string
	for _, e := range got {
		details = append(details, e.Detail)
		if e.Type != signing.EventProviderError || e.SessionID == "" || e.TenantID == "" {
			t.Errorf("RecentEntries entry %+v", e)
		}
	}
	if !slices.Equal(details, want[:2]) {
		t.Errorf("RecentEntries(signzy, 2) = %q, want %q", details, want[:2])
	}
	if got, err := st.RecentEntries(ctx, signing.EventProviderError, "digio", 5); err != nil || len(got) != 0 {
		t.Errorf("RecentEntries(digio) = %+v, %v; want none", got, err)
	}
}
