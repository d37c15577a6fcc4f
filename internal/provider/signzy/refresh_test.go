package signzy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

var signedPDF = []byte("%PDF-1.7\nsigned by Asha\n%%EOF\n")

// documentFake serves pullData with the given finalSignedContract fields,
// and the signed PDF at /files/signed.pdf.
func documentFake(t *testing.T, contract map[string]any, file []byte, fileStatus int) (*Adapter, *string) {
	t.Helper()
	var fileAuth string
	e := simtest.NewEnv(t)
	e.Mux.HandleFunc("POST /api/v3/contract/pullData", func(w http.ResponseWriter, r *http.Request) {
		var req pullRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if !req.Base64EncodedOutput || !req.FilesInBase64 || req.ContractID != "c-1" {
			t.Errorf("pullData request %+v, want base64 output (both flags) for c-1", req)
		}
		body := map[string]any{"contractId": "c-1"}
		for k, v := range contract {
			if s, ok := v.(string); ok && len(s) > 0 && s[0] == '/' {
				v = e.Srv.URL + s
			}
			body[k] = v
		}
		_ = json.NewEncoder(w).Encode(body)
	})
	e.Mux.HandleFunc("GET /files/signed.pdf", func(w http.ResponseWriter, r *http.Request) {
		fileAuth = r.Header.Get("Authorization")
		w.WriteHeader(fileStatus)
		_, _ = w.Write(file)
	})
	a := newTestAdapter(t, func(c *Config) { c.BaseURL = e.Srv.URL; c.HTTPClient = e.Srv.Client() })
	return a, &fileAuth
}

func TestFetchDocument(t *testing.T) {
	ref := signing.ProviderRef{Ref: "c-1"}
	std := base64.StdEncoding.EncodeToString(signedPDF)
	tests := []struct {
		name     string
		contract map[string]any
	}{
		{"base64", map[string]any{"isCompleted": true, "finalSignedContract": std, "finalSignedContractHash": signing.SHA256Hex(signedPDF)}},
		{"base64, strings everywhere", map[string]any{"isCompleted": "true", "finalSignedContract": std}},
		{"base64 wrapped and unpadded", map[string]any{"isCompleted": true,
			"finalSignedContract": std[:8] + "\r\n" + base64.RawStdEncoding.EncodeToString(signedPDF)[8:]}},
		{"URL-safe base64", map[string]any{"isCompleted": true, "finalSignedContract": base64.URLEncoding.EncodeToString(signedPDF)}},
		{"data URL", map[string]any{"isCompleted": true, "finalSignedContract": "data:application/pdf;base64," + std}},
		{"hash of the base64 text", map[string]any{"isCompleted": true, "finalSignedContract": std, "finalSignedContractHash": signing.SHA256Hex([]byte(std))}},
		{"hash not SHA-256 hex", map[string]any{"isCompleted": true, "finalSignedContract": std, "finalSignedContractHash": "md5:abc"}},
		{"link", map[string]any{"isCompleted": true, "finalSignedContract": "/files/signed.pdf", "finalSignedContractHash": signing.SHA256Hex(signedPDF)}},
		// The newer filesInBase64 answer, the file under it.
		{"filesInBase64", map[string]any{"isCompleted": true, "filesInBase64": map[string]any{"finalSignedContract": std}, "finalSignedContractHash": signing.SHA256Hex(signedPDF)}},
		{"filesInBase64 and an empty top-level field", map[string]any{"isCompleted": true, "finalSignedContract": "", "filesInBase64": map[string]any{"finalSignedContract": std}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fileAuth := documentFake(t, tt.contract, signedPDF, 200)
			got, err := a.FetchDocument(context.Background(), ref)
			simtest.WantDownloaded(t, got, err, signedPDF, *fileAuth)
		})
	}
}

func TestFetchDocumentFailures(t *testing.T) {
	ref := signing.ProviderRef{Ref: "c-1"}
	tests := []struct {
		name       string
		contract   map[string]any
		fileStatus int
		file       []byte
		retryable  bool
	}{
		{"not completed", map[string]any{"isCompleted": false}, 200, nil, true},
		{"completed, no file yet", map[string]any{"isCompleted": true, "finalSignedContract": ""}, 200, nil, true},
		{"not base64", map[string]any{"isCompleted": true, "finalSignedContract": "%%%"}, 200, nil, false},
		{"not a PDF", map[string]any{"isCompleted": true, "finalSignedContract": base64.StdEncoding.EncodeToString([]byte("<html>"))}, 200, nil, false},
		{"filesInBase64 not an object", map[string]any{"isCompleted": true, "filesInBase64": true}, 200, nil, true},
		{"link gone", map[string]any{"isCompleted": true, "finalSignedContract": "/files/signed.pdf"}, 404, nil, false},
		{"link failing", map[string]any{"isCompleted": true, "finalSignedContract": "/files/signed.pdf"}, 503, nil, true},
		{"link serves no PDF", map[string]any{"isCompleted": true, "finalSignedContract": "/files/signed.pdf"}, 200, []byte("<html>"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := documentFake(t, tt.contract, tt.file, tt.fileStatus)
			_, err := a.FetchDocument(context.Background(), ref)
			simtest.WantDocumentError(t, err, tt.retryable)
		})
	}
}

func TestRefreshWithoutRef(t *testing.T) {
	a := newTestAdapter(t)
	if _, err := a.Refresh(context.Background(), signing.ProviderRef{}); !errors.Is(err, signing.ErrInvalid) {
		t.Errorf("err = %v", err)
	}
}

func TestRefreshBadJSONIsRetryable(t *testing.T) {
	_, a := newFake(t, 200, "<html>maintenance</html>")
	_, err := a.Refresh(context.Background(), signing.ProviderRef{Ref: "c-1"})
	var pe *signing.ProviderError
	if !errors.As(err, &pe) || !pe.Retryable {
		t.Errorf("err = %v, want retryable", err)
	}
}

// TestFetchDocumentHashMismatch: Signzy's undocumented hash not matching
// is put on record with the document, not a reason to refuse it.
func TestFetchDocumentHashMismatch(t *testing.T) {
	std := base64.StdEncoding.EncodeToString(signedPDF)
	wrong := signing.SHA256Hex([]byte("x"))
	a, _ := documentFake(t, map[string]any{"isCompleted": true, "finalSignedContract": std, "finalSignedContractHash": strings.ToUpper(wrong)}, nil, 200)
	got, err := a.FetchDocument(context.Background(), signing.ProviderRef{Ref: "c-1"})
	var notice *signing.DocumentNotice
	if !errors.As(err, &notice) || !bytes.Equal(got, signedPDF) {
		t.Fatalf("got %q, %v; want the document with a notice", got, err)
	}
	if !strings.Contains(notice.Message, wrong) || !strings.Contains(notice.Message, signing.SHA256Hex(signedPDF)) || notice.Provider != Name {
		t.Errorf("notice %+v", notice)
	}
}
