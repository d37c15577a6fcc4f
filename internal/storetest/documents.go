package storetest

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/s3"
	"github.com/signet-dev/signet/internal/blob/s3test"
	"github.com/signet-dev/signet/internal/signing"
)

// DocStore is a store that keeps documents as blobs (package blob): in
// its own database by default, or in the blob store it was opened with.
type DocStore interface {
	Store
	blob.Referrer
	blob.Renamer
	blob.Inliner
	// Documents is the blob store that holds the documents.
	Documents() blob.Store
}

// OpenDocStore opens a fresh, empty, migrated store that keeps its
// documents in docs, or in its database if docs is nil, and closes it
// when t ends.
type OpenDocStore func(t *testing.T, docs blob.Store) DocStore

// RunDocuments holds a store to the write-blob-then-row protocol of
// package blob: a document's blob is stored before the row that names it,
// deleted at once if that row is not committed, and a blob store that is
// down fails the write with signing.ErrUnavailable and writes nothing.
func RunDocuments(t *testing.T, open OpenDocStore) {
	for _, tt := range documentTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open)
		})
	}
}

var documentTests = []struct {
	name string
	run  func(t *testing.T, open OpenDocStore)
}{
	{"OriginalIsABlob", func(t *testing.T, open OpenDocStore) {
		st := open(t, nil)
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		want := originalOf(s)
		h := header(t, st, s, signing.DocumentOriginal)
		if h.BlobKey == "" || h.Content != nil || h.SHA256 != want.SHA256 || h.Filename != want.Filename {
			t.Fatalf("DocumentHeader = %+v, want a blob key, no content, and the document's name and digest", h)
		}
		if got := readBlob(t, st.Documents(), h.BlobKey); !bytes.Equal(got, want.Content) {
			t.Errorf("blob %s = %q, want %q", h.BlobKey, got, want.Content)
		}
		got, err := st.Document(t.Context(), s.TenantID, s.ID, signing.DocumentOriginal)
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, got, want)
		if got.BlobKey != h.BlobKey {
			t.Errorf("Document's BlobKey = %q, want %q", got.BlobKey, h.BlobKey)
		}
		if keys := listBlobs(t, st.Documents()); !slices.Equal(keys, []string{h.BlobKey}) {
			t.Errorf("blobs = %v, want only %s", keys, h.BlobKey)
		}
	}},
	{"FailedCreateDeletesItsBlob", func(t *testing.T, open OpenDocStore) {
		st := open(t, nil)
		ctx := t.Context()
		tn := newTenant(t, st, "acme")
		s := create(t, st, newSession(tn, base))
		first := header(t, st, s, signing.DocumentOriginal).BlobKey
		// The same id again: the commit fails after the blob was put.
		dup := newSession(tn, base)
		dup.ID = s.ID
		wantErr(t, "CreateSession(duplicate id)", st.CreateSession(ctx, dup, originalOf(dup), nil), signing.ErrConflict)
		// An unknown tenant: the same.
		ghost := newSession(signing.Tenant{ID: "nobody"}, base)
		wantErr(t, "CreateSession(unknown tenant)", st.CreateSession(ctx, ghost, originalOf(ghost), nil), signing.ErrNotFound)
		if keys := listBlobs(t, st.Documents()); !slices.Equal(keys, []string{first}) {
			t.Errorf("blobs after two failed creates = %v, want only the first session's %s", keys, first)
		}
	}},
	{"DocumentOfSeveralChunks", func(t *testing.T, open OpenDocStore) {
		// Over a chunk of the database's blob store: the chunks before
		// the last are written ahead of the session's transaction, so a
		// create that fails must delete them.
		st := open(t, nil)
		ctx := t.Context()
		tn := newTenant(t, st, "acme")
		s := newSession(tn, base)
		big := originalOf(s)
		big.Content = bytes.Repeat([]byte("%PDF large contract "), 40_000) // 800 KB
		if err := st.CreateSession(ctx, s, big, nil); err != nil {
			t.Fatal(err)
		}
		got, err := st.Document(ctx, tn.ID, s.ID, signing.DocumentOriginal)
		if err != nil || !bytes.Equal(got.Content, big.Content) {
			t.Fatalf("Document of %d bytes: got %d bytes, %v", len(big.Content), len(got.Content), err)
		}
		first := header(t, st, s, signing.DocumentOriginal).BlobKey
		dup := newSession(tn, base)
		dup.ID = s.ID
		again := originalOf(dup)
		again.Content = big.Content
		wantErr(t, "CreateSession(duplicate id, large document)", st.CreateSession(ctx, dup, again, nil), signing.ErrConflict)
		if keys := listBlobs(t, st.Documents()); !slices.Equal(keys, []string{first}) {
			t.Errorf("blobs after a failed create of a large document = %v, want only %s", keys, first)
		}
	}},
	{"BlobStoreDownFailsTheCreate", func(t *testing.T, open OpenDocStore) {
		srv := s3test.Fake(t)
		docs, err := s3.New(srv.Config(t, nil))
		if err != nil {
			t.Fatal(err)
		}
		st := open(t, docs)
		tn := newTenant(t, st, "acme")
		up := create(t, st, newSession(tn, base))
		srv.Stop()

		s := newSession(tn, base.Add(time.Second))
		err = st.CreateSession(t.Context(), s, originalOf(s), []signing.AuditEntry{createdEntry(s)})
		wantErr(t, "CreateSession with the blob store down", err, signing.ErrUnavailable)
		_, err = st.Session(t.Context(), tn.ID, s.ID)
		wantErr(t, "Session after a create that failed", err, signing.ErrNotFound)
		// A document already stored is unavailable too, not missing.
		_, err = st.Document(t.Context(), tn.ID, up.ID, signing.DocumentOriginal)
		wantErr(t, "Document with the blob store down", err, signing.ErrUnavailable)
		// And so is a signed document, which then is not recorded.
		wantErr(t, "UpdateSession with the blob store down", st.UpdateSession(t.Context(), complete(up, base.Add(time.Hour), "down")), signing.ErrUnavailable)
		if got := mustSession(t, st, tn.ID, up.ID); got.Status != up.Status || got.Version != up.Version {
			t.Errorf("session after a failed update: %s v%d, want %s v%d", got.Status, got.Version, up.Status, up.Version)
		}
	}},
	{"InAnObjectStore", func(t *testing.T, open OpenDocStore) {
		srv := s3test.Fake(t)
		docs, err := s3.New(srv.Config(t, nil))
		if err != nil {
			t.Fatal(err)
		}
		st := open(t, docs)
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		c := complete(s, base.Add(time.Hour), "s3")
		if err := st.UpdateSession(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		for _, want := range []signing.Document{originalOf(s), *c.Signed} {
			h := header(t, st, s, want.Kind)
			if got := readBlob(t, docs, h.BlobKey); !bytes.Equal(got, want.Content) {
				t.Errorf("object %s (%s) = %q, want %q", h.BlobKey, want.Kind, got, want.Content)
			}
			got, err := st.Document(t.Context(), s.TenantID, s.ID, want.Kind)
			if err != nil {
				t.Fatal(err)
			}
			checkDocument(t, got, want)
		}
	}},
	{"SignedIsABlob", func(t *testing.T, open OpenDocStore) {
		st := open(t, nil)
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		orig := header(t, st, s, signing.DocumentOriginal).BlobKey

		// A stale update's blob is deleted with its failed write.
		stale := complete(s, base.Add(time.Hour), "stale")
		stale.ExpectVersion++
		wantErr(t, "UpdateSession(stale)", st.UpdateSession(ctx, stale), signing.ErrStale)
		if stale.Signed.BlobKey != "" || stale.Signed.Content == nil {
			t.Errorf("UpdateSession changed the caller's document: %+v", stale.Signed)
		}
		if keys := listBlobs(t, st.Documents()); !slices.Equal(keys, []string{orig}) {
			t.Errorf("blobs after a stale update = %v, want only the original %s", keys, orig)
		}

		c := complete(s, base.Add(time.Hour), "signed")
		if err := st.UpdateSession(ctx, c); err != nil {
			t.Fatal(err)
		}
		h := header(t, st, s, signing.DocumentSigned)
		if h.BlobKey == "" || h.BlobKey == orig || h.Content != nil {
			t.Fatalf("signed DocumentHeader = %+v, want a blob of its own", h)
		}
		got, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentSigned)
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, got, *c.Signed)
	}},
	{"UpdateSessionsDeletesSkippedBlobs", func(t *testing.T, open OpenDocStore) {
		st := open(t, nil)
		tn := newTenant(t, st, "acme")
		a := create(t, st, newSession(tn, base))
		b := create(t, st, newSession(tn, base.Add(time.Second)))
		before := listBlobs(t, st.Documents())
		skipped := complete(b, base.Add(time.Hour), "skipped")
		skipped.ExpectVersion++
		results, err := st.UpdateSessions(t.Context(), []signing.Change{complete(a, base.Add(time.Hour), "applied"), skipped})
		if err != nil || len(results) != 2 || results[0] != nil {
			t.Fatalf("UpdateSessions = %v, %v", results, err)
		}
		wantErr(t, "the stale change", results[1], signing.ErrStale)
		signed := header(t, st, a, signing.DocumentSigned).BlobKey
		want := append(slices.Clone(before), signed)
		slices.Sort(want)
		if keys := listBlobs(t, st.Documents()); !slices.Equal(keys, want) {
			t.Errorf("blobs = %v, want the originals and the applied change's signed document: %v", keys, want)
		}
	}},
	{"SweepDeletesOnlyOrphans", func(t *testing.T, open OpenDocStore) {
		st := open(t, nil)
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		orphan, err := st.Documents().Put(ctx, bytes.NewReader([]byte("%PDF orphan")), -1)
		if err != nil {
			t.Fatal(err)
		}
		sw := blob.Sweeper{Store: st.Documents(), Refs: st, Page: 1}
		// Within the grace period nothing is touched.
		if n, err := sw.Sweep(ctx, time.Time{}, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Errorf("Sweep of the past = %d, %v; want 0", n, err)
		}
		if n, err := sw.Sweep(ctx, time.Time{}, time.Now().Add(time.Minute)); err != nil || n != 1 {
			t.Errorf("Sweep = %d, %v; want the one orphan", n, err)
		}
		_, err = st.Documents().Stat(ctx, orphan.Key)
		wantErr(t, "Stat(orphan) after the sweep", err, signing.ErrNotFound)
		got, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentOriginal)
		if err != nil {
			t.Fatalf("Document after the sweep: %v", err)
		}
		checkDocument(t, got, originalOf(s))
	}},
}

