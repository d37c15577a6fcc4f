package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/cursor"
	"github.com/signet-dev/signet/internal/signing"
)

// sessionsView fills console-sessions.html.
type sessionsView struct {
	page
	Tenants   []option
	Statuses  []option
	Providers []option
	OrderID   string
	Filtered  bool
	Rows      []sessionRow
	Next      string // the next page's link, if any
	First     string // the first page's link, when on a later one
}

// option is an entry of a filter's <select>.
type option struct {
	Value, Label string
	Selected     bool
}

// sessionRow is one line of the sessions list.
type sessionRow struct {
	ID, Href     string
	OrderID      string
	Tenant       string
	Provider     string
	Status       string // the status as the API names it
	StatusKey    string // its label's message key
	Signer       string
	Created      string
	CreatedISO   string
	TerminalOpen bool // open in the store but past its expiry: shown EXPIRED
}

// sessions handles GET /console/: the sessions of every tenant, newest
// first, filtered by tenant, status, provider and order id, a page at a
// time. Filters a form could not have sent are ignored.
func (c *console) sessions(q *request) {
	ctx := q.r.Context()
	in := q.r.URL.Query()
	tenants, err := c.cfg.Store.Tenants(ctx)
	if err != nil {
		c.fail(q, "tenants", err)
		return
	}
	names := tenantNames(tenants)
	f := signing.ListFilter{Limit: pageSize, After: decodeCursor(in.Get("cursor"))}
	tenantID := in.Get("tenant")
	if _, ok := names[tenantID]; !ok {
		tenantID = ""
	}
	if st := signing.Status(in.Get("status")); st.Valid() {
		f.Status = st
	}
	providers := c.cfg.Sessions.Providers()
	if p := in.Get("provider"); slices.ContainsFunc(providers, func(i signing.ProviderInfo) bool { return i.Name == p }) {
		f.Provider = p
	}
	if o := strings.TrimSpace(in.Get("order")); utf8.RuneCountInString(o) <= signing.MaxOrderIDLen {
		f.OrderID = o
	}
	list, more, err := c.cfg.Store.AllSessions(ctx, tenantID, f)
	if err != nil {
		c.fail(q, "sessions", err)
		return
	}
	v := sessionsView{page: c.newPage(q, "sessions"), OrderID: f.OrderID,
		Filtered: tenantID != "" || f.Status != "" || f.Provider != "" || f.OrderID != ""}
	v.Tenants = append(v.Tenants, option{Value: "", Label: ""})
	for _, t := range tenants {
		v.Tenants = append(v.Tenants, option{Value: t.ID, Label: t.Name, Selected: t.ID == tenantID})
	}
	v.Statuses = append(v.Statuses, option{})
	for _, st := range signing.Statuses {
		v.Statuses = append(v.Statuses, option{Value: string(st), Label: statusKey(st), Selected: st == f.Status})
	}
	v.Providers = append(v.Providers, option{})
	for _, p := range providers {
		v.Providers = append(v.Providers, option{Value: p.Name, Label: p.DisplayName, Selected: p.Name == f.Provider})
	}
	now := c.site.cfg.Now()
	for _, s := range list {
		st := shownStatus(s, now)
		v.Rows = append(v.Rows, sessionRow{ID: s.ID, Href: sessionPath(s.ID), OrderID: s.OrderID,
			Tenant: names[s.TenantID], Provider: s.Provider, Status: string(st), StatusKey: statusKey(st),
			Signer: signerName(s.SignerDetails), Created: when(s.CreatedAt), CreatedISO: machineTime(s.CreatedAt),
			TerminalOpen: st != s.Status})
	}
	filters := url.Values{}
	for k, val := range map[string]string{"tenant": tenantID, "status": string(f.Status), "provider": f.Provider, "order": f.OrderID} {
		if val != "" {
			filters.Set(k, val)
		}
	}
	if more && len(list) > 0 {
		last := list[len(list)-1]
		next := url.Values{}
		for k, vs := range filters {
			next[k] = vs
		}
		next.Set("cursor", cursor.Encode(signing.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}))
		v.Next = consolePrefix + "?" + next.Encode()
	}
	if f.After != nil {
		v.First = consolePrefix
		if len(filters) > 0 {
			v.First += "?" + filters.Encode()
		}
	}
	c.render(q, "console-sessions", v)
}

