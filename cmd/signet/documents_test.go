package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/minio/minio-go/v7"
	_ "modernc.org/sqlite"

	"github.com/signet-dev/signet/internal/blob"
	blobdb "github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/blob/s3test"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
)

// TestDocumentsInS3 runs `signet serve --documents s3://…` against
// versitygw, a real S3 gateway: a session is created and signed, its
// document downloaded whole, revalidated and in parts, and both the
// original and the signed PDF are objects in the bucket. Then the object
// store goes down: a create answers 503 and leaves no session behind.
func TestDocumentsInS3(t *testing.T) {
	s3srv, bin, bucket := s3Binary(t)
	docs := s3srv.DocumentsFlag(bucket)
	_, base, key := serveBinary(t, bin, "--database", testDatabase(t), "--sandbox", "--poll-interval", "1s", "--documents", docs)
	c := client{t: t, base: base, key: key}

	id := signedSession(t, c, "s3-1")

	path := "/signing/" + id + "/document"
	whole := download(t, c, path, nil, http.StatusOK)
	if _, err := pdf.Validate(whole.body); err != nil {
		t.Fatalf("the signed document is not a PDF: %v", err)
	}
	sum := sha256.Sum256(whole.body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	if got := whole.header.Get("ETag"); got != etag {
		t.Errorf("ETag = %s, want the document's SHA-256 %s", got, etag)
	}
	if whole.header.Get("Accept-Ranges") != "bytes" || !strings.HasPrefix(whole.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("document headers: %v", whole.header)
	}
	size := len(whole.body)

	if r := download(t, c, path, http.Header{"If-None-Match": {etag}}, http.StatusNotModified); len(r.body) != 0 || r.header.Get("ETag") != etag {
		t.Errorf("304: body %d bytes, ETag %q", len(r.body), r.header.Get("ETag"))
	}
	download(t, c, path, http.Header{"If-None-Match": {`"other"`}}, http.StatusOK)

	part := download(t, c, path, http.Header{"Range": {"bytes=0-3"}}, http.StatusPartialContent)
	if string(part.body) != "%PDF" || part.header.Get("Content-Range") != fmt.Sprintf("bytes 0-3/%d", size) {
		t.Errorf("206: %q, Content-Range %q", part.body, part.header.Get("Content-Range"))
	}
	tail := download(t, c, path, http.Header{"Range": {"bytes=-100"}}, http.StatusPartialContent)
	if !bytes.Equal(tail.body, whole.body[size-100:]) {
		t.Errorf("the last 100 bytes differ from the whole document's")
	}
	past := download(t, c, path, http.Header{"Range": {fmt.Sprintf("bytes=%d-", size)}}, http.StatusRequestedRangeNotSatisfiable)
	var problem map[string]any
	if err := json.Unmarshal(past.body, &problem); err != nil || problem["status"] != float64(416) ||
		past.header.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
		t.Errorf("416: %s, Content-Range %q", past.body, past.header.Get("Content-Range"))
	}

	// Both PDFs are objects in the bucket, and nothing else is.
	objects := bucketObjects(t, s3srv, bucket)
	if len(objects) != 2 {
		t.Fatalf("the bucket holds %d objects, want the original and the signed document", len(objects))
	}
	if !slices.ContainsFunc(objects, func(b []byte) bool { return bytes.Equal(b, whole.body) }) ||
		!slices.ContainsFunc(objects, func(b []byte) bool { return bytes.Equal(b, contractPDF) }) {
		t.Errorf("the bucket's objects are not the signed document and the original")
	}

	// The object store goes down.
	s3srv.Stop()
	code, out, err := c.call("POST", "/signing", createBody("s3-down"))
	if err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("create with the object store down = %d %v, %v; want 503", code, out, err)
	}
	if list := c.must("GET", "/signing?orderId=s3-down", nil, 200)["data"].([]any); len(list) != 0 {
		t.Errorf("a create that failed left %d sessions", len(list))
	}
	download(t, c, path, nil, http.StatusServiceUnavailable)
}

// s3Binary starts versitygw (skipping, saying how to install it, without
// it) with a fresh bucket, builds signet, and puts the bucket's
// credentials in the environment, where the servers started from the
// binary read them: so the test must not be parallel.
func s3Binary(t *testing.T) (*s3test.Server, string, string) {
	t.Helper()
	s3srv := s3test.Versity(t)
	bin := signetBinary(t)
	bucket := s3srv.Bucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", s3srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3srv.SecretKey)
	return s3srv, bin, bucket
}

