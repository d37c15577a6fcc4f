package pki_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

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
		other := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(mustQuery(t, []byte("other data"))))
		good.ServeHTTP(w, other)
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantMsg string
	}{
		{"HTTP error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }, "HTTP 503"},
		{"not DER", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }, "response"},
		{"rejection", func(w http.ResponseWriter, r *http.Request) {
			b, _ := timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadRequest)
			w.Write(b)
		}, "rejected"},
		{"token for other data", replay, "other data"},
		{"too large", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2<<20)) }, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := (&pki.TSA{URL: srv.URL}).Timestamp(context.Background(), []byte("data"))
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantMsg)
			}
		})
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

func mustQuery(t *testing.T, data []byte) string {
	t.Helper()
	q, err := timestamp.CreateRequest(strings.NewReader(string(data)), &timestamp.RequestOptions{Certificates: true})
	if err != nil {
		t.Fatal(err)
	}
	return string(q)
}
