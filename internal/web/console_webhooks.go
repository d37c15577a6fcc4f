package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/signet-dev/signet/internal/cursor"
	"github.com/signet-dev/signet/internal/signing"
)

// endpointsView fills console-webhooks.html.
type endpointsView struct {
	page
	Tenants []option
	Rows    []endpointRow
}

// endpointRow is one webhook endpoint.
type endpointRow struct {
	ID, Href string
	Tenant   string
	URL      string
	Events   []string // empty: every event
	Created  string
}

// endpoints handles GET /console/webhooks: every tenant's endpoints, or
// one tenant's.
func (c *console) endpoints(q *request) {
	ctx := q.r.Context()
	tenants, err := c.cfg.Store.Tenants(ctx)
	if err != nil {
		c.fail(q, "tenants", err)
		return
	}
	names := tenantNames(tenants)
	tenantID := q.r.URL.Query().Get("tenant")
	if _, ok := names[tenantID]; !ok {
		tenantID = ""
	}
	list, err := c.cfg.Store.AllEndpoints(ctx, tenantID)
	if err != nil {
		c.fail(q, "endpoints", err)
		return
	}
	v := endpointsView{page: c.newPage(q, "webhooks"), Tenants: []option{{}}}
	for _, t := range tenants {
		v.Tenants = append(v.Tenants, option{Value: t.ID, Label: t.Name, Selected: t.ID == tenantID})
	}
	for _, e := range list {
		v.Rows = append(v.Rows, endpointRow{ID: e.ID, Href: endpointPath(e.ID), Tenant: names[e.TenantID],
			URL: e.URL, Events: e.Events, Created: when(e.CreatedAt)})
	}
	c.render(q, "console-webhooks", v)
}

// endpointPath is an endpoint's console page.
func endpointPath(id string) string { return "/console/webhooks/" + url.PathEscape(id) }

// endpointView fills console-endpoint.html.
type endpointView struct {
	page
	endpointRow
	Attempts []attemptRow
	Next     string
	First    string
}

// attemptRow is one delivery attempt.
type attemptRow struct {
	ID         string
	WebhookID  string
	EventType  string
	Attempt    int
	At         string
	AtISO      string
	Succeeded  bool
	HTTPStatus string
	Duration   string
	Error      string
}

// endpoint handles GET /console/webhooks/{id}: the endpoint and its
// delivery attempts, newest first, a page at a time, each with
// Redeliver.
func (c *console) endpoint(q *request) {
	ctx := q.r.Context()
	e, ok := c.loadEndpoint(q)
	if !ok {
		return
	}
	after := decodeCursor(q.r.URL.Query().Get("cursor"))
	if after != nil && !strings.HasPrefix(after.ID, "att_") {
		after = nil
	}
	attempts, more, err := c.cfg.Store.AttemptsAfter(ctx, e.TenantID, e.ID, pageSize, after)
	if err != nil {
		c.fail(q, "attempts", err)
		return
	}
	tenant := e.TenantID
	if tenants, err := c.cfg.Store.Tenants(ctx); err == nil {
		tenant = tenantNames(tenants)[e.TenantID]
	}
	v := endpointView{page: c.newPage(q, "webhooks"), endpointRow: endpointRow{ID: e.ID, Href: endpointPath(e.ID),
		Tenant: tenant, URL: e.URL, Events: e.Events, Created: when(e.CreatedAt)}}
	for _, a := range attempts {
		row := attemptRow{ID: a.ID, WebhookID: a.DeliveryID, EventType: a.EventType, Attempt: a.Attempt,
			At: when(a.AttemptedAt), AtISO: machineTime(a.AttemptedAt), Succeeded: a.Succeeded,
			Duration: strconv.FormatInt(a.DurationMs, 10) + " ms", Error: a.Error}
		if a.ResponseStatus != 0 {
			row.HTTPStatus = strconv.Itoa(a.ResponseStatus)
		}
		v.Attempts = append(v.Attempts, row)
	}
	if more && len(attempts) > 0 {
		last := attempts[len(attempts)-1]
		v.Next = v.Href + "?cursor=" + cursor.Encode(signing.Cursor{CreatedAt: last.AttemptedAt, ID: last.ID})
	}
	if after != nil {
		v.First = v.Href
	}
	c.render(q, "console-endpoint", v)
}

// loadEndpoint reads the endpoint of the request's {id}; it answers the
// request itself (404) and returns false when there is none.
func (c *console) loadEndpoint(q *request) (signing.Endpoint, bool) {
	id := q.r.PathValue("id")
	if !strings.HasPrefix(id, "ep_") || len(id) > 64 {
		c.site.notFound(q.w, q.r)
		return signing.Endpoint{}, false
	}
	e, err := c.cfg.Store.EndpointByID(q.r.Context(), id)
	if err != nil {
		c.fail(q, "endpoint", err)
		return signing.Endpoint{}, false
	}
	return e, true
}

// redeliver handles POST /console/webhooks/{id}/redeliver: the event of
// the attempt in the form is sent again at once (same webhook-id).
func (c *console) redeliver(q *request) {
	e, ok := c.loadEndpoint(q)
	if !ok {
		return
	}
	attempt := q.r.PostForm.Get("attempt")
	_, err := c.cfg.Webhooks.Retry(q.r.Context(), e.TenantID, e.ID, attempt)
	if err == nil {
		c.site.log.Info("web: console: delivery queued again", "endpoint", e.ID, "attempt", attempt, "operator", q.op.Operator.Email)
	}
	c.back(q, endpointPath(e.ID), "redelivered", err)
}