// signedSession creates a session for orderID, signs it at the sandbox
// and waits until it is completed; it returns the session's id.
func signedSession(t *testing.T, c client, orderID string) string {
	t.Helper()
	s := c.must("POST", "/signing", createBody(orderID), 201)
	id := str(s["signingSessionId"])
	providertest.SubmitForm(t, str(s["redirectUrl"]), "sign")
	waitCompleted(t, c, id)
	return id
}

func waitCompleted(t *testing.T, c client, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := c.must("GET", "/signing/"+id, nil, 200)
		if s["status"] == "COMPLETED" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %v, not COMPLETED, after 30 s", id, s["status"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// download GETs path with the API key and extra headers and wants status.
func download(t *testing.T, c client, path string, h http.Header, status int) response {
	t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("X-API-Key", c.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("GET %s %v = %d %s; want %d", path, h, resp.StatusCode, body, status)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// bucketObjects reads every object in bucket, behind Signet's back.
func bucketObjects(t *testing.T, srv *s3test.Server, bucket string) [][]byte {
	t.Helper()
	mc, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out [][]byte
	for obj := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		o, err := mc.GetObject(ctx, bucket, obj.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o)
		o.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestServeSweepsOrphanedDocuments: serve deletes, every
// --documents-sweep-interval, the blobs older than the grace period that
// no session names, and keeps the documents of sessions.
func TestServeSweepsOrphanedDocuments(t *testing.T) {
	t.Parallel()
	h := startServer(t, "--documents-sweep-interval", "200ms", "--documents-sweep-grace", "1h")
	id := str(h.create("sweep-1")["signingSessionId"])
	docs := h.main.store.Documents()
	// An orphan as a create that died between its Put and its commit two
	// hours ago leaves one: the same store, with its clock set back.
	rows, ok := h.main.store.(blobdb.Rows)
	if !ok {
		t.Fatalf("%T keeps no blobs", h.main.store)
	}
	past, err := blobdb.New(rows, blobdb.Config{Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := past.Put(t.Context(), bytes.NewReader(contractPDF), int64(len(contractPDF)))
	if err != nil {
		t.Fatal(err)
	}
	recent, err := docs.Put(t.Context(), bytes.NewReader(contractPDF), int64(len(contractPDF)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := docs.Stat(t.Context(), orphan.Key)
		if errors.Is(err, signing.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the orphan is still there after 20 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := docs.Stat(t.Context(), recent.Key); err != nil {
		t.Errorf("an orphan within the grace period was deleted: %v", err)
	}
	sess, err := h.main.store.SessionByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := h.main.store.Document(t.Context(), sess.TenantID, id, signing.DocumentOriginal)
	if err != nil || !bytes.Equal(orig.Content, contractPDF) {
		t.Errorf("a session's document after the sweep: %v", err)
	}
}

// TestDocumentDownload: the signed document, kept in the database, comes
// with its SHA-256 as ETag, answers If-None-Match with 304 and one range
// with 206 or 416, every answer as the OpenAPI spec says (the harness's
// client checks each against it).
func TestDocumentDownload(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.create("download-1")
	id := str(s["signingSessionId"])
	h.signAtProvider(str(s["redirectUrl"]), "sign")
	h.waitStatus(id, "COMPLETED")
	path := "/signing/" + id + "/document"

	whole := h.expect(h.do("GET", path, h.key, nil), 200)
	sum := sha256.Sum256(whole.body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	if whole.header.Get("ETag") != etag {
		t.Errorf("ETag = %s, want %s", whole.header.Get("ETag"), etag)
	}
	if r := h.expect(h.do("GET", path, h.key, nil, "If-None-Match", `"x", `+etag), 304); len(r.body) != 0 {
		t.Errorf("304 with a body of %d bytes", len(r.body))
	}
	h.expect(h.do("GET", path, h.key, nil, "If-None-Match", `"`+strings.Repeat("0", 64)+`"`), 200)
	mid := h.expect(h.do("GET", path, h.key, nil, "Range", "bytes=10-19"), 206)
	if !bytes.Equal(mid.body, whole.body[10:20]) || mid.header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(whole.body)) {
		t.Errorf("206: %q, %s", mid.body, mid.header.Get("Content-Range"))
	}
	// A stale If-Range gets the whole document.
	h.expect(h.do("GET", path, h.key, nil, "Range", "bytes=10-19", "If-Range", `"old"`), 200)
	h.expect(h.do("GET", path, h.key, nil, "Range", fmt.Sprintf("bytes=%d-", len(whole.body))), 416)
	// A session that is not completed has no document, whatever the headers.
	open := h.create("download-2")
	h.expect(h.do("GET", "/signing/"+str(open["signingSessionId"])+"/document", h.key, nil, "Range", "bytes=0-3"), 409)
}

// TestSweeperWindows: the first sweep of a process covers every blob older
// than the grace period, the next ones a day behind it, and one a day
// everything again. Each orphan is put with a key made at the time named.
func TestSweeperWindows(t *testing.T) {
	t.Parallel()
	st, err := openStore(t.Context(), "sqlite:"+t.TempDir()+"/signet.db", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rows := st.(blobdb.Rows)
	start := time.Now()
	orphan := func(at time.Time) string {
		t.Helper()
		b, err := blobdb.New(rows, blobdb.Config{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		info, err := b.Put(t.Context(), bytes.NewReader([]byte("%PDF")), 4)
		if err != nil {
			t.Fatal(err)
		}
		return info.Key
	}
	exists := func(key string) bool {
		_, err := st.Documents().Stat(t.Context(), key)
		return err == nil
	}
	now := start
	sw := &sweeper{sweep: blob.Sweeper{Store: st.Documents(), Refs: st}, interval: time.Hour, grace: time.Hour,
		now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler)}

	ancient, young := orphan(start.Add(-30*24*time.Hour)), orphan(start.Add(-time.Minute))
	sw.once(t.Context())
	if exists(ancient) || !exists(young) {
		t.Fatalf("first sweep: the month-old orphan exists %v, the minute-old one %v; want only the young one kept", exists(ancient), exists(young))
	}
	// Two hours on: the young orphan is past the grace period. One from
	// two days ago (a signed document replaced long after it was made) is
	// outside the day-long window.
	now = start.Add(2 * time.Hour)
	old := orphan(start.Add(-48 * time.Hour))
	sw.once(t.Context())
	if exists(young) || !exists(old) {
		t.Fatalf("windowed sweep: the young orphan exists %v, the two-day-old one %v; want only the old one kept", exists(young), exists(old))
	}
	// A day after the first sweep, one covers everything again.
	now = start.Add(sweepWindow + time.Minute)
	sw.once(t.Context())
	if exists(old) {
		t.Error("the daily sweep of everything left the two-day-old orphan")
	}
}

// TestMovingDocumentsToS3: an installation that kept its documents in the
// database and is restarted with --documents s3://… still serves every
// document stored before, whole and in parts, without copying them; the
// documents made after the switch go to the bucket; and `signet documents
// move`, run beside the server, takes the earlier ones across.
func TestMovingDocumentsToS3(t *testing.T) {
	s3srv, bin, bucket := s3Binary(t)
	database := testDatabase(t)
	first, base, key := serveBinary(t, bin, "--database", database, "--sandbox", "--poll-interval", "1s")
	c := client{t: t, base: base, key: key}
	id := signedSession(t, c, "before-switch")
	path := "/signing/" + id + "/document"
	before := download(t, c, path, nil, http.StatusOK)
	if err := first.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first server did not stop cleanly: %v", err)
	}

	_, base, _ = serveBinary(t, bin, "--database", database, "--sandbox", "--poll-interval", "1s", "--documents", s3srv.DocumentsFlag(bucket))
	c = client{t: t, base: base, key: key}
	after := download(t, c, path, nil, http.StatusOK)
	if !bytes.Equal(after.body, before.body) || after.header.Get("ETag") != before.header.Get("ETag") {
		t.Fatalf("after the switch the signed document is %d bytes (ETag %s), before it %d (ETag %s)",
			len(after.body), after.header.Get("ETag"), len(before.body), before.header.Get("ETag"))
	}
	part := download(t, c, path, http.Header{"Range": {"bytes=0-3"}}, http.StatusPartialContent)
	if string(part.body) != "%PDF" {
		t.Errorf("a range of an earlier document: %q", part.body)
	}
	if objects := bucketObjects(t, s3srv, bucket); len(objects) != 0 {
		t.Errorf("the earlier documents were copied to the bucket: %d objects", len(objects))
	}

	// A document as releases before blobs kept it, in its row: the move
	// takes it across too.
	makeInline(t, database, id, signing.DocumentSigned)
	if inline := download(t, c, path, nil, http.StatusOK); !bytes.Equal(inline.body, before.body) {
		t.Fatalf("the document held in its row reads back different")
	}

	signedSession(t, c, "after-switch")
	if objects := bucketObjects(t, s3srv, bucket); len(objects) != 2 {
		t.Errorf("after the switch the bucket holds %d objects, want the new session's original and signed document", len(objects))
	}

	// signet documents move takes the earlier ones across while the
	// server runs, and empties the database's blob tables.
	env := map[string]string{"AWS_ACCESS_KEY_ID": s3srv.AccessKey, "AWS_SECRET_ACCESS_KEY": s3srv.SecretKey}
	var out, errOut bytes.Buffer
	args := []string{"documents", "move", "--database", database, "--documents", s3srv.DocumentsFlag(bucket), "--drain", "0s"}
	if code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("signet documents move = %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "moved 2 documents (") || !strings.Contains(out.String(), "1 of them kept in their rows") ||
		!strings.Contains(out.String(), "deleted 1 originals") {
		t.Errorf("signet documents move said %q, want 2 documents moved, 1 of them from its row, and 1 blob deleted", out.String())
	}
	if objects := bucketObjects(t, s3srv, bucket); len(objects) != 4 {
		t.Errorf("after the move the bucket holds %d objects, want both sessions' original and signed documents", len(objects))
	}
	moved := download(t, c, path, nil, http.StatusOK)
	if !bytes.Equal(moved.body, before.body) || moved.header.Get("ETag") != before.header.Get("ETag") {
		t.Errorf("after the move the signed document differs from the one stored before")
	}
	store, err := openStore(context.Background(), database, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if keys, err := store.Documents().List(context.Background(), "", 10); err != nil || len(keys) != 0 {
		t.Errorf("the database still holds blobs after the move: %v, %v", keys, err)
	}
	if code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Errorf("a second signet documents move = %d: %s", code, errOut.String())
	}
}

// makeInline rewrites a session's document row as releases before blobs
// wrote it, with the bytes in the row, and deletes the blob it named.
func makeInline(t *testing.T, database, id string, kind signing.DocumentKind) {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, database, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sess, err := store.SessionByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := store.Document(ctx, sess.TenantID, id, kind)
	if err != nil || d.BlobKey == "" {
		t.Fatalf("Document(%s) = %+v, %v; want one that names its blob", kind, d.BlobKey, err)
	}
	execSQL(t, database, `UPDATE documents SET content = ?, blob_key = NULL WHERE session_id = ? AND kind = ?`, d.Content, id, string(kind))
	if err := store.Documents().Delete(ctx, d.BlobKey); err != nil {
		t.Fatal(err)
	}
}

// execSQL runs one statement on database, a --database value; its
// parameters are written ?, as SQLite takes them.
func execSQL(t *testing.T, database, query string, args ...any) {
	t.Helper()
	driver, dsn := "pgx", database
	if path, ok := strings.CutPrefix(database, "sqlite:"); ok {
		driver, dsn = "sqlite", path
	} else {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestDocumentsMoveUsage: the move needs an object store to move to.
func TestDocumentsMoveUsage(t *testing.T) {
	for _, args := range [][]string{
		{"documents"},
		{"documents", "copy"},
		{"documents", "move"},
		{"documents", "move", "--documents", "database"},
		{"documents", "move", "--documents", "s3://bucket?endpoint=http://127.0.0.1:1&region=r", "--grace", "1s"},
		{"documents", "move", "--documents", "s3://bucket?endpoint=http://127.0.0.1:1&region=r", "--parallel", "0"},
		{"documents", "move", "--documents", "s3://bucket?endpoint=http://127.0.0.1:1&region=r", "--drain", "-1s"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); code != 2 {
			t.Errorf("signet %v = %d, want the usage error 2; stderr %s", args, code, errOut.String())
		}
	}
}
