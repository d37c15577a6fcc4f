package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/blobtest"
	"github.com/signet-dev/signet/internal/blob/s3"
	"github.com/signet-dev/signet/internal/blob/s3test"
	"github.com/signet-dev/signet/internal/signing"
)

func newStore(t *testing.T, c s3.Config) *s3.Store {
	t.Helper()
	s, err := s3.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func harness(srv *s3test.Server) blobtest.Harness {
	h := blobtest.Harness{
		New: func(t *testing.T, now func() time.Time) blob.Store {
			return newStore(t, srv.Config(t, now))
		},
		Down: func(t *testing.T) blob.Store {
			return newStore(t, s3.Config{Bucket: "signet", Endpoint: s3test.DeadEndpoint(t), AccessKey: "k", SecretKey: "s", Region: "us-east-1", MaxRetries: 1})
		},
	}
	if !srv.InProcess {
		// Out of process, the heap is the client's alone: a 20 MiB put
		// must not hold the blob (unknown size: a 5 MiB part, and garbage).
		h.MaxPutHeap = 16 << 20
	}
	return h
}

func TestConformanceVersity(t *testing.T) {
	blobtest.Run(t, harness(s3test.Versity(t)))
}

func TestConformanceGoFakeS3(t *testing.T) {
	blobtest.Run(t, harness(s3test.Fake(t)))
}

// servers runs f against each server there is.
func servers(t *testing.T, f func(t *testing.T, srv *s3test.Server)) {
	t.Run("versitygw", func(t *testing.T) { f(t, s3test.Versity(t)) })
	t.Run("gofakes3", func(t *testing.T) { f(t, s3test.Fake(t)) })
}

// What the object looks like to any S3 client: a PDF, under the prefix,
// with its digest in the metadata, and, where the server keeps checksums,
// the SHA-256 that it checked.
func TestObject(t *testing.T) {
	servers(t, func(t *testing.T, srv *s3test.Server) {
		ctx := context.Background()
		c := srv.Config(t, nil)
		c.Prefix = "signet/docs/"
		s := newStore(t, c)
		client, err := srv.Client()
		if err != nil {
			t.Fatal(err)
		}
		doc := []byte("%PDF-1.7\n" + strings.Repeat("x", 5000))
		sum := sha256.Sum256(doc)
		for _, stream := range []bool{false, true} {
			var r = bytes.NewReader(doc)
			var info blob.Info
			if stream {
				info, err = s.Put(ctx, onlyReader{r}, int64(len(doc)))
			} else {
				info, err = s.Put(ctx, r, int64(len(doc)))
			}
			if err != nil {
				t.Fatal(err)
			}
			oi, err := client.StatObject(ctx, c.Bucket, "signet/docs/"+info.Key, minio.StatObjectOptions{Checksum: true})
			if err != nil {
				t.Fatalf("stream %v: the object is not under the prefix: %v", stream, err)
			}
			if oi.ContentType != blob.ContentType || oi.UserMetadata["Sha256"] != info.SHA256 || oi.Size != int64(len(doc)) {
				t.Errorf("stream %v: object has type %q, metadata %v, size %d; want %s, sha256 %s, %d",
					stream, oi.ContentType, oi.UserMetadata, oi.Size, blob.ContentType, info.SHA256, len(doc))
			}
			if want := base64.StdEncoding.EncodeToString(sum[:]); !srv.InProcess && !stream && oi.ChecksumSHA256 != want {
				t.Errorf("server-side checksum %q, want %q", oi.ChecksumSHA256, want)
			}
		}
		keys, err := s.List(ctx, "", 10)
		if err != nil || len(keys) != 2 {
			t.Errorf("List = %v, %v; want the two keys without the prefix", keys, err)
		}
	})
}

// The sweep never deletes what Signet did not write, even under its prefix.
func TestSweepSparesForeignObjects(t *testing.T) {
	servers(t, func(t *testing.T, srv *s3test.Server) {
		ctx := context.Background()
		c := srv.Config(t, nil)
		s := newStore(t, c)
		client, err := srv.Client()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"README.txt", "0190a1b2-zzzz", "ffffffff-ffff-7fff-bfff-ffffffffffff.bak"} {
			if _, err := client.PutObject(ctx, c.Bucket, name, strings.NewReader("hello"), 5, minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		orphan, err := s.Put(ctx, strings.NewReader("orphan"), 6)
		if err != nil {
			t.Fatal(err)
		}
		sw := &blob.Sweeper{Store: s, Refs: noRefs{}}
		if n, err := sw.Sweep(ctx, time.Time{}, time.Now().Add(time.Hour)); n != 1 || err != nil {
			t.Errorf("Sweep = %d, %v; want 1 (the orphan)", n, err)
		}
		if _, err := s.Stat(ctx, orphan.Key); !errors.Is(err, signing.ErrNotFound) {
			t.Errorf("orphan still there: %v", err)
		}
		keys, _ := s.List(ctx, "", 10)
		if len(keys) != 3 {
			t.Errorf("List after the sweep = %v, want the 3 foreign objects", keys)
		}
	})
}

type noRefs struct{}

func (noRefs) ReferencedBlobs(context.Context, []string) ([]string, error) { return nil, nil }

type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// A server that stops answering mid-life gives ErrUnavailable, not a hang
// or a half-written blob.
func TestServerStops(t *testing.T) {
	srv := s3test.Versity(t)
	ctx := context.Background()
	s := newStore(t, srv.Config(t, nil))
	info, err := s.Put(ctx, strings.NewReader("before"), 6)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := s.Put(ctx, strings.NewReader("after"), 5); !errors.Is(err, signing.ErrUnavailable) {
		t.Errorf("Put to a stopped server: %v, want ErrUnavailable", err)
	}
	if _, err := s.Stat(ctx, info.Key); !errors.Is(err, signing.ErrUnavailable) {
		t.Errorf("Stat on a stopped server: %v, want ErrUnavailable", err)
	}
	if err := s.Check(ctx); !errors.Is(err, signing.ErrUnavailable) {
		t.Errorf("Check on a stopped server: %v, want ErrUnavailable", err)
	}
}

func TestCheck(t *testing.T) {
	servers(t, func(t *testing.T, srv *s3test.Server) {
		ctx := context.Background()
		c := srv.Config(t, nil)
		if err := newStore(t, c).Check(ctx); err != nil {
			t.Errorf("Check of an existing bucket: %v", err)
		}
		c.Bucket = "signet-missing"
		if err := newStore(t, c).Check(ctx); err == nil || errors.Is(err, signing.ErrUnavailable) {
			t.Errorf("Check of a missing bucket: %v, want a configuration error", err)
		}
	})
}

// Wrong credentials are a configuration error (500 and a log line), not
// an outage.
func TestWrongCredentials(t *testing.T) {
	srv := s3test.Versity(t)
	c := srv.Config(t, nil)
	c.SecretKey = "wrong" + c.SecretKey
	_, err := newStore(t, c).Put(context.Background(), strings.NewReader("x"), 1)
	if err == nil || errors.Is(err, signing.ErrUnavailable) || errors.Is(err, signing.ErrNotFound) {
		t.Errorf("Put with a wrong secret: %v, want a plain error", err)
	}
}

func TestCanceled(t *testing.T) {
	srv := s3test.Fake(t)
	s := newStore(t, srv.Config(t, nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Put(ctx, strings.NewReader("x"), 1)
	if !errors.Is(err, context.Canceled) || errors.Is(err, signing.ErrUnavailable) {
		t.Errorf("Put with a canceled context: %v, want context.Canceled", err)
	}
}
