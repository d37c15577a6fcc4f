package web

import (
	"net/http"

	"github.com/signet-dev/signet/internal/auth"
)

// keysView fills console-keys.html.
type keysView struct {
	page
	Tenants []tenantKeys
	// NewKey is a key just created: shown this once, never again.
	NewKey       string
	NewKeyTenant string
	TenantName   string // the create form's value after a refusal
	Invalid      string // why the create form was refused
}

// tenantKeys is a tenant and its keys.
type tenantKeys struct {
	ID, Name string
	Created  string
	Keys     []keyRow
}

// keyRow is one API key.
type keyRow struct {
	ID       string
	Display  string // sk_AbCd1234…
	Created  string
	LastUsed string
	Revoked  string
	Action   string // the revoke form's path, while the key works
	Fresh    bool   // the key just created
}

// keys handles GET /console/keys: every tenant with its keys.
func (c *console) keys(q *request) {
	v, err := c.keysView(q)
	if err != nil {
		c.fail(q, "keys", err)
		return
	}
	c.render(q, "console-keys", v)
}

func (c *console) keysView(q *request) (keysView, error) {
	ctx := q.r.Context()
	tenants, err := c.cfg.Store.Tenants(ctx)
	if err != nil {
		return keysView{}, err
	}
	keys, err := c.cfg.Store.APIKeys(ctx, "")
	if err != nil {
		return keysView{}, err
	}
	byTenant := map[string][]keyRow{}
	for _, k := range keys {
		row := keyRow{ID: k.ID, Display: k.Display(), Created: when(k.CreatedAt), LastUsed: whenPtr(k.LastUsedAt),
			Revoked: whenPtr(k.RevokedAt)}
		if k.RevokedAt == nil {
			row.Action = "/console/keys/" + k.ID + "/revoke"
		}
		byTenant[k.Tenant.ID] = append(byTenant[k.Tenant.ID], row)
	}
	v := keysView{page: c.newPage(q, "keys")}
	for _, t := range tenants {
		v.Tenants = append(v.Tenants, tenantKeys{ID: t.ID, Name: t.Name, Created: when(t.CreatedAt), Keys: byTenant[t.ID]})
	}
	return v, nil
}

// createKey handles POST /console/keys: a key for the tenant named in
// the form (created if new), shown once in the answer itself, which is
// never stored by the browser (Cache-Control: no-store).
func (c *console) createKey(q *request) {
	name := q.r.PostForm.Get("tenant")
	key, k, err := auth.CreateAPIKey(q.r.Context(), c.cfg.Store, name, c.site.cfg.Now())
	if err != nil && !errorsIsInvalid(err) {
		c.fail(q, "create key", err)
		return
	}
	v, verr := c.keysView(q)
	if verr != nil {
		c.fail(q, "keys", verr)
		return
	}
	status := http.StatusOK
	if err != nil {
		v.Invalid, v.TenantName = "console.keys.invalid_tenant", name
		status = http.StatusBadRequest
	} else {
		c.site.log.Info("web: console: API key created", "key", k.ID, "tenant", k.Tenant.Name, "operator", q.op.Operator.Email)
		v.NewKey, v.NewKeyTenant = key, k.Tenant.Name
		for i := range v.Tenants {
			for j := range v.Tenants[i].Keys {
				v.Tenants[i].Keys[j].Fresh = v.Tenants[i].Keys[j].ID == k.ID
			}
		}
	}
	c.site.render(q.w, q.r, status, q.lang, "console-keys", v)
}

// errorsIsInvalid reports whether err is invalid input.
func errorsIsInvalid(err error) bool { return failure(err) == "invalid" }

// revokeKey handles POST /console/keys/{id}/revoke: the key stops working
// at once, here and on every replica.
func (c *console) revokeKey(q *request) {
	k, _, err := auth.RevokeAPIKey(q.r.Context(), c.cfg.Store, q.r.PathValue("id"), c.site.cfg.Now())
	if err == nil {
		if c.cfg.Revoked != nil {
			c.cfg.Revoked()
		}
		c.site.log.Info("web: console: API key revoked", "key", k.ID, "tenant", k.Tenant.Name, "operator", q.op.Operator.Email)
	}
	c.back(q, "/console/keys", "revoked", err)
}
