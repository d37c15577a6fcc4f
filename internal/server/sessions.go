package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
)

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	var body createBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	req, err := body.toCreateRequest()
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
	writeJSON(w, http.StatusOK, s.cfg.Presenter.Session(sess))
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

func (s *Server) listFilter(r *http.Request) (signing.ListFilter, error) {
	q := r.URL.Query()
	v := &signing.ValidationError{}
	f := signing.ListFilter{Limit: 20, OrderID: q.Get("orderId"), Provider: q.Get("provider"), Status: signing.Status(q.Get("status"))}
	for name := range q {
		switch name {
		case "orderId", "status", "provider", "limit", "cursor":
		default:
			v.Add(name, "is not a known query parameter")
		}
	}
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
			v.Add("provider", "unknown provider %q", f.Provider)
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

// A cursor is opaque to clients: base64url of the last row's position.
type cursorJSON struct {
	T int64  `json:"t"`
	I string `json:"i"`
}

func encodeCursor(c signing.Cursor) string {
	b, _ := json.Marshal(cursorJSON{T: c.CreatedAt.UnixMicro(), I: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (signing.Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return signing.Cursor{}, err
	}
	var c cursorJSON
	if err := json.Unmarshal(b, &c); err != nil {
		return signing.Cursor{}, err
	}
	if _, err := uuid.Parse(c.I); err != nil || c.T <= 0 {
		return signing.Cursor{}, fmt.Errorf("bad cursor")
	}
	return signing.Cursor{CreatedAt: time.UnixMicro(c.T).UTC(), ID: c.I}, nil
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	doc, err := s.cfg.Service.Document(r.Context(), tenantFrom(r.Context()).ID, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc.Content)))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", doc.Filename))
	w.Header().Set("ETag", `"`+doc.SHA256+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	if r.Header.Get("If-None-Match") == `"`+doc.SHA256+`"` {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, _ = w.Write(doc.Content)
	return nil
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
