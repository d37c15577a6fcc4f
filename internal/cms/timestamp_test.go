package cms_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/signet-dev/signet/internal/cms"
	"github.com/signet-dev/signet/internal/pki/pkitest"
)

// token asks a local TSA (another RFC 3161 implementation) for a token on
// data with nonce.
func token(t *testing.T, tsa *pkitest.TSA, data []byte, nonce *big.Int) []byte {
	t.Helper()
	sum := sha256.Sum256(data)
	q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Nonce: nonce, Certificates: true}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	tsa.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(q)))
	body, _ := io.ReadAll(rec.Body)
	resp, err := timestamp.ParseResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.RawToken
}

func TestParseTimestamp(t *testing.T) {
	tsa := pkitest.NewTSA(t)
	genTime := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tsa.Now = func() time.Time { return genTime }
	data := []byte("signature value")
	ts, err := cms.ParseTimestamp(token(t, tsa, data, big.NewInt(987654321)))
	if err != nil {
		t.Fatal(err)
	}
	if !ts.GenTime.Equal(genTime) {
		t.Errorf("GenTime = %v, want %v", ts.GenTime, genTime)
	}
	if ts.Nonce == nil || ts.Nonce.Int64() != 987654321 {
		t.Errorf("Nonce = %v, want 987654321", ts.Nonce)
	}
	if !ts.Policy.Equal(pkitest.TestPolicy) {
		t.Errorf("Policy = %v, want %v", ts.Policy, pkitest.TestPolicy)
	}
	if ts.ImprintHash != crypto.SHA256 {
		t.Errorf("ImprintHash = %v, want SHA-256", ts.ImprintHash)
	}
	if ts.SignedData.Signer == nil || !ts.SignedData.Signer.Equal(tsa.Cert) {
		t.Error("the signer is not the TSA's certificate")
	}
	if err := ts.Covers(data); err != nil {
		t.Errorf("Covers(data) = %v", err)
	}
	if err := ts.Covers([]byte("other")); err == nil {
		t.Error("Covers(other data) = nil, want an error")
	}
}

func TestParseTimestampRefusesTampering(t *testing.T) {
	tok := token(t, pkitest.NewTSA(t), []byte("data"), nil)
	bad := bytes.Clone(tok)
	bad[len(bad)-1] ^= 1 // in the signature value
	ts, err := cms.ParseTimestamp(bad)
	if err == nil {
		t.Fatal("tampered token verified")
	}
	if ts == nil || ts.SignedData == nil || ts.SignedData.Signer == nil {
		t.Error("no SignedData to name the signer of a bad token")
	}
	if _, err := cms.ParseTimestamp(tok[:len(tok)/2]); err == nil {
		t.Error("truncated token parsed")
	}
}
