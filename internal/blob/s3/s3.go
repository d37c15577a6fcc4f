// Package s3 keeps blobs in an S3-compatible object store (AWS S3, MinIO,
// Ceph, versitygw, R2, …) through github.com/minio/minio-go.
//
// A blob is one object, named by its key under an optional prefix, with
// Content-Type application/pdf and its SHA-256 in the user metadata
// (x-amz-meta-sha256), which Stat reads back without reading the object.
// Since metadata travels with the request that creates an object, Put
// needs the digest before it starts:
//
//   - A reader that can seek (bytes.Reader, os.File: what a create has
//     once it has checked the PDF) is hashed first and then sent in one
//     streaming PUT that carries the metadata and x-amz-checksum-sha256,
//     which servers that support checksums verify and keep.
//   - Any other reader is streamed as it comes (one PUT, or a multipart
//     upload of 5 MiB parts when its size is unknown and over 1 MiB),
//     hashing as it goes; a server-side copy of the object onto itself
//     then sets the metadata. Over http, the streaming signature signs
//     every 64 KiB chunk, which the server checks; over https, TLS does.
//
// Either way memory stays bounded: at most a 5 MiB part is held, never
// the object. The store creates nothing: the bucket must exist (Check
// says whether it does; s3test makes one for tests). Objects of failed
// Puts are deleted; an incomplete multipart upload that a crash leaves
// is invisible to List, so buckets should carry the usual lifecycle rule
// that aborts incomplete multipart uploads after a day.
package s3

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/signing"
)

const (
	// maxSize is the most one PUT, and one server-side copy, may carry.
	maxSize = 5 << 30
	// partSize is the part of a multipart upload: S3's smallest.
	partSize = 5 << 20
	// probeSize is how much of a reader of unknown size Put reads to see
	// whether it fits one PUT from memory.
	probeSize = 1 << 20
	// metaSHA256 is the user metadata that holds a blob's digest.
	metaSHA256 = "Sha256"
)

// Config says where blobs go. ParseURL makes one from --documents.
type Config struct {
	Bucket string
	// Prefix is put before every key ("" or ending in "/"), so that one
	// bucket can serve several installations.
	Prefix string
	// Endpoint is the server's URL, scheme://host[:port]; https unless the
	// scheme is http. Empty means AWS S3.
	Endpoint string
	// Region is the bucket's region; empty asks the server.
	Region string
	// AccessKey and SecretKey (and SessionToken, if any) sign requests.
	// Without them, credentials come from the instance's IAM role (EC2,
	// ECS or EKS web identity).
	AccessKey, SecretKey, SessionToken string
	// MaxRetries bounds the tries of a request that failed for a reason
	// worth retrying; 0 means 3. A backend that is down answers Put with
	// signing.ErrUnavailable after these.
	MaxRetries int
	// Now is the clock for keys; nil means time.Now.
	Now func() time.Time
	// Transport carries the requests; nil means a transport with
	// timeouts fit for a server that went away.
	Transport http.RoundTripper
}

// String is c as a --documents URL, which ParseURL reads back; the
// credentials, which never go in the URL, are left out.
func (c Config) String() string {
	q := url.Values{}
	if c.Endpoint != "" {
		q.Set("endpoint", c.Endpoint)
	}
	if c.Region != "" {
		q.Set("region", c.Region)
	}
	u := url.URL{Scheme: "s3", Host: c.Bucket, Path: "/" + c.Prefix, RawQuery: q.Encode()}
	return u.String()
}

