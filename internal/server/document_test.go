package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/signing"
)

// TestDocumentFromItsRow: a document stored in its row before blobs (or
// read whole) is served from memory with the same ETag, 304 and ranges
// as one streamed from the blob store.
func TestDocumentFromItsRow(t *testing.T) {
	s := &Server{}
	content := []byte("%PDF-1.4 legacy document")
	doc := signing.Document{SessionID: "s", Kind: signing.DocumentSigned, Content: content, SHA256: signing.SHA256Hex(content)}
	info, from, err := s.documentSource(httptest.NewRequest("GET", "/", nil), doc)
	if err != nil || info.Size != int64(len(content)) {
		t.Fatalf("documentSource = %+v, %v", info, err)
	}
	info.SHA256 = doc.SHA256
	etag := `"` + doc.SHA256 + `"`
	for _, tt := range []struct {
		header, value string
		status        int
		body          string
	}{
		{"", "", 200, string(content)},
		{"If-None-Match", etag, 304, ""},
		{"Range", "bytes=0-3", 206, "%PDF"},
		{"Range", "bytes=-8", 206, "document"},
		{"Range", "bytes=5-", 206, string(content[5:])},
	} {
		r := httptest.NewRequest("GET", "/signing/s/document", nil)
		if tt.header != "" {
			r.Header.Set(tt.header, tt.value)
		}
		w := httptest.NewRecorder()
		if err := blob.Serve(w, r, from, info); err != nil {
			t.Fatalf("%s %s: %v", tt.header, tt.value, err)
		}
		if w.Code != tt.status || w.Body.String() != tt.body || w.Header().Get("ETag") != etag {
			t.Errorf("%s %s = %d %q (ETag %s), want %d %q", tt.header, tt.value, w.Code, w.Body, w.Header().Get("ETag"), tt.status, tt.body)
		}
	}
	r := httptest.NewRequest("GET", "/signing/s/document", nil)
	r.Header.Set("Range", "bytes=100-")
	if status, _, _ := blob.Answer(r, info); status != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("a range past the end: %d, want 416", status)
	}
}
