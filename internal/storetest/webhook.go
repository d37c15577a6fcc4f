package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

type webhookTest struct {
	name string
	run  func(t *testing.T, st Store)
}

// RunWebhooks runs the webhook suite: endpoints, the transactional outbox
// (CreateSession and UpdateSession queue deliveries), the leased delivery
// queue, attempts and manual retries. Beyond the interface's doc comments
// it pins down these details:
//   - An audit entry with a non-empty Webhook queues one delivery per
//     endpoint of the session's tenant whose Events is empty or contains the
//     entry's Type: a fresh "msg_…" id, EventID = the stored entry's id,
//     Payload = Webhook byte for byte, pending, no attempts, CreatedAt and
//     NextAttemptAt = the entry's CreatedAt. Entries without a Webhook, stale
//     and failed writes queue nothing.
//   - Endpoints lists newest first by CreatedAt, then ID; Events empty reads
//     back as nil. CreateEndpoint answers ErrConflict for an existing id (of
//     any tenant) and ErrNotFound for an unknown tenant.
//   - ClaimDueDeliveries returns the deliveries in the order it took them
//     (NextAttemptAt, then ID) with NextAttemptAt = now+lease. An earlier
//     event blocks while it is pending with no attempt, also while leased.
//   - RecordAttempts numbers an attempt by its delivery's attempt count
//     including it, stores it under the delivery's endpoint and tenant,
//     gives it an "att_…" id if it has none, and skips deliveries that are
//     gone. A successful attempt with a NextAttemptAt still succeeds.
//   - Attempts lists newest first by AttemptedAt, then ID; EventType is the
//     delivery's. An empty Error or a zero ResponseStatus reads back as such.
//   - RetryDelivery keeps the attempt count and returns the delivery with
//     its endpoint's URL and secret.
//   - DeliveryBacklog counts leased and later-due deliveries as pending.
//   - DeleteRefreshTokensBefore deletes tokens with expiresAt strictly
//     before t.
//   - Limits below 1 and leases of zero are ErrInvalid.
//
// newStore is as for Run. breakOutbox must make every later insert of a
// delivery of the given event type into st fail inside the database (a
// trigger that raises, in SQLite as in PostgreSQL), so that the suite can
// fail a session write midway, after its other rows were written.
func RunWebhooks(t *testing.T, newStore func(t *testing.T) Store, breakOutbox func(t *testing.T, st Store, eventType string)) {
	if breakOutbox == nil {
		t.Fatal("RunWebhooks: breakOutbox is required")
	}
	groups := []struct {
		name  string
		tests []webhookTest
	}{
		{"Endpoint", endpointTests},
		{"Outbox", outboxTests(breakOutbox)},
		{"Claim", claimTests},
		{"Attempt", attemptTests},
		{"Maintenance", maintenanceTests},
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

// endpointMax is the endpoint limit the tests create with, where the
// limit is not what they test.
const endpointMax = 1000

// hookLease is the lease the tests claim with.
const hookLease = time.Minute

// hooks is a fixture: a store and the names of the sessions it created,
// so that deliveries can be described as "endpoint/session/type".
type hooks struct {
	t     *testing.T
	st    Store
	names map[string]string // session id → name
}

func newHooks(t *testing.T, st Store) *hooks {
	return &hooks{t: t, st: st, names: map[string]string{}}
}

// webhookBody is the webhook of an event; its odd spacing shows whether a
// store keeps the bytes exactly.
func webhookBody(sessionID, eventType string) json.RawMessage {
	return fmt.Appendf(nil, `{"type":%q,  "data": {"signingSessionId":%q}}`, eventType, sessionID)
}

func newEndpoint(tenant signing.Tenant, id string, c time.Time, events ...string) signing.Endpoint {
	return signing.Endpoint{
		ID:        id,
		TenantID:  tenant.ID,
		URL:       "https://hooks.example/" + id + "?q=1",
		Events:    events,
		Secret:    "whsec_c2VjcmV0LW9mLQ==" + id,
		CreatedAt: c,
	}
}

func (h *hooks) endpoint(tenant signing.Tenant, id string, c time.Time, events ...string) signing.Endpoint {
	h.t.Helper()
	e := newEndpoint(tenant, id, c, events...)
	if err := h.st.CreateEndpoint(h.t.Context(), e, endpointMax); err != nil {
		h.t.Fatalf("CreateEndpoint(%s): %v", id, err)
	}
	return e
}

// session creates a PENDING session named name at c, with its
// signing.created event.
func (h *hooks) session(tenant signing.Tenant, name string, c time.Time) *signing.Session {
	h.t.Helper()
	s := newSession(tenant, c)
	h.names[s.ID] = name
	e := createdEntry(s)
	e.Webhook = webhookBody(s.ID, e.Type)
	if err := h.st.CreateSession(h.t.Context(), s, originalOf(s), []signing.AuditEntry{e}); err != nil {
		h.t.Fatalf("CreateSession(%s): %v", name, err)
	}
	return s
}

// statusChange is the change that moves s to status to at c, with its event.
func statusChange(s *signing.Session, to signing.Status, c time.Time) signing.Change {
	n := s.Clone()
	n.Status, n.UpdatedAt = to, c
	typ := signing.StatusEventType(to)
	return signing.Change{Session: n, ExpectVersion: s.Version, Entries: []signing.AuditEntry{{
		Type: typ, FromStatus: s.Status, ToStatus: to, CreatedAt: c, Webhook: webhookBody(s.ID, typ),
	}}}
}

// move applies statusChange and returns the new session.
func (h *hooks) move(s *signing.Session, to signing.Status, c time.Time) *signing.Session {
	h.t.Helper()
	ch := statusChange(s, to, c)
	if err := h.st.UpdateSession(h.t.Context(), ch); err != nil {
		h.t.Fatalf("UpdateSession(%s → %s): %v", h.names[s.ID], to, err)
	}
	return ch.Session
}

func (h *hooks) claim(now time.Time, limit int) []signing.Delivery {
	h.t.Helper()
	list, err := h.st.ClaimDueDeliveries(h.t.Context(), now, hookLease, signing.DeliveryClaim{Limit: limit})
	if err != nil {
		h.t.Fatalf("ClaimDueDeliveries(%v): %v", now.Sub(base), err)
	}
	for _, d := range list {
		checkOptTime(h.t, "claimed NextAttemptAt", d.NextAttemptAt, ptr(now.Add(hookLease)))
	}
	return list
}

// claimWant claims everything due at now and compares the labels, in order.
func (h *hooks) claimWant(now time.Time, want ...string) []signing.Delivery {
	h.t.Helper()
	list := h.claim(now, 1000)
	if got := h.labels(list); !slices.Equal(got, want) {
		h.t.Fatalf("ClaimDueDeliveries(%v) = %v, want %v", now.Sub(base), got, want)
	}
	return list
}

// claimSet is claimWant ignoring the order.
func (h *hooks) claimSet(now time.Time, want ...string) []signing.Delivery {
	h.t.Helper()
	list := h.claim(now, 1000)
	got := h.labels(list)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		h.t.Fatalf("ClaimDueDeliveries(%v) = %v, want %v", now.Sub(base), got, want)
	}
	return list
}

func (h *hooks) label(d signing.Delivery) string {
	name, ok := h.names[d.SessionID]
	if !ok {
		name = "?" + d.SessionID
	}
	return d.EndpointID + "/" + name + "/" + strings.TrimPrefix(d.EventType, "signing.")
}

func (h *hooks) labels(list []signing.Delivery) []string {
	out := []string{}
	for _, d := range list {
		out = append(out, h.label(d))
	}
	return out
}

func (h *hooks) record(results ...signing.AttemptResult) {
	h.t.Helper()
	if err := h.st.RecordAttempts(h.t.Context(), results); err != nil {
		h.t.Fatalf("RecordAttempts: %v", err)
	}
}

// succeeded is a successful first-try attempt at d.
func succeeded(d signing.Delivery, c time.Time) signing.AttemptResult {
	return signing.AttemptResult{Attempt: signing.Attempt{DeliveryID: d.ID, EndpointID: d.EndpointID,
		TenantID: d.TenantID, EventType: d.EventType, Attempt: d.Attempts + 1, AttemptedAt: c,
		Succeeded: true, ResponseStatus: 204, DurationMs: 3}}
}

// failed is a failed attempt at d, retried at next (nil: never).
func failed(d signing.Delivery, c time.Time, next *time.Time) signing.AttemptResult {
	return signing.AttemptResult{Attempt: signing.Attempt{DeliveryID: d.ID, EndpointID: d.EndpointID,
		TenantID: d.TenantID, EventType: d.EventType, Attempt: d.Attempts + 1, AttemptedAt: c,
		ResponseStatus: 503, Error: "endpoint answered HTTP 503", DurationMs: 40}, NextAttemptAt: next}
}

// drain claims at now until nothing is due, recording each delivery as
// delivered, and returns everything it claimed in claim order.
func (h *hooks) drain(now time.Time) []signing.Delivery {
	h.t.Helper()
	var all []signing.Delivery
	for range 100 {
		list := h.claim(now, 1000)
		if len(list) == 0 {
			return all
		}
		var rs []signing.AttemptResult
		for _, d := range list {
			rs = append(rs, succeeded(d, now))
		}
		h.record(rs...)
		all = append(all, list...)
	}
	h.t.Fatal("drain: deliveries keep coming")
	return nil
}

func (h *hooks) drainSet(now time.Time, want ...string) []signing.Delivery {
	h.t.Helper()
	list := h.drain(now)
	got := h.labels(list)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		h.t.Fatalf("delivered %v, want %v", got, want)
	}
	return list
}