// ParseURL reads a --documents value of the form
// s3://BUCKET[/PREFIX]?endpoint=URL&region=R (both parameters optional;
// CONTRACT §4), with credentials from getenv: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and, if set, AWS_SESSION_TOKEN.
func ParseURL(raw string, getenv func(string) string) (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("documents URL: "+format, args...)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return bad("%v", err)
	case u.Scheme != "s3":
		return bad("want s3://BUCKET?endpoint=URL&region=R, not %s", signing.Quote(raw))
	case u.User != nil:
		return bad("credentials do not go in the URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	case u.Opaque != "" || u.Fragment != "" || u.Port() != "":
		return bad("want s3://BUCKET?endpoint=URL&region=R, not %s", signing.Quote(raw))
	}
	c := Config{Bucket: u.Host}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return bad("bucket %s: %v", signing.Quote(c.Bucket), err)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if strings.Contains(p, "//") {
			return bad("prefix %s has an empty segment", signing.Quote(p))
		}
		c.Prefix = p + "/"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("%v", err)
	}
	for name, vs := range q {
		if len(vs) != 1 {
			return bad("%s is given %d times", signing.Quote(name), len(vs))
		}
		switch v := vs[0]; name {
		case "endpoint":
			if c.Endpoint, err = endpoint(v); err != nil {
				return bad("%v", err)
			}
		case "region":
			if v == "" || strings.ContainsAny(v, " /?#") {
				return bad("region %s is not a region", signing.Quote(v))
			}
			c.Region = v
		default:
			return bad("unknown parameter %s (want endpoint, region)", signing.Quote(name))
		}
	}
	c.AccessKey, c.SecretKey = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	c.SessionToken = getenv("AWS_SESSION_TOKEN")
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return bad("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (to use the instance's IAM role)")
	}
	if _, err := New(c); err != nil { // what the client itself refuses (a host it cannot name)
		return bad("%v", err)
	}
	return c, nil
}

// endpoint checks an endpoint URL: http or https, a host, nothing else.
func endpoint(v string) (string, error) {
	e, err := url.Parse(v)
	switch {
	case err != nil:
		return "", fmt.Errorf("endpoint: %v", err)
	case e.Scheme != "http" && e.Scheme != "https":
		return "", fmt.Errorf("endpoint %s: want http://HOST[:PORT] or https://HOST[:PORT]", signing.Quote(v))
	case e.Host == "" || e.User != nil || (e.Path != "" && e.Path != "/") || e.RawQuery != "" || e.Fragment != "" || e.Opaque != "":
		return "", fmt.Errorf("endpoint %s: want only a scheme, a host and a port", signing.Quote(v))
	}
	return e.Scheme + "://" + e.Host, nil
}

// Store is a blob.Store in an S3 bucket.
type Store struct {
	client *minio.Client
	core   minio.Core
	bucket string
	prefix string
	now    func() time.Time
}

var _ blob.Store = (*Store)(nil)

// New returns a Store for c. It sends nothing: Check does.
func New(c Config) (*Store, error) {
	if err := s3utils.CheckValidBucketName(c.Bucket); err != nil {
		return nil, fmt.Errorf("blob/s3: bucket %s: %w", signing.Quote(c.Bucket), err)
	}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		return nil, fmt.Errorf("blob/s3: prefix %s must end in /", signing.Quote(c.Prefix))
	}
	ep := c.Endpoint
	if ep == "" {
		ep = "https://s3.amazonaws.com"
	}
	e, err := url.Parse(ep)
	if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
		return nil, fmt.Errorf("blob/s3: endpoint %s: want http://HOST[:PORT] or https://HOST[:PORT]", signing.Quote(ep))
	}
	secure := e.Scheme == "https"
	creds := credentials.NewStaticV4(c.AccessKey, c.SecretKey, c.SessionToken)
	if c.AccessKey == "" {
		creds = credentials.NewIAM("")
	}
	tr := c.Transport
	if tr == nil {
		t, err := minio.DefaultTransport(secure)
		if err != nil {
			return nil, fmt.Errorf("blob/s3: %w", err)
		}
		// A server that is down should be a quick 503, not a minute's wait.
		t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.ResponseHeaderTimeout = 30 * time.Second
		tr = t
	}
	retries := c.MaxRetries
	if retries <= 0 {
		retries = 3
	}
	client, err := minio.New(e.Host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       c.Region,
		BucketLookup: minio.BucketLookupAuto, // path style but for AWS's and a few others' own hosts
		Transport:    tr,
		MaxRetries:   retries,
	})
	if err != nil {
		return nil, fmt.Errorf("blob/s3: %w", err)
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	return &Store{client: client, core: minio.Core{Client: client}, bucket: c.Bucket, prefix: c.Prefix, now: now}, nil
}

// Check reports whether the bucket is there and the credentials work;
// serve should call it before it takes requests.
func (s *Store) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.fail(ctx, "check bucket", "", err)
	}
	if !ok {
		return fmt.Errorf("blob/s3: bucket %s does not exist", signing.Quote(s.bucket))
	}
	return nil
}

