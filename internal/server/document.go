package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/signing"
)

// getDocument serves a COMPLETED session's signed PDF, streamed from the
// blob store, with the ETag, If-None-Match and Range of blob.Serve; a
// range past the end is a problem document, as every error is.
func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	tenant := tenantFrom(r.Context()).ID
	var doc signing.Document
	if s.cfg.Documents != nil {
		doc, err = s.cfg.Service.DocumentHeader(r.Context(), tenant, id)
	} else {
		doc, err = s.cfg.Service.Document(r.Context(), tenant, id)
	}
	if err != nil {
		return err
	}
	info, from, err := s.documentSource(r, doc)
	if err != nil {
		return err
	}
	// The ETag is the document's SHA-256, as recorded with the session.
	info.SHA256 = doc.SHA256
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if status, _, _ := blob.Answer(r, info); status == http.StatusRequestedRangeNotSatisfiable {
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
		return &problem{Problem: api.Problem{Type: problemType("range-not-satisfiable"), Title: "Range not satisfiable",
			Status: status, Detail: fmt.Sprintf("the document has %d bytes; the range starts past its end", info.Size), Instance: r.URL.Path}}
	}
	h.Set("Content-Disposition", attachment(doc.Filename))
	sw := &startWriter{ResponseWriter: w}
	if err := blob.Serve(sw, r, from, info); err != nil {
		if !sw.started {
			return err // the blob store's error (503), with w untouched
		}
		s.log.Warn("serving a document was cut short", "session", id, "err", err)
	}
	return nil
}

// startWriter tells an error before the response from one during its body.
type startWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startWriter) WriteHeader(code int) {
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *startWriter) Write(p []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(p)
}

func (w *startWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Documents is what the API needs of the blob store: a blob's size, and
// its bytes.
type Documents interface {
	blob.Opener
	Stat(ctx context.Context, key string) (blob.Info, error)
}

// documentSource is where doc's bytes come from: its blob, or, for a
// document read whole (stored in its row before blobs, or read through
// the Service without Documents), memory.
func (s *Server) documentSource(r *http.Request, doc signing.Document) (blob.Info, blob.Opener, error) {
	if doc.BlobKey == "" || s.cfg.Documents == nil {
		return blob.Info{Size: int64(len(doc.Content))}, inMemory(doc.Content), nil
	}
	info, err := s.cfg.Documents.Stat(r.Context(), doc.BlobKey)
	if errors.Is(err, signing.ErrNotFound) {
		// A row names it, so it is lost, not missing: a server fault.
		return blob.Info{}, nil, fmt.Errorf("document %s: blob %s is missing: %v", doc.SessionID, doc.BlobKey, err)
	}
	return info, s.cfg.Documents, err
}

// inMemory serves a document held in memory.
type inMemory []byte

func (m inMemory) Open(_ context.Context, _ string, offset, length int64) (io.ReadCloser, error) {
	if err := blob.CheckRange(int64(len(m)), offset, length); err != nil {
		return nil, err
	}
	end := int64(len(m))
	if length >= 0 {
		end = min(end, offset+length)
	}
	return io.NopCloser(bytes.NewReader(m[offset:end])), nil
}