func (h *hooks) backlog(now time.Time, wantPending int, wantOldest time.Time) {
	h.t.Helper()
	n, oldest, err := h.st.DeliveryBacklog(h.t.Context(), now)
	if err != nil {
		h.t.Fatalf("DeliveryBacklog: %v", err)
	}
	if n != wantPending || !oldest.Equal(wantOldest) {
		h.t.Errorf("DeliveryBacklog(%v) = %d, %v; want %d, %v", now.Sub(base), n, oldest, wantPending, wantOldest)
	}
	if !oldest.IsZero() && oldest.Location() != time.UTC {
		h.t.Errorf("DeliveryBacklog oldest location = %v, want UTC", oldest.Location())
	}
}

func checkEndpoint(t *testing.T, got, want signing.Endpoint) {
	t.Helper()
	wantEvents := want.Events
	if len(wantEvents) == 0 {
		wantEvents = nil
	}
	if got.ID != want.ID || got.TenantID != want.TenantID || got.URL != want.URL || got.Secret != want.Secret ||
		!slices.Equal(got.Events, wantEvents) || (got.Events == nil) != (wantEvents == nil) {
		t.Errorf("endpoint = %+v, want %+v", got, want)
	}
	checkTime(t, "endpoint CreatedAt", got.CreatedAt, want.CreatedAt)
}