// Put stores what r yields as one object (see the package doc for how).
func (s *Store) Put(ctx context.Context, r io.Reader, size int64) (blob.Info, error) {
	if size > maxSize {
		return blob.Info{}, fmt.Errorf("blob/s3: %d bytes is more than one object may hold here (%d): %w", size, int64(maxSize), signing.ErrInvalid)
	}
	key := blob.NewKey(s.now())
	if rs, ok := r.(io.ReadSeeker); ok {
		return s.putKnown(ctx, key, rs, size)
	}
	if size < 0 {
		buf := make([]byte, probeSize)
		n, err := io.ReadFull(r, buf)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return s.putKnown(ctx, key, bytes.NewReader(buf[:n]), -1)
		case err != nil:
			return blob.Info{}, fmt.Errorf("blob/s3: put: %w", &blob.ReaderError{Err: err})
		}
		r = io.MultiReader(bytes.NewReader(buf), r)
	}
	return s.putStream(ctx, key, r, size)
}

// putKnown hashes rs, goes back, and sends it with its digest.
func (s *Store) putKnown(ctx context.Context, key string, rs io.ReadSeeker, size int64) (blob.Info, error) {
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: put: %w", &blob.ReaderError{Err: err})
	}
	d := blob.NewDigest(rs, size)
	if err := d.Finish(); err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: put: %w", err)
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: put: %w", &blob.ReaderError{Err: err})
	}
	info := d.Info(key)
	if info.Size > maxSize {
		return blob.Info{}, fmt.Errorf("blob/s3: %d bytes is more than one object may hold here (%d): %w", info.Size, int64(maxSize), signing.ErrInvalid)
	}
	meta := metadata(info)
	meta["X-Amz-Checksum-Sha256"] = base64.StdEncoding.EncodeToString(d.Sum())
	// A reader that can also read at an offset goes as a section of
	// itself, which the client can rewind to retry (a 503 SlowDown).
	var body io.Reader
	again := blob.NewDigest(io.LimitReader(rs, info.Size), info.Size)
	if ra, ok := rs.(io.ReaderAt); ok {
		body = io.NewSectionReader(ra, start, info.Size)
	} else {
		body = again
	}
	_, err = s.client.PutObject(ctx, s.bucket, s.prefix+key, body, info.Size, minio.PutObjectOptions{
		ContentType:      blob.ContentType,
		UserMetadata:     meta,
		DisableMultipart: true,
	})
	if err != nil {
		if again.Err() != nil {
			return blob.Info{}, fmt.Errorf("blob/s3: put: %w", again.Err())
		}
		return blob.Info{}, s.fail(ctx, "put", key, err)
	}
	return info, nil
}

// putStream sends r as it comes, then sets the metadata by a copy.
func (s *Store) putStream(ctx context.Context, key string, r io.Reader, size int64) (blob.Info, error) {
	d := blob.NewDigest(r, size)
	opts := minio.PutObjectOptions{ContentType: blob.ContentType, DisableMultipart: size >= 0}
	if size < 0 {
		opts.PartSize, opts.NumThreads = partSize, 1
	}
	obj := s.prefix + key
	_, err := s.client.PutObject(ctx, s.bucket, obj, d, size, opts)
	if err == nil {
		if err = d.Finish(); err != nil { // more than size: stored, but not what was asked
			s.discard(obj)
			return blob.Info{}, fmt.Errorf("blob/s3: put: %w", err)
		}
	}
	if err != nil {
		if d.Err() != nil {
			// The request may have been sent whole before the reader
			// failed (it yielded more than size): the server may have
			// stored it.
			s.discard(obj)
			return blob.Info{}, fmt.Errorf("blob/s3: put: %w", d.Err())
		}
		return blob.Info{}, s.fail(ctx, "put", key, err)
	}
	info := d.Info(key)
	if info.Size > maxSize {
		s.discard(obj)
		return blob.Info{}, fmt.Errorf("blob/s3: %d bytes is more than one object may hold here (%d): %w", info.Size, int64(maxSize), signing.ErrInvalid)
	}
	// No checksum is asked of this copy: versitygw 1.8.0 answers a copy
	// onto itself with the SHA-256 of nothing.
	_, err = s.client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: obj, ReplaceMetadata: true, UserMetadata: metadata(info), ContentType: blob.ContentType},
		minio.CopySrcOptions{Bucket: s.bucket, Object: obj})
	if err != nil {
		s.discard(obj)
		return blob.Info{}, s.fail(ctx, "put (setting its metadata)", key, err)
	}
	return info, nil
}

