package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/cursor"
	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
)

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeCreate(r)
	if err != nil {
		return err
	}
	sess, err := s.cfg.Service.Create(r.Context(), tenantFrom(r.Context()).ID, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/signing/"+sess.ID)
	writeJSON(w, http.StatusCreated, s.cfg.Presenter.Session(sess))
	return nil
}

// sessionID reads the {id} path value; a malformed id cannot exist, so it
// is a 404 like any unknown id.
func sessionID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return "", signing.Errorf(signing.ErrNotFound, "there is no signing session %q", clip(id))
	}
	return id, nil
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) error {
	return s.withSession(w, r, s.cfg.Service.Get)
}

func (s *Server) cancelSession(w http.ResponseWriter, r *http.Request) error {
	return s.withSession(w, r, s.cfg.Service.Cancel)
}

func (s *Server) refreshSession(w http.ResponseWriter, r *http.Request) error {
	return s.withSession(w, r, s.cfg.Service.Refresh)
}

// withSession answers with the session an operation on {id} returns.
func (s *Server) withSession(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, tenantID, id string) (*signing.Session, error)) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	sess, err := op(r.Context(), tenantFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	body, ok := s.answers.get(sess)
	if !ok {
		if body, err = encodeJSON(s.cfg.Presenter.Session(sess)); err != nil {
			return err
		}
		s.answers.put(sess, body)
	}
	writeEncoded(w, http.StatusOK, body)
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	f, err := s.listFilter(r)
	if err != nil {
		return err
	}
	list, more, err := s.cfg.Service.List(r.Context(), tenantFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	resp := api.SessionList{Data: s.cfg.Presenter.Sessions(list)}
	if more && len(list) > 0 {
		last := list[len(list)-1]
		resp.NextCursor = encodeCursor(signing.Cursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// maxQueryParams bounds a query string; no route takes more than a few.
const maxQueryParams = 20

// query parses r's query string strictly: a malformed one (a ';', a bad
// %-escape, too many parameters, one given twice) is a 400, never a
// silently dropped filter.
func query(r *http.Request, known ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, signing.Invalid("query", "is malformed: use name=value pairs joined by &, with %%-escapes such as %%20")
	}
	v := &signing.ValidationError{}
	if len(q) > maxQueryParams {
		v.Add("query", "has more than %d parameters", maxQueryParams)
		return nil, v
	}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		switch {
		case name == "":
			v.Add("query", "has a parameter with an empty name")
		case !slices.Contains(known, name):
			v.Add(clip(name), "is not a known query parameter; known: %s", strings.Join(known, ", "))
		case len(q[name]) > 1:
			v.Add(name, "is given %d times; give it once", len(q[name]))
		}
	}
	return q, v.Err()
}

func (s *Server) listFilter(r *http.Request) (signing.ListFilter, error) {
	q, err := query(r, "orderId", "status", "provider", "limit", "cursor")
	if err != nil {
		return signing.ListFilter{}, err
	}
	v := &signing.ValidationError{}
	f := signing.ListFilter{Limit: 20, OrderID: q.Get("orderId"), Provider: q.Get("provider"), Status: signing.Status(q.Get("status"))}
	if utf8.RuneCountInString(f.OrderID) > signing.MaxOrderIDLen {
		v.Add("orderId", "must be at most %d characters", signing.MaxOrderIDLen)
	}
	if f.Status != "" && !f.Status.Valid() {
		v.Add("status", "must be one of PENDING, IN_PROGRESS, COMPLETED, FAILED, EXPIRED, CANCELLED")
	}
	if f.Provider != "" {
		known := false
		for _, p := range s.cfg.Service.Providers() {
			known = known || p.Name == f.Provider
		}
		if !known {
			v.Add("provider", "unknown provider %s", signing.Quote(f.Provider))
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			v.Add("limit", "must be a whole number from 1 to 100")
		}
		f.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		cur, err := decodeCursor(c)
		if err != nil {
			v.Add("cursor", "is not a cursor this API returned")
		}
		f.After = &cur
	}
	return f, v.Err()
}

// encodeCursor is a page's opaque nextCursor.
func encodeCursor(c signing.Cursor) string { return cursor.Encode(c) }

// decodeCursor reads a cursor of encodeCursor whose id is a session id.
func decodeCursor(s string) (signing.Cursor, error) {
	c, err := cursor.Decode(s)
	if err != nil {
		return c, err
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return signing.Cursor{}, fmt.Errorf("bad cursor")
	}
	return c, nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	entries, err := s.cfg.Service.Events(r.Context(), tenantFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.EventList{Data: present.Events(entries)})
	return nil
}

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, api.ProviderList{Providers: present.Providers(s.cfg.Service.Providers())})
	return nil
}

// clip keeps an echoed path value short, whatever the client sent.
func clip(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

// attachment is a Content-Disposition for a download named name: an ASCII
// filename for every client, and filename* (RFC 6266, RFC 5987) with the
// exact UTF-8 name when it has other characters.
func attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	h := `attachment; filename="` + ascii + `"`
	if ascii != name {
		h += "; filename*=UTF-8''" + rfc5987(name)
	}
	return h
}

// rfc5987 percent-encodes every byte of s that is not an attr-char.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
