package web

import "github.com/signet-dev/signet/internal/signing"

// providersView fills console-providers.html.
type providersView struct {
	page
	Sandbox   bool
	Providers []providerRow
}

// providerRow is a provider and its recent failures.
type providerRow struct {
	Name, DisplayName string
	Languages         []string
	Fields            []string
	Failures          []failureRow
}

// failureRow is one provider.error entry.
type failureRow struct {
	At, AtISO   string
	SessionHref string
	SessionID   string
	Detail      string
}

// recentFailures is how many failures a provider shows.
const recentFailures = 10

// providers handles GET /console/providers: each configured provider,
// live or sandbox, and its latest failures across tenants.
func (c *console) providers(q *request) {
	v := providersView{page: c.newPage(q, "providers"), Sandbox: c.cfg.Sandbox}
	for _, p := range c.cfg.Sessions.Providers() {
		entries, err := c.cfg.Store.RecentEntries(q.r.Context(), signing.EventProviderError, p.Name, recentFailures)
		if err != nil {
			c.fail(q, "provider failures", err)
			return
		}
		row := providerRow{Name: p.Name, DisplayName: p.DisplayName, Languages: p.Languages, Fields: p.RequiredSignerFields}
		for _, e := range entries {
			row.Failures = append(row.Failures, failureRow{At: when(e.CreatedAt), AtISO: machineTime(e.CreatedAt),
				SessionHref: sessionPath(e.SessionID), SessionID: e.SessionID, Detail: e.Detail})
		}
		v.Providers = append(v.Providers, row)
	}
	c.render(q, "console-providers", v)
}