// LegacyDocument is a document row as releases before blobs (migrations
// 0001–0010) wrote it: its content in the row.
var LegacyDocument = []byte("%PDF-1.4 stored in its row\x00\xff")

// LegacyDocumentSHA256 is LegacyDocument's digest, as its row records it.
var LegacyDocumentSHA256 = signing.SHA256Hex(LegacyDocument)

// CheckLegacyDocumentMoves checks that a blob.Mover (`signet documents
// move`) takes the original document of session id, stored in its row as
// LegacyDocument, to an object store: the row then names a blob that
// holds those bytes, and holds them no more; a second move has nothing
// left to do.
func CheckLegacyDocumentMoves(t *testing.T, st DocStore, tenantID, id string) {
	t.Helper()
	ctx := t.Context()
	to, err := s3.New(s3test.Fake(t).Config(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	m := blob.Mover{From: st.Documents(), To: to, Rows: st, Inline: st, Grace: time.Hour}
	moved, err := m.Move(ctx)
	if err != nil || moved.Inline != 1 || len(moved.Mismatched) != 0 {
		t.Fatalf("Move = %+v, %v; want the legacy document moved", moved, err)
	}
	h, err := st.DocumentHeader(ctx, tenantID, id, signing.DocumentOriginal)
	if err != nil {
		t.Fatal(err)
	}
	if h.Content != nil || h.BlobKey == "" || h.SHA256 != LegacyDocumentSHA256 || h.Filename != "legacy.pdf" {
		t.Fatalf("after the move DocumentHeader = %+v, want a blob key, no content, the same name and digest", h)
	}
	if got := readBlob(t, to, h.BlobKey); !bytes.Equal(got, LegacyDocument) {
		t.Errorf("the moved blob holds %q, want %q", got, LegacyDocument)
	}
	again, err := m.Move(ctx)
	if err != nil || again.Inline != 0 || again.Blobs != 0 {
		t.Errorf("a second Move = %+v, %v; want nothing left to do", again, err)
	}
}

// CheckLegacyDocument checks that the original document of session id,
// stored in its row before migration 0011 as LegacyDocument, reads back,
// and that a sweep leaves it alone.
func CheckLegacyDocument(t *testing.T, st DocStore, tenantID, id string) {
	t.Helper()
	ctx := t.Context()
	sw := blob.Sweeper{Store: st.Documents(), Refs: st}
	if _, err := sw.Sweep(ctx, time.Time{}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h, err := st.DocumentHeader(ctx, tenantID, id, signing.DocumentOriginal)
	if err != nil {
		t.Fatalf("DocumentHeader(legacy): %v", err)
	}
	if h.BlobKey != "" || !bytes.Equal(h.Content, LegacyDocument) {
		t.Errorf("legacy DocumentHeader: key %q, content %q; want its content", h.BlobKey, h.Content)
	}
	d, err := st.Document(ctx, tenantID, id, signing.DocumentOriginal)
	if err != nil {
		t.Fatalf("Document(legacy): %v", err)
	}
	if !bytes.Equal(d.Content, LegacyDocument) || d.Filename != "legacy.pdf" {
		t.Errorf("legacy document: %q %q", d.Filename, d.Content)
	}
}

func header(t *testing.T, st DocStore, s *signing.Session, kind signing.DocumentKind) signing.Document {
	t.Helper()
	h, err := st.DocumentHeader(t.Context(), s.TenantID, s.ID, kind)
	if err != nil {
		t.Fatalf("DocumentHeader(%s): %v", kind, err)
	}
	return h
}

func readBlob(t *testing.T, docs blob.Store, key string) []byte {
	t.Helper()
	r, err := docs.Open(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// listBlobs lists every blob of docs, in order.
func listBlobs(t *testing.T, docs blob.Store) []string {
	t.Helper()
	keys, err := docs.List(context.WithoutCancel(t.Context()), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