func endpointIDs(list []signing.Endpoint) []string {
	out := []string{}
	for _, e := range list {
		out = append(out, e.ID)
	}
	return out
}

var endpointTests = []webhookTest{
	{"CRUD", func(t *testing.T, st Store) {
		ctx := t.Context()
		h := newHooks(t, st)
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		e2 := h.endpoint(a, "ep-2", base.Add(time.Second), signing.EventCompleted, signing.EventFailed)
		e1 := h.endpoint(a, "ep-1", base)
		e3 := h.endpoint(a, "ep-3", base.Add(time.Second), []string{}...)
		eb := h.endpoint(b, "ep-b", base.Add(time.Hour))

		list, err := st.Endpoints(ctx, a.ID)
		if err != nil {
			t.Fatalf("Endpoints: %v", err)
		}
		if got := endpointIDs(list); !slices.Equal(got, []string{"ep-3", "ep-2", "ep-1"}) {
			t.Fatalf("Endpoints(a) = %v, want newest first, the id breaking ties: [ep-3 ep-2 ep-1]", got)
		}
		for i, want := range []signing.Endpoint{e3, e2, e1} {
			checkEndpoint(t, list[i], want)
		}
		for _, want := range []signing.Endpoint{e1, e2, e3} {
			got, err := st.Endpoint(ctx, a.ID, want.ID)
			if err != nil {
				t.Fatalf("Endpoint(%s): %v", want.ID, err)
			}
			checkEndpoint(t, got, want)
		}
		if list, err := st.Endpoints(ctx, b.ID); err != nil || len(list) != 1 {
			t.Errorf("Endpoints(b) = %v, %v; want [ep-b]", endpointIDs(list), err)
		}

		for _, dup := range []signing.Endpoint{newEndpoint(a, "ep-1", base), newEndpoint(b, "ep-2", base)} {
			dup.URL = "https://evil.example/"
			wantErr(t, "CreateEndpoint(existing id "+dup.ID+")", st.CreateEndpoint(ctx, dup, endpointMax), signing.ErrConflict)
		}
		if got, _ := st.Endpoint(ctx, a.ID, "ep-1"); got.URL != e1.URL {
			t.Errorf("a conflicting create changed ep-1's URL to %q", got.URL)
		}
		wantErr(t, "CreateEndpoint(unknown tenant)",
			st.CreateEndpoint(ctx, newEndpoint(signing.Tenant{ID: "no-such-tenant"}, "ep-x", base), endpointMax), signing.ErrNotFound)
		_, err = st.Endpoint(ctx, a.ID, "ep-x")
		wantErr(t, "Endpoint(unknown)", err, signing.ErrNotFound)

		if err := st.DeleteEndpoint(ctx, a.ID, "ep-2"); err != nil {
			t.Fatalf("DeleteEndpoint: %v", err)
		}
		wantErr(t, "DeleteEndpoint(again)", st.DeleteEndpoint(ctx, a.ID, "ep-2"), signing.ErrNotFound)
		_, err = st.Endpoint(ctx, a.ID, "ep-2")
		wantErr(t, "Endpoint(deleted)", err, signing.ErrNotFound)
		if list, _ := st.Endpoints(ctx, a.ID); !slices.Equal(endpointIDs(list), []string{"ep-3", "ep-1"}) {
			t.Errorf("Endpoints(a) after a delete = %v, want [ep-3 ep-1]", endpointIDs(list))
		}
		if got, err := st.Endpoint(ctx, b.ID, "ep-b"); err != nil {
			t.Errorf("Endpoint(b, ep-b): %v", err)
		} else {
			checkEndpoint(t, got, eb)
		}
	}},
	{"MaxPerTenantIsAtomic", func(t *testing.T, st Store) {
		ctx := t.Context()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		const max = 5
		var mu sync.Mutex
		created, refused := 0, 0
		race(racers, func(i int) {
			err := st.CreateEndpoint(ctx, newEndpoint(a, fmt.Sprintf("ep-%02d", i), base), max)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.Is(err, signing.ErrConflict):
				refused++
			default:
				t.Errorf("CreateEndpoint #%d: %v", i, err)
			}
		})
		if created != max || refused != racers-max {
			t.Errorf("%d concurrent creates with max %d: %d created, %d refused; want %d and %d",
				racers, max, created, refused, max, racers-max)
		}
		if list, err := st.Endpoints(ctx, a.ID); err != nil || len(list) != max {
			t.Errorf("Endpoints(a) = %d, %v; want %d", len(list), err, max)
		}
		// The limit is per tenant.
		if err := st.CreateEndpoint(ctx, newEndpoint(b, "ep-b", base), max); err != nil {
			t.Errorf("CreateEndpoint(other tenant): %v", err)
		}
		wantErr(t, "CreateEndpoint(max 0)", st.CreateEndpoint(ctx, newEndpoint(b, "ep-b2", base), 0), signing.ErrConflict)
	}},
	{"TenantIsolation", func(t *testing.T, st Store) {
		ctx := t.Context()
		h := newHooks(t, st)
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		h.endpoint(a, "ep-a", base)
		h.endpoint(b, "ep-b", base)
		h.session(a, "s", base)
		d := h.claimWant(base, "ep-a/s/created")
		h.record(failed(d[0], base, nil))
		atts, err := st.Attempts(ctx, a.ID, "ep-a", 10)
		if err != nil || len(atts) != 1 {
			t.Fatalf("Attempts(a, ep-a) = %v, %v; want one", atts, err)
		}

		_, err = st.Endpoint(ctx, b.ID, "ep-a")
		wantErr(t, "Endpoint(other tenant)", err, signing.ErrNotFound)
		wantErr(t, "DeleteEndpoint(other tenant)", st.DeleteEndpoint(ctx, b.ID, "ep-a"), signing.ErrNotFound)
		if _, err := st.Endpoint(ctx, a.ID, "ep-a"); err != nil {
			t.Errorf("a cross-tenant delete removed ep-a: %v", err)
		}
		if list, err := st.Endpoints(ctx, b.ID); err != nil || !slices.Equal(endpointIDs(list), []string{"ep-b"}) {
			t.Errorf("Endpoints(b) = %v, %v; want [ep-b]", endpointIDs(list), err)
		}
		got, err := st.Attempts(ctx, b.ID, "ep-a", 10)
		wantErr(t, "Attempts(other tenant)", err, signing.ErrNotFound)
		if len(got) != 0 {
			t.Errorf("Attempts(other tenant) leaked %d attempts", len(got))
		}
		_, err = st.RetryDelivery(ctx, b.ID, "ep-a", atts[0].ID, base)
		wantErr(t, "RetryDelivery(other tenant)", err, signing.ErrNotFound)
		_, err = st.RetryDelivery(ctx, b.ID, "ep-b", atts[0].ID, base)
		wantErr(t, "RetryDelivery(other tenant's endpoint)", err, signing.ErrNotFound)
		h.claimWant(base.Add(100 * time.Hour)) // the failed delivery stayed failed
	}},
}