// tenantNames maps tenant ids to names.
func tenantNames(list []signing.Tenant) map[string]string {
	m := make(map[string]string, len(list))
	for _, t := range list {
		m[t.ID] = t.Name
	}
	return m
}

// sessionPath is a session's console page.
func sessionPath(id string) string { return "/console/sessions/" + url.PathEscape(id) }

// statusKey is the message key of a status's label.
func statusKey(st signing.Status) string { return "console.status." + strings.ToLower(string(st)) }

// shownStatus is the status to show: never open after expiresAt, even
// before the sweeper has run (CONTRACT.md §1).
func shownStatus(s *signing.Session, now time.Time) signing.Status {
	if !s.Status.Terminal() && !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt) {
		return signing.StatusExpired
	}
	return s.Status
}

// signerName is the signer's name, or else e-mail, from signerDetails.
func signerName(details json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(details, &m) != nil {
		return ""
	}
	for _, k := range []string{"name", "fullName", "email", "identity"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// sessionView fills console-session.html.
type sessionView struct {
	page
	ID, Href      string
	OrderID       string
	Tenant        string
	Status        string
	StatusKey     string
	Open          bool // Cancel and Refresh apply
	Provider      string
	ProviderRef   string
	Language      string
	Created       string
	Updated       string
	Expires       string
	Completed     string
	FailureReason string
	RedirectURL   string
	ReturnURL     string
	Metadata      []field
	Signers       []signerView
	Events        []eventView
	Documents     []documentLink
}

// field is a name and a value, shown as such.
type field struct{ Name, Value string }

// signerView is one signer on a session's page.
type signerView struct {
	Name      string
	Status    string // a message key, if the signer has a status of their own
	StatusRaw string
	Fields    []field // the rest of signerDetails
}

// eventView is one line of a session's timeline.
type eventView struct {
	Type     string
	At       string
	AtISO    string
	From, To string // status changes only
	Detail   string
	Kind     string // a CSS hint: status, error or info
}

// documentLink is one of a session's documents.
type documentLink struct {
	Label string // message key
	Href  string
}

// session handles GET /console/sessions/{id}.
func (c *console) session(q *request) {
	sess, ok := c.load(q)
	if !ok {
		return
	}
	ctx := q.r.Context()
	events, err := c.cfg.Store.AuditTrail(ctx, sess.TenantID, sess.ID)
	if err != nil {
		c.fail(q, "audit trail", err)
		return
	}
	tenant := sess.TenantID
	if tenants, err := c.cfg.Store.Tenants(ctx); err == nil {
		if n, ok := tenantNames(tenants)[sess.TenantID]; ok {
			tenant = n
		}
	}
	st := shownStatus(sess, c.site.cfg.Now())
	v := sessionView{page: c.newPage(q, "sessions"), ID: sess.ID, Href: sessionPath(sess.ID), OrderID: sess.OrderID,
		Tenant: tenant, Status: string(st), StatusKey: statusKey(st), Open: !st.Terminal(),
		Provider: sess.Provider, ProviderRef: sess.ProviderRef, Language: sess.Language,
		Created: when(sess.CreatedAt), Updated: when(sess.UpdatedAt), Expires: when(sess.ExpiresAt),
		Completed: whenPtr(sess.CompletedAt), FailureReason: sess.FailureReason,
		RedirectURL: firstProviderURL(sess), ReturnURL: sess.ReturnURL,
		Signers: signersOf(sess), Documents: documentsOf(sess)}
	for _, k := range slices.Sorted(maps.Keys(sess.Metadata)) {
		v.Metadata = append(v.Metadata, field{k, sess.Metadata[k]})
	}
	for _, e := range events {
		ev := eventView{Type: e.Type, At: when(e.CreatedAt), AtISO: machineTime(e.CreatedAt), Detail: e.Detail, Kind: "info"}
		switch {
		case e.ToStatus != "":
			ev.From, ev.To, ev.Kind = string(e.FromStatus), string(e.ToStatus), "status"
		case e.Type == signing.EventProviderError:
			ev.Kind = "error"
		}
		v.Events = append(v.Events, ev)
	}
	c.render(q, "console-session", v)
}

// load reads the session of the request's {id}, through the service so
// that one past its deadline is expired on the way. It answers the
// request itself and returns false when it cannot.
func (c *console) load(q *request) (*signing.Session, bool) {
	id := q.r.PathValue("id")
	if id == "" || len(id) > 64 {
		c.site.notFound(q.w, q.r)
		return nil, false
	}
	sess, err := c.cfg.Store.SessionByID(q.r.Context(), id)
	if err == nil {
		sess, err = c.cfg.Sessions.Get(q.r.Context(), sess.TenantID, sess.ID)
	}
	if err != nil {
		c.fail(q, "session", err)
		return nil, false
	}
	return sess, true
}

// signersOf lists a session's signers. Today a session has one, its
// signerDetails; a session with a list of signers shows each from here.
func signersOf(s *signing.Session) []signerView {
	if len(s.Signers) == 0 {
		return []signerView{signerFrom(s.SignerDetails)}
	}
	out := make([]signerView, len(s.Signers))
	for i, sg := range s.Signers {
		out[i] = signerFrom(sg.Details)
		out[i].StatusRaw = string(sg.Status)
		out[i].Status = "console.signer_status." + strings.ToLower(string(sg.Status))
	}
	return out
}

// firstProviderURL is where the first signer signs at the provider.
func firstProviderURL(s *signing.Session) string {
	if len(s.Signers) == 0 {
		return ""
	}
	return s.Signers[0].ProviderURL
}

// signerFrom shows signerDetails: the name apart, the other fields in
// the order the client sent them.
func signerFrom(details json.RawMessage) signerView {
	v := signerView{Name: signerName(details)}
	dec := json.NewDecoder(bytes.NewReader(details))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return v
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return v
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return v
		}
		name, _ := tok.(string)
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		if s == v.Name && (name == "name" || name == "fullName") {
			continue
		}
		v.Fields = append(v.Fields, field{name, s})
	}
	return v
}

