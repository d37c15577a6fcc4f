package pki_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/pki/pkitest"
)

func TestTSA(t *testing.T) {
	srv := pkitest.NewTSA(t)
	genTime := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	srv.Now = func() time.Time { return genTime }
	c := &pki.TSA{URL: srv.URL}
	data := []byte("signature value")
	token, err := c.Timestamp(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		t.Fatalf("token does not parse: %v", err)
	}
	sum := sha256.Sum256(data)
	if string(ts.HashedMessage) != string(sum[:]) {
		t.Error("token imprint is not the SHA-256 of the data")
	}
	if !ts.Time.Equal(genTime) {
		t.Errorf("genTime = %v, want %v", ts.Time, genTime)
	}
	if len(ts.Certificates) == 0 || ts.Certificates[0].Subject.CommonName != "Test TSA" {
		t.Errorf("token certificates = %d, want the TSA's", len(ts.Certificates))
	}
	if got := srv.Requests(); got != 1 {
		t.Errorf("TSA answered %d requests, want 1", got)
	}
}

// TestTSAErrors covers TSAs that answer wrongly: each must be an error,
// never a token.
func TestTSAErrors(t *testing.T) {
	good := pkitest.NewTSA(t)
	// replay answers every query with a token for other data.
	replay := func(w http.ResponseWriter, r *http.Request) {
		good.ServeHTTP(w, postQuery(t, []byte("other data"), nil, true))
	}
	// renonce answers with a token for the right data but another nonce.
	renonce := func(w http.ResponseWriter, r *http.Request) {
		req := parseQuery(t, r)
		good.ServeHTTP(w, postHashQuery(t, req.HashedMessage, big.NewInt(42), true))
	}
	// certless answers with a token without the TSA's certificate.
	certless := func(w http.ResponseWriter, r *http.Request) {
		req := parseQuery(t, r)
		good.ServeHTTP(w, postHashQuery(t, req.HashedMessage, req.Nonce, false))
	}
	// tampered answers with a good token whose signature's last byte is flipped.
	tampered := func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		good.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		b[len(b)-1] ^= 1
		w.Write(b)
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantMsg []string
	}{
		{"HTTP error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }, []string{"HTTP 503"}},
		{"not DER", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }, []string{"response"}},
		{"trailing data", func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			good.ServeHTTP(rec, r)
			w.Write(append(rec.Body.Bytes(), 0))
		}, []string{"not a TimeStampResp"}},
		{"rejection", func(w http.ResponseWriter, r *http.Request) {
			w.Write(statusResponse(t, 2, []string{"hash not supported"}, 0))
		}, []string{"not granted", "status 2 (rejection)", "badAlg", `"hash not supported"`}},
		{"waiting", func(w http.ResponseWriter, r *http.Request) {
			w.Write(statusResponse(t, 3, nil, -1))
		}, []string{"status 3 (waiting)"}},
		{"granted without token", func(w http.ResponseWriter, r *http.Request) {
			w.Write(statusResponse(t, 0, nil, -1))
		}, []string{"no token"}},
		{"token for other data", replay, []string{"other data"}},
		{"other nonce", renonce, []string{"nonce"}},
		{"no TSA certificate", certless, []string{"certificate is not in the signature"}},
		{"bad signature", tampered, []string{"signature does not verify"}},
		{"too large", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2<<20)) }, []string{"larger than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			token, err := (&pki.TSA{URL: srv.URL}).Timestamp(context.Background(), []byte("data"))
			if err == nil {
				t.Fatalf("got a token of %d bytes, want an error", len(token))
			}
			if testing.Verbose() {
				t.Log(err)
			}
			for _, want := range tt.wantMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want one mentioning %q", err, want)
				}
			}
		})
	}
}

// TestTSAGrantedWithMods accepts a token the TSA granted with
// modifications: RFC 3161 makes it as good as granted.
func TestTSAGrantedWithMods(t *testing.T) {
	good := pkitest.NewTSA(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		good.ServeHTTP(rec, r)
		resp, err := timestamp.ParseResponse(rec.Body.Bytes())
		if err != nil {
			t.Error(err)
			return
		}
		w.Write(tokenResponse(t, 1, resp.RawToken))
	}))
	defer srv.Close()
	data := []byte("data")
	token, err := (&pki.TSA{URL: srv.URL}).Timestamp(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); !bytes.Equal(ts.HashedMessage, sum[:]) {
		t.Error("token imprint is not the SHA-256 of the data")
	}
}

// TestTSAQuery checks the query Signet sends against RFC 3161 as another
// implementation reads it.
func TestTSAQuery(t *testing.T) {
	var got *timestamp.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/timestamp-query" {
			t.Errorf("Content-Type = %q", ct)
		}
		got = parseQuery(t, r)
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer srv.Close()
	data := []byte("data")
	(&pki.TSA{URL: srv.URL}).Timestamp(context.Background(), data)
	if got == nil {
		t.Fatal("no query arrived")
	}
	sum := sha256.Sum256(data)
	if got.HashAlgorithm != crypto.SHA256 || !bytes.Equal(got.HashedMessage, sum[:]) {
		t.Errorf("imprint = %v %x, want SHA-256 %x", got.HashAlgorithm, got.HashedMessage, sum)
	}
	if !got.Certificates {
		t.Error("certReq is not set")
	}
	if got.Nonce == nil || got.Nonce.Sign() <= 0 {
		t.Errorf("nonce = %v, want a positive one", got.Nonce)
	}
}

func TestTSATimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	_, err := (&pki.TSA{URL: srv.URL, Timeout: 20 * time.Millisecond}).Timestamp(context.Background(), []byte("data"))
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("err = %v, want a deadline error", err)
	}
}

// parseQuery reads the time-stamp query posted to r.
func parseQuery(t *testing.T, r *http.Request) *timestamp.Request {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// postQuery is a request posting a query for data.
func postQuery(t *testing.T, data []byte, nonce *big.Int, certReq bool) *http.Request {
	t.Helper()
	sum := sha256.Sum256(data)
	return postHashQuery(t, sum[:], nonce, certReq)
}

// postHashQuery is a request posting a query for a SHA-256 digest.
func postHashQuery(t *testing.T, digest []byte, nonce *big.Int, certReq bool) *http.Request {
	t.Helper()
	q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Nonce: nonce, Certificates: certReq}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(q))
}

// statusResponse encodes a TimeStampResp without a token: status, the
// statusString texts and, unless failBit is negative, failInfo with that bit.
func statusResponse(t *testing.T, status int, texts []string, failBit int) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(int64(status))
			if texts != nil {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, s := range texts {
						b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
					}
				})
			}
			if failBit >= 0 {
				bits := make([]byte, failBit/8+1)
				bits[failBit/8] = 0x80 >> (failBit % 8)
				b.AddASN1BitString(bits)
			}
		})
	})
	return b.BytesOrPanic()
}

// tokenResponse encodes a TimeStampResp with status and token.
func tokenResponse(t *testing.T, status int, token []byte) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(int64(status)) })
		b.AddBytes(token)
	})
	return b.BytesOrPanic()
}