func outboxTests(breakOutbox func(t *testing.T, st Store, eventType string)) []webhookTest {
	return []webhookTest{
		{"FanOutToSubscribers", func(t *testing.T, st Store) {
			ctx := t.Context()
			h := newHooks(t, st)
			a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
			eps := map[string]signing.Endpoint{}
			for _, e := range []signing.Endpoint{
				h.endpoint(a, "all", base),
				h.endpoint(a, "completed", base, signing.EventCompleted),
				h.endpoint(a, "both", base, signing.EventCreated, signing.EventCompleted),
				h.endpoint(a, "progress", base, signing.EventInProgress),
				h.endpoint(b, "b-all", base),
			} {
				eps[e.ID] = e
			}
			s := h.session(a, "s", base)
			c := complete(s, base.Add(time.Minute), "signed")
			c.Entries[1].Webhook = webhookBody(s.ID, signing.EventCompleted) // not the callback entry
			if err := st.UpdateSession(ctx, c); err != nil {
				t.Fatal(err)
			}
			sb := h.session(b, "sb", base.Add(2*time.Minute))

			got := h.drainSet(base.Add(time.Hour),
				"all/s/created", "both/s/created",
				"all/s/completed", "completed/s/completed", "both/s/completed",
				"b-all/sb/created")

			trails := map[string][]signing.AuditEntry{}
			for _, x := range []*signing.Session{s, sb} {
				tr, err := st.AuditTrail(ctx, x.TenantID, x.ID)
				if err != nil {
					t.Fatal(err)
				}
				trails[x.ID] = tr
			}
			seen := map[string]bool{}
			for _, d := range got {
				l := h.label(d)
				if !strings.HasPrefix(d.ID, "msg_") || len(d.ID) < 20 || seen[d.ID] {
					t.Errorf("%s: id %q, want a fresh msg_ id", l, d.ID)
				}
				seen[d.ID] = true
				ep := eps[d.EndpointID]
				if d.TenantID != ep.TenantID || d.URL != ep.URL || d.Secret != ep.Secret {
					t.Errorf("%s: tenant, URL, secret = %s, %s, %s; want the endpoint's %s, %s, %s",
						l, d.TenantID, d.URL, d.Secret, ep.TenantID, ep.URL, ep.Secret)
				}
				var entry *signing.AuditEntry
				for i, e := range trails[d.SessionID] {
					if e.Type == d.EventType {
						entry = &trails[d.SessionID][i]
					}
				}
				if entry == nil || d.EventID != entry.ID {
					t.Errorf("%s: EventID = %d, want the id of its audit entry (%+v)", l, d.EventID, entry)
				} else {
					checkTime(t, l+" CreatedAt", d.CreatedAt, entry.CreatedAt)
				}
				if want := webhookBody(d.SessionID, d.EventType); !bytes.Equal(d.Payload, want) {
					t.Errorf("%s: Payload = %s, want exactly %s", l, d.Payload, want)
				}
				if d.State != signing.DeliveryPending || d.Attempts != 0 {
					t.Errorf("%s: claimed as %s with %d attempts, want pending with 0", l, d.State, d.Attempts)
				}
			}
		}},
		{"DueAtTheEvent", func(t *testing.T, st Store) {
			h := newHooks(t, st)
			a := newTenant(t, st, "a")
			h.endpoint(a, "ep", base)
			h.session(a, "s", base.Add(time.Minute))
			h.claimWant(base.Add(time.Minute - time.Microsecond))
			h.backlog(base, 1, time.Time{})
			h.claimWant(base.Add(time.Minute), "ep/s/created")
		}},
		{"OnlyEntriesWithWebhook", func(t *testing.T, st Store) {
			ctx := t.Context()
			h := newHooks(t, st)
			a := newTenant(t, st, "a")
			h.endpoint(a, "ep", base)
			s := create(t, st, newSession(a, base)) // its created entry has no Webhook
			h.names[s.ID] = "s"
			c := statusChange(s, signing.StatusInProgress, base.Add(time.Second))
			c.Entries[0].Webhook = nil
			c.Entries = append(c.Entries, signing.AuditEntry{Type: signing.EventProviderCallback, CreatedAt: base})
			if err := st.UpdateSession(ctx, c); err != nil {
				t.Fatal(err)
			}
			h.backlog(base.Add(time.Hour), 0, time.Time{})
			h.claimWant(base.Add(time.Hour))
			// A webhook on an entry of a type no endpoint filters for still
			// goes to the endpoints that want everything.
			c = statusChange(c.Session, signing.StatusInProgress, base.Add(2*time.Second))
			c.Entries[0].Type = "signing.custom"
			if err := st.UpdateSession(ctx, c); err != nil {
				t.Fatal(err)
			}
			h.claimWant(base.Add(time.Hour), "ep/s/custom")
		}},
		{"StaleOrForeignUpdateQueuesNothing", func(t *testing.T, st Store) {
			ctx := t.Context()
			h := newHooks(t, st)
			a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
			h.endpoint(a, "ep", base)
			h.endpoint(b, "ep-b", base)
			s := h.session(a, "s", base)
			stale := statusChange(s, signing.StatusCompleted, base.Add(time.Second))
			stale.ExpectVersion = s.Version + 1
			wantErr(t, "UpdateSession(stale)", st.UpdateSession(ctx, stale), signing.ErrStale)
			foreign := statusChange(s, signing.StatusCancelled, base.Add(time.Second))
			foreign.Session.TenantID = b.ID
			wantErr(t, "UpdateSession(other tenant)", st.UpdateSession(ctx, foreign), signing.ErrNotFound)
			dup := newSession(a, base)
			dup.ID = s.ID
			e := createdEntry(dup)
			e.Webhook = webhookBody(dup.ID, e.Type)
			wantErr(t, "CreateSession(existing id)",
				st.CreateSession(ctx, dup, originalOf(dup), []signing.AuditEntry{e}), signing.ErrConflict)
			h.drainSet(base.Add(time.Hour), "ep/s/created")
		}},
		{"ConcurrentWritersOneEvent", func(t *testing.T, st Store) {
			ctx := t.Context()
			h := newHooks(t, st)
			a := newTenant(t, st, "a")
			h.endpoint(a, "ep", base)
			s := h.session(a, "s", base)
			changes := make([]signing.Change, racers)
			for i := range changes {
				changes[i] = statusChange(s, signing.StatusCompleted, base.Add(time.Duration(i+1)*time.Second))
				changes[i].Entries[0].Webhook = fmt.Appendf(nil, `{"writer":%d}`, i)
			}
			var winner atomic.Int32
			winner.Store(-1)
			race(racers, func(i int) {
				if err := st.UpdateSession(ctx, changes[i]); err == nil {
					winner.Store(int32(i))
				}
			})
			got := h.drainSet(base.Add(time.Hour), "ep/s/created", "ep/s/completed")
			w := winner.Load()
			if w < 0 {
				t.Fatal("no writer won")
			}
			for _, d := range got {
				if d.EventType == signing.EventCompleted && !bytes.Equal(d.Payload, changes[w].Entries[0].Webhook) {
					t.Errorf("completed delivery carries %s, want the winner's %s", d.Payload, changes[w].Entries[0].Webhook)
				}
			}
		}},
		{"FailedWriteQueuesNothing", func(t *testing.T, st Store) {
			ctx := t.Context()
			h := newHooks(t, st)
			a := newTenant(t, st, "a")
			h.endpoint(a, "ep", base)
			s := h.session(a, "s", base)
			breakOutbox(t, st, signing.EventCompleted)

			// In progress (queued), a callback, then completed (whose
			// delivery fails to insert): the whole change must vanish.
			c := complete(s, base.Add(time.Minute), "signed")
			c.Entries = append([]signing.AuditEntry{{Type: signing.EventInProgress, FromStatus: s.Status,
				ToStatus: signing.StatusInProgress, CreatedAt: base.Add(time.Minute),
				Webhook: webhookBody(s.ID, signing.EventInProgress)}}, c.Entries...)
			c.Entries[2].Webhook = webhookBody(s.ID, signing.EventCompleted)
			err := st.UpdateSession(ctx, c)
			if err == nil {
				t.Fatal("UpdateSession with a broken outbox succeeded")
			}
			wantNot(t, "UpdateSession with a broken outbox", err, signing.ErrStale)
			checkSession(t, mustSession(t, st, a.ID, s.ID), s)
			if trail, err := st.AuditTrail(ctx, a.ID, s.ID); err != nil || len(trail) != 1 {
				t.Errorf("after a failed update the trail has %d entries (%v), want 1", len(trail), err)
			}
			_, err = st.Document(ctx, a.ID, s.ID, signing.DocumentSigned)
			wantErr(t, "Document(signed) after a failed update", err, signing.ErrNotFound)

			// The same for a create.
			s2 := newSession(a, base)
			h.names[s2.ID] = "s2"
			e := createdEntry(s2)
			e.Webhook = webhookBody(s2.ID, e.Type)
			done := e
			done.Type, done.Webhook = signing.EventCompleted, webhookBody(s2.ID, signing.EventCompleted)
			if err := st.CreateSession(ctx, s2, originalOf(s2), []signing.AuditEntry{e, done}); err == nil {
				t.Fatal("CreateSession with a broken outbox succeeded")
			}
			_, err = st.Session(ctx, a.ID, s2.ID)
			wantErr(t, "Session after a failed create", err, signing.ErrNotFound)
			_, err = st.Document(ctx, a.ID, s2.ID, signing.DocumentOriginal)
			wantErr(t, "Document after a failed create", err, signing.ErrNotFound)
			_, err = st.AuditTrail(ctx, a.ID, s2.ID)
			wantErr(t, "AuditTrail after a failed create", err, signing.ErrNotFound)

			h.backlog(base.Add(time.Hour), 1, base)
			h.drainSet(base.Add(time.Hour), "ep/s/created")

			// Changes whose events do not hit the broken insert still commit,
			// with their deliveries: the failure above was the outbox's.
			next := h.move(s, signing.StatusInProgress, base.Add(2*time.Minute))
			if got := mustSession(t, st, a.ID, s.ID); got.Status != signing.StatusInProgress || got.Version != next.Version {
				t.Errorf("after a good update: %s v%d, want IN_PROGRESS v%d", got.Status, got.Version, next.Version)
			}
			h.drainSet(base.Add(time.Hour), "ep/s/in_progress")
		}},
		{"BatchIsAllOrNothing", func(t *testing.T, st Store) {
			ctx := t.Context()
			h := newHooks(t, st)
			a := newTenant(t, st, "a")
			h.endpoint(a, "ep", base)
			s1, s2 := h.session(a, "s1", base), h.session(a, "s2", base)
			h.drainSet(base.Add(time.Hour), "ep/s1/created", "ep/s2/created")
			breakOutbox(t, st, signing.EventExpired)

			// The first change's event queues fine, the second's insert
			// fails: neither may stay.
			progress := statusChange(s1, signing.StatusInProgress, base.Add(time.Minute))
			expire := statusChange(s2, signing.StatusExpired, base.Add(time.Minute))
			results, err := st.UpdateSessions(ctx, []signing.Change{progress, expire})
			if err == nil {
				t.Fatalf("UpdateSessions with a broken outbox succeeded: %v", results)
			}
			checkSession(t, mustSession(t, st, a.ID, s1.ID), s1)
			checkSession(t, mustSession(t, st, a.ID, s2.ID), s2)
			h.backlog(base.Add(time.Hour), 0, time.Time{})
		}},
	}
}

func wantNot(t *testing.T, what string, err, target error) {
	t.Helper()
	if err == nil || errors.Is(err, target) {
		t.Errorf("%s: err = %v, want an error other than %v", what, err, target)
	}
}