func metadata(info blob.Info) map[string]string {
	return map[string]string{metaSHA256: info.SHA256}
}

// discard deletes the object of a failed Put, even if its context is
// done; what it cannot delete, the sweep will.
func (s *Store) discard(obj string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.client.RemoveObject(ctx, s.bucket, obj, minio.RemoveObjectOptions{})
}

// Stat reads the object's size and digest from a HEAD request.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if !blob.ValidKey(key) {
		return blob.Info{}, blob.NotFound(key)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, s.fail(ctx, "stat", key, err)
	}
	return info(key, oi)
}

// info reads a blob's Info from its object's; an object without a digest
// is one whose Put has not finished, not yet a blob.
func info(key string, oi minio.ObjectInfo) (blob.Info, error) {
	sum := oi.Metadata.Get("X-Amz-Meta-" + metaSHA256)
	if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 {
		return blob.Info{}, fmt.Errorf("blob/s3: %s has no SHA-256: its Put has not finished: %w", key, signing.ErrNotFound)
	}
	return blob.Info{Key: key, Size: oi.Size, SHA256: strings.ToLower(sum)}, nil
}

// Open sends one GET, ranged unless the whole object is asked for.
func (s *Store) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if !blob.ValidKey(key) {
		return nil, blob.NotFound(key)
	}
	if offset < 0 || length < -1 {
		return nil, blob.CheckRange(0, offset, length)
	}
	if length == 0 { // no ranged GET can ask for nothing
		i, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		if err := blob.CheckRange(i.Size, offset, length); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	var opts minio.GetObjectOptions
	switch {
	case length > 0:
		_ = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		_ = opts.SetRange(offset, 0)
	}
	body, oi, _, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, opts)
	if err != nil {
		if r := minio.ToErrorResponse(err); offset == 0 && (r.StatusCode == http.StatusRequestedRangeNotSatisfiable || r.Code == "InvalidRange") {
			// Some servers refuse any range of an empty object.
			return s.Open(ctx, key, 0, 0)
		}
		return nil, s.fail(ctx, "open", key, err)
	}
	if _, err := info(key, oi); err != nil {
		body.Close()
		return nil, err
	}
	return body, nil
}

// Delete removes the object; S3 answers success for one that is not there.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !blob.ValidKey(key) {
		return nil
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		return s.fail(ctx, "delete", key, err)
	}
	return nil
}

// List lists the keys under the prefix, in order.
func (s *Store) List(ctx context.Context, after string, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing's goroutine once limit keys are in
	opts := minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true, MaxKeys: min(limit, 1000)}
	if after != "" {
		opts.StartAfter = s.prefix + after
	}
	var keys []string
	for oi := range s.client.ListObjects(ctx, s.bucket, opts) {
		if oi.Err != nil {
			return nil, s.fail(ctx, "list", "", oi.Err)
		}
		keys = append(keys, strings.TrimPrefix(oi.Key, s.prefix))
		if len(keys) == limit {
			break
		}
	}
	return keys, nil
}

// fail translates a client error into the domain's: a missing object is
// signing.ErrNotFound; a server that cannot be reached, answers 5xx or
// 429, or is too slow for ctx's deadline is signing.ErrUnavailable. Other
// answers (access denied, no such bucket) are configuration errors.
func (s *Store) fail(ctx context.Context, op, key string, err error) error {
	what := strings.TrimSpace("blob/s3: " + op + " " + key)
	r := minio.ToErrorResponse(err)
	switch {
	case r.Code == minio.NoSuchKey:
		return fmt.Errorf("%s: %w", what, signing.ErrNotFound)
	case r.Code == "InvalidRange" || r.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%s: %w: %w", what, signing.ErrInvalid, err)
	case r.StatusCode >= 500 || r.StatusCode == http.StatusTooManyRequests || r.Code == "SlowDown" || r.Code == "RequestTimeout":
		return fmt.Errorf("%s: %w: %w", what, signing.ErrUnavailable, err)
	case r.Code != "" || r.StatusCode != 0:
		return fmt.Errorf("%s: %w", what, err)
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	// No answer from S3: the network, or the server, is down (or slow).
	return fmt.Errorf("%s: %w: %w", what, signing.ErrUnavailable, err)
}
