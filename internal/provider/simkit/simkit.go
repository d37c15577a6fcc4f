// Package simkit is what the provider simulators share, so that each
// simulator's package holds only its provider's words: the plumbing an
// eSign simulator's Server is built on (Core), the mount under a base URL
// (Mount), the fault queues tests and the conformance suite use
// (Faults), the retrying callback notifier (Notifier), the signer pages'
// one HTML skeleton (Skin, Page), and the reader of a request's fields
// (Wording, Fields).
package simkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
)

// ErrorWriter answers a request with an error in the provider's format:
// the HTTP status, the provider's error code ("" for the one that goes
// with the status) and its message.
type ErrorWriter func(w http.ResponseWriter, status int, code, message string)

// Mount serves a simulator's routes under the path of its public base
// URL, such as http://127.0.0.1:8080/sandbox/signzy. A request may come
// with that path (the simulator mounted as is) or without it (behind
// http.StripPrefix, as Signet mounts it).
type Mount struct {
	// Base is the base URL without a trailing slash; links the simulator
	// hands out are built on it.
	Base string
	// Mux holds the routes, relative to the base URL's path.
	Mux *http.ServeMux

	path string
}

// NewMount checks baseURL (an absolute http(s) URL without query or
// fragment) and returns a Mount with an empty Mux.
func NewMount(baseURL string) (*Mount, error) {
	base, err := httpx.ParseBase(baseURL)
	if err != nil {
		return nil, errors.New("BaseURL " + err.Error())
	}
	u, _ := url.Parse(base) // ParseBase checked it
	return &Mount{Base: base, Mux: http.NewServeMux(), path: strings.TrimRight(u.Path, "/")}, nil
}

// ServeHTTP serves r, with the base URL's path taken off first when the
// request still carries it.
func (m *Mount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := m.path; p != "" && (strings.HasPrefix(r.URL.Path, p+"/") || r.URL.Path == p) {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, p), "/")
		u.RawPath = ""
		r2.URL = &u
		r = r2
	}
	m.Mux.ServeHTTP(w, r)
}

// ReadBody reads r's body, at most limit bytes. Past the limit it answers
// 413, and 400 when the body cannot be read, with fail, and returns false.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, fail ErrorWriter) ([]byte, bool) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		fail(w, http.StatusRequestEntityTooLarge, "", "Request entity too large")
		return nil, false
	case err != nil:
		fail(w, http.StatusBadRequest, "", "Could not read the request body")
		return nil, false
	}
	return buf.Bytes(), true
}

// WriteJSON answers v as JSON with the status and the provider's
// Content-Type.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// SHA256Hex is the hex SHA-256 of b, as the providers give a file's hash.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ClientIP is the signer's address as a simulator sees it.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return strings.TrimSpace(r.RemoteAddr)
	}
	return host
}

// WritePDF answers a PDF file named name, to be shown (inline) or saved.
func WritePDF(w http.ResponseWriter, r *http.Request, body []byte, name string, inline bool) {
	disposition := "attachment"
	if inline {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Disposition", disposition+`; filename="`+strings.NewReplacer(`"`, "", "\\", "", "\r", "", "\n", "").Replace(name)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