// documentsOf lists a session's documents: the original always, the
// signed one once COMPLETED. (The audit certificate of a terminal session
// joins them here when Signet makes one.)
func documentsOf(s *signing.Session) []documentLink {
	docs := []documentLink{{Label: "console.session.doc_original", Href: sessionPath(s.ID) + "/documents/original"}}
	if s.Status == signing.StatusCompleted {
		docs = append(docs, documentLink{Label: "console.session.doc_signed", Href: sessionPath(s.ID) + "/documents/signed"})
	}
	return docs
}

// document handles GET /console/sessions/{id}/documents/{kind}: the PDF,
// as a download.
func (c *console) document(q *request) {
	kind := signing.DocumentKind(q.r.PathValue("kind"))
	if kind != signing.DocumentOriginal && kind != signing.DocumentSigned {
		c.site.notFound(q.w, q.r)
		return
	}
	sess, ok := c.load(q)
	if !ok {
		return
	}
	doc, err := c.cfg.Store.Document(q.r.Context(), sess.TenantID, sess.ID, kind)
	if err != nil {
		c.fail(q, "document", err)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(doc.Content)))
	h.Set("Content-Disposition", downloadName(string(kind), doc.Filename))
	_, _ = q.w.Write(doc.Content)
}

// downloadName is a Content-Disposition for a document: the stored name
// in ASCII (others become _), prefixed with its kind.
func downloadName(kind, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if ascii == "" {
		ascii = "document.pdf"
	}
	return `attachment; filename="` + kind + "-" + ascii + `"`
}

// cancel handles POST /console/sessions/{id}/cancel.
func (c *console) cancel(q *request) {
	c.act(q, "cancelled", c.cfg.Sessions.Cancel)
}

// refresh handles POST /console/sessions/{id}/refresh.
func (c *console) refresh(q *request) {
	c.act(q, "refreshed", c.cfg.Sessions.Refresh)
}

// act runs a session operation and returns to the session's page.
func (c *console) act(q *request, done string, op func(ctx context.Context, tenantID, id string) (*signing.Session, error)) {
	sess, ok := c.load(q)
	if !ok {
		return
	}
	_, err := op(q.r.Context(), sess.TenantID, sess.ID)
	if err == nil {
		c.site.log.Info("web: console: session "+done, "session", sess.ID, "operator", q.op.Operator.Email)
	} else if !errors.Is(err, signing.ErrConflict) {
		c.site.log.Warn("web: console: session not "+done, "session", sess.ID, "err", err)
	}
	c.back(q, sessionPath(sess.ID), done, err)
}
