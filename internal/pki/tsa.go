package pki

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/signet-dev/signet/internal/cms"
)

// DefaultTSATimeout bounds one timestamp request when TSA.Timeout is zero.
const DefaultTSATimeout = 10 * time.Second

// maxTSAResponse caps a TSA response; real tokens are a few kilobytes.
const maxTSAResponse = 1 << 20

// TSA is an RFC 3161 time-stamping client.
type TSA struct {
	URL                string
	Username, Password string        // HTTP basic authentication, if set
	Client             *http.Client  // nil: http.DefaultClient
	Timeout            time.Duration // per request; 0: DefaultTSATimeout
}

// Timestamp asks the TSA for a timestamp on data (its SHA-256 is sent) and
// returns the DER TimeStampToken, a CMS ContentInfo ready to embed as a
// signature-time-stamp attribute. It accepts only a granted response whose
// token carries its certificate, verifies with it, and echoes the request's
// message imprint and nonce.
func (t *TSA) Timestamp(ctx context.Context, data []byte) ([]byte, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, fmt.Errorf("tsa: nonce: %w", err)
	}
	sum := sha256.Sum256(data)
	query, err := timeStampQuery(sum[:], nonce)
	if err != nil {
		return nil, fmt.Errorf("tsa: request: %w", err)
	}
	body, err := t.post(ctx, query)
	if err != nil {
		return nil, err
	}
	token, err := parseTimeStampResp(body)
	if err != nil {
		return nil, fmt.Errorf("tsa %s: response: %w", t.where(), err)
	}
	// ParseTimestamp fails unless the token's signature verifies with the
	// signer certificate the token carries.
	ts, err := cms.ParseTimestamp(token)
	if err != nil {
		return nil, fmt.Errorf("tsa %s: token: %w", t.where(), err)
	}
	switch {
	case ts.ImprintHash != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, sum[:]):
		return nil, fmt.Errorf("tsa %s: token timestamps other data", t.where())
	case ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0:
		return nil, fmt.Errorf("tsa %s: token nonce does not match the request", t.where())
	}
	return token, nil
}

// where names the TSA in errors, which are logged: its URL without the
// password it may hold.
func (t *TSA) where() string {
	u, err := url.Parse(t.URL)
	if err != nil {
		return "(unreadable URL)"
	}
	return u.Redacted()
}

func (t *TSA) post(ctx context.Context, query []byte) ([]byte, error) {
	if t.URL == "" {
		return nil, errors.New("tsa: no URL")
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTSATimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(query))
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	req.Header.Set("Content-Type", "application/timestamp-query")
	if t.Username != "" || t.Password != "" {
		req.SetBasicAuth(t.Username, t.Password)
	}
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse+1))
	if err != nil {
		return nil, fmt.Errorf("tsa %s: read response: %w", t.where(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tsa %s: HTTP %d", t.where(), resp.StatusCode)
	}
	if len(body) > maxTSAResponse {
		return nil, fmt.Errorf("tsa %s: response larger than %d bytes", t.where(), maxTSAResponse)
	}
	return body, nil
}
