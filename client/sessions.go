package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/signet-dev/signet/api"
)

// CreateSession creates a signing session and starts it at the provider
// (POST /signing).
func (c *Client) CreateSession(ctx context.Context, req *api.CreateSessionRequest, opts ...CallOption) (*api.Session, error) {
	return do[api.Session](ctx, c, http.MethodPost, "/signing", req, opts...)
}

// Session reads one session (GET /signing/{id}).
func (c *Client) Session(ctx context.Context, id string) (*api.Session, error) {
	return do[api.Session](ctx, c, http.MethodGet, "/signing/"+escape(id), nil)
}

// CancelSession cancels a session (DELETE /signing/{id}); cancelling a
// cancelled session answers it unchanged.
func (c *Client) CancelSession(ctx context.Context, id string, opts ...CallOption) (*api.Session, error) {
	return do[api.Session](ctx, c, http.MethodDelete, "/signing/"+escape(id), nil, opts...)
}

// RefreshSession asks the provider for the session's state now (POST
// /signing/{id}/refresh).
func (c *Client) RefreshSession(ctx context.Context, id string, opts ...CallOption) (*api.Session, error) {
	return do[api.Session](ctx, c, http.MethodPost, "/signing/"+escape(id)+"/refresh", nil, opts...)
}

// ListSessionsParams filters GET /signing. Zero fields do not filter.
type ListSessionsParams struct {
	OrderID  string
	Status   api.Status
	Provider string
	// Limit is the page size (1–100; 0 leaves it to the server, 20). The
	// iterator fetches as many pages as the loop consumes.
	Limit int
	// Cursor starts at a nextCursor of an earlier listing.
	Cursor string
}

// Sessions lists the tenant's sessions, newest first, following
// nextCursor from page to page while the loop goes on. An error ends the
// sequence.
func (c *Client) Sessions(ctx context.Context, p ListSessionsParams) iter.Seq2[api.Session, error] {
	q := url.Values{}
	for name, v := range map[string]string{"orderId": p.OrderID, "status": string(p.Status), "provider": p.Provider, "cursor": p.Cursor} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	return paginate[api.Session](ctx, c, "/signing", q)
}

// Events lists a session's audit trail, oldest first (GET
// /signing/{id}/events).
func (c *Client) Events(ctx context.Context, id string) iter.Seq2[api.Event, error] {
	return paginate[api.Event](ctx, c, "/signing/"+escape(id)+"/events", nil)
}

// File is a downloaded document.
type File struct {
	// Name is the file name the server gave (Content-Disposition), or ""
	// when it gave none.
	Name        string
	ContentType string
	Content     []byte
}

// Document downloads the signed PDF of a COMPLETED session (GET
// /signing/{id}/document); any other status is a 409 *Problem.
func (c *Client) Document(ctx context.Context, id string) (*File, error) {
	return c.download(ctx, "/signing/"+escape(id)+"/document")
}

// AuditCertificate downloads the sealed audit certificate of a session in a
// terminal status (GET /signing/{id}/audit-certificate, CONTRACT.md §7); an
// open session is a 409 *Problem.
func (c *Client) AuditCertificate(ctx context.Context, id string) (*File, error) {
	return c.download(ctx, "/signing/"+escape(id)+"/audit-certificate")
}

func (c *Client) download(ctx context.Context, path string) (*File, error) {
	resp, err := c.send(ctx, &request{method: http.MethodGet, path: path, accept: "application/pdf, application/problem+json"})
	if err != nil {
		return nil, err
	}
	f := &File{ContentType: resp.header.Get("Content-Type"), Content: resp.body}
	if _, params, err := mime.ParseMediaType(resp.header.Get("Content-Disposition")); err == nil {
		f.Name = params["filename"] // mime decodes filename* into filename
	}
	return f, nil
}

// Verification describes the signatures in a COMPLETED session's signed
// document (GET /signing/{id}/verification, CONTRACT.md §7).
func (c *Client) Verification(ctx context.Context, id string) (*api.Verification, error) {
	return do[api.Verification](ctx, c, http.MethodGet, "/signing/"+escape(id)+"/verification", nil)
}

// Providers lists the providers the server offers (GET /signing/providers).
func (c *Client) Providers(ctx context.Context) ([]api.Provider, error) {
	var l api.ProviderList
	if err := c.call(ctx, http.MethodGet, "/signing/providers", nil, &l); err != nil {
		return nil, err
	}
	return l.Providers, nil
}

// Wait reads the session until it is in a terminal status and returns it.
// It reads at growing intervals (WithPollInterval) and stops with ctx: then
// it returns the last session it read (nil if none) with ctx's error.
func (c *Client) Wait(ctx context.Context, id string) (*api.Session, error) {
	var last *api.Session
	for i := 0; ; i++ {
		s, err := c.Session(ctx, id)
		switch {
		case err == nil:
			last = s
			if s.Status.Terminal() {
				return s, nil
			}
		case ctx.Err() != nil:
			// The call failed because ctx ended: report that below.
		default:
			return last, err
		}
		d := c.pollMax
		if i < 30 {
			d = min(c.pollMin<<i, c.pollMax)
		}
		if err := c.sleep(ctx, d); err != nil {
			return last, fmt.Errorf("signet: waiting for session %s (last seen %s): %w", id, status(last), err)
		}
	}
}

func status(s *api.Session) string {
	if s == nil {
		return "nothing"
	}
	return string(s.Status)
}

// page is the shape of every list answer.
type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor"`
}

// paginate yields the items of a list, page after page, while the loop
// goes on; an error is yielded once and ends it.
func paginate[T any](ctx context.Context, c *Client, path string, q url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		q := maps.Clone(q)
		if q == nil {
			q = url.Values{}
		}
		seen := map[string]bool{}
		for {
			var p page[T]
			resp, err := c.send(ctx, &request{method: http.MethodGet, path: path, query: q, accept: "application/json, application/problem+json"})
			if err == nil {
				err = decode(resp, &p)
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			if seen[p.NextCursor] {
				var zero T
				yield(zero, errors.New("signet: the server sent the same nextCursor twice"))
				return
			}
			seen[p.NextCursor] = true
			q.Set("cursor", p.NextCursor)
		}
	}
}
