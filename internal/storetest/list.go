package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// listFixture stores 13 sessions of tenant "a" (several sharing a creation
// time, so that the id breaks ties) and 3 of tenant "b", and returns a's
// sessions in the expected newest-first order.
func listFixture(t *testing.T, st Store) (signing.Tenant, []*signing.Session) {
	t.Helper()
	a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
	statuses := []signing.Status{signing.StatusPending, signing.StatusInProgress, signing.StatusCompleted}
	var all []*signing.Session
	for i := range 13 {
		// Creation times come in threes: base, base, base, base-1s, …
		s := newSession(a, base.Add(-time.Duration(i/3)*time.Second))
		s.OrderID = fmt.Sprintf("order-%d", i%2)
		s.Status = statuses[i%3]
		s.Provider = []string{"signzy", "digio"}[i%4/2]
		all = append(all, create(t, st, s))
	}
	for range 3 {
		s := newSession(b, base) // same order id, status and provider as some of a's
		s.OrderID = "order-0"
		create(t, st, s)
	}
	slices.SortFunc(all, func(x, y *signing.Session) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	return a, all
}

func filterSessions(all []*signing.Session, f signing.ListFilter) []*signing.Session {
	var out []*signing.Session
	for _, s := range all {
		if (f.OrderID == "" || s.OrderID == f.OrderID) && (f.Status == "" || s.Status == f.Status) &&
			(f.Provider == "" || s.Provider == f.Provider) {
			out = append(out, s)
		}
	}
	return out
}

var filters = []struct {
	name string
	f    signing.ListFilter
}{
	{"all", signing.ListFilter{}},
	{"orderId", signing.ListFilter{OrderID: "order-1"}},
	{"status", signing.ListFilter{Status: signing.StatusInProgress}},
	{"provider", signing.ListFilter{Provider: "digio"}},
	{"combined", signing.ListFilter{OrderID: "order-0", Status: signing.StatusPending, Provider: "signzy"}},
	{"no match", signing.ListFilter{OrderID: "order-9"}},
	{"other status", signing.ListFilter{Status: signing.StatusCancelled}},
}

var listTests = []test{
	{"FiltersAndOrder", func(t *testing.T, st Store) {
		a, all := listFixture(t, st)
		for _, tt := range filters {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.f
				f.Limit = 100
				got, more, err := st.ListSessions(t.Context(), a.ID, f)
				if err != nil {
					t.Fatalf("ListSessions: %v", err)
				}
				want := filterSessions(all, f)
				if !slices.Equal(ids(got), ids(want)) || more {
					t.Errorf("ListSessions(%+v) =\n %v, more=%v\nwant\n %v, more=false", f, ids(got), more, ids(want))
				}
				for i, g := range got {
					checkSession(t, g, want[i])
				}
			})
		}
	}},
	{"Limit", func(t *testing.T, st Store) {
		a, all := listFixture(t, st)
		for _, tt := range []struct {
			limit int
			more  bool
		}{{1, true}, {5, true}, {12, true}, {13, false}, {14, false}, {100, false}} {
			got, more, err := st.ListSessions(t.Context(), a.ID, signing.ListFilter{Limit: tt.limit})
			if err != nil {
				t.Fatalf("ListSessions(limit %d): %v", tt.limit, err)
			}
			want := all[:min(tt.limit, len(all))]
			if !slices.Equal(ids(got), ids(want)) || more != tt.more {
				t.Errorf("limit %d: %v, more=%v; want %v, more=%v", tt.limit, ids(got), more, ids(want), tt.more)
			}
		}
	}},
	{"Pagination", func(t *testing.T, st Store) {
		a, all := listFixture(t, st)
		for _, tt := range filters {
			for _, limit := range []int{1, 2, 3, 4, 13, 20} {
				t.Run(fmt.Sprintf("%s/limit=%d", tt.name, limit), func(t *testing.T) {
					f := tt.f
					f.Limit = limit
					want := filterSessions(all, f)
					var got []*signing.Session
					for page := 0; ; page++ {
						if page > len(all)+1 {
							t.Fatalf("pagination does not end: %v", ids(got))
						}
						list, more, err := st.ListSessions(t.Context(), a.ID, f)
						if err != nil {
							t.Fatalf("page %d: %v", page, err)
						}
						if len(list) > limit || (more && len(list) != limit) {
							t.Fatalf("page %d: %d sessions, more=%v, limit %d", page, len(list), more, limit)
						}
						got = append(got, list...)
						if !more {
							break
						}
						last := list[len(list)-1]
						f.After = &signing.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
					}
					if !slices.Equal(ids(got), ids(want)) {
						t.Errorf("pages joined =\n %v\nwant\n %v", ids(got), ids(want))
					}
				})
			}
		}
	}},
	{"CursorBetweenRows", func(t *testing.T, st Store) {
		// A cursor need not name a stored row: everything strictly older
		// than the position follows, in order.
		a, all := listFixture(t, st)
		pos := signing.Cursor{CreatedAt: base.Add(-time.Second), ID: "ffffffff-ffff-4fff-bfff-ffffffffffff"}
		got, _, err := st.ListSessions(t.Context(), a.ID, signing.ListFilter{Limit: 100, After: &pos})
		if err != nil {
			t.Fatal(err)
		}
		var want []*signing.Session
		for _, s := range all {
			if s.CreatedAt.Before(pos.CreatedAt) || s.CreatedAt.Equal(pos.CreatedAt) {
				want = append(want, s)
			}
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("after %v = %v, want %v", pos, ids(got), ids(want))
		}
	}},
	{"Empty", func(t *testing.T, st Store) {
		a := newTenant(t, st, "a")
		got, more, err := st.ListSessions(t.Context(), a.ID, signing.ListFilter{Limit: 20})
		if err != nil || len(got) != 0 || more {
			t.Errorf("ListSessions on no sessions = %v, %v, %v; want empty, false, nil", ids(got), more, err)
		}
	}},
}
