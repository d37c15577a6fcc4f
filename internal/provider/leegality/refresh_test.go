package leegality

import (
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

func TestRefreshRequest(t *testing.T) {
	f, a := newFake(t, 200, string(readTestdata(t, "details_viewed.json")))
	u, err := a.Refresh(context.Background(), signing.ProviderRef{Ref: " 01M7YRRT801H1NW31AD668CETA "})
	if err != nil {
		t.Fatal(err)
	}
	if f.Method != "GET" || f.Path != "/api/v3.3/document/details" || f.Query.Get("documentId") != "01M7YRRT801H1NW31AD668CETA" || f.Header.Get("X-Auth-Token") != "tok" {
		t.Errorf("%s %s?%s with token %q", f.Method, f.Path, f.Query.Encode(), f.Header.Get("X-Auth-Token"))
	}
	if u.Status != signing.StatusInProgress || u.ProviderStatus != "SENT/VIEWED" {
		t.Errorf("update %+v", u)
	}
}

func TestRefreshFailures(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		answer    string
		retryable bool
		notFound  bool
	}{
		{"unknown document (status 0)", 200, string(readTestdata(t, "details_not_found.json")), false, true},
		{"maintenance page", 200, "<html>maintenance</html>", true, false},
		{"no data", 200, `{"status":1,"messages":[],"data":"garbage"}`, true, false},
		{"outage", 503, "", true, false},
		{"wrong token", 401, string(readTestdata(t, "error_401.json")), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, a := newFake(t, tt.status, tt.answer)
			_, err := a.Refresh(context.Background(), signing.ProviderRef{Ref: "d-1"})
			var pe *signing.ProviderError
			if !errors.As(err, &pe) || pe.Op != "refresh" || pe.Retryable != tt.retryable || errors.Is(err, signing.ErrNotFound) != tt.notFound {
				t.Errorf("err = %v (%+v)", err, pe)
			}
		})
	}
	if _, err := newTestAdapter(t).Refresh(context.Background(), signing.ProviderRef{}); !errors.Is(err, signing.ErrInvalid) {
		t.Errorf("no ref: %v", err)
	}
}

// documentFake serves fetchDocument with data, and the signed PDF at
// /cdn/signed.pdf with fileStatus. A "/…" string in data is made absolute.
func documentFake(t *testing.T, data string, fileStatus int, file []byte) (*Adapter, *string, *int) {
	t.Helper()
	var fileToken string
	var fetches int
	e := simtest.NewEnv(t)
	e.Mux.HandleFunc("GET /api/v3.3/document/fetchDocument", func(w http.ResponseWriter, r *http.Request) {
		fetches++
		if r.URL.Query().Get("documentId") != "d-1" || r.URL.Query().Get("documentDownloadType") != "DOCUMENT" || r.Header.Get("X-Auth-Token") != "tok" {
			t.Errorf("fetchDocument %s", r.URL)
		}
		_, _ = w.Write([]byte(strings.ReplaceAll(data, `"/cdn/`, `"`+e.Srv.URL+`/cdn/`)))
	})
	e.Mux.HandleFunc("GET /cdn/signed.pdf", func(w http.ResponseWriter, r *http.Request) {
		fileToken = r.Header.Get("X-Auth-Token")
		w.WriteHeader(fileStatus)
		_, _ = w.Write(file)
	})
	a := newTestAdapter(t, func(c *Config) { c.BaseURL = e.Srv.URL + "/api"; c.HTTPClient = e.Srv.Client() })
	return a, &fileToken, &fetches
}

func TestFetchDocument(t *testing.T) {
	std := base64.StdEncoding.EncodeToString(signedPDF)
	tests := []struct {
		name string
		data string
	}{
		{"v3.3 link", `{"status":1,"messages":[],"data":{"documentId":"d-1","url":"/cdn/signed.pdf","expiryDate":"21-11-2026 15:35:00"}}`},
		{"link under another name", `{"status":"1","data":{"downloadUrl":"/cdn/signed.pdf"}}`},
		{"data is the link", `{"status":1,"data":"/cdn/signed.pdf"}`},
		{"v3.2 files list", `{"status":1,"data":{"files":["/cdn/signed.pdf"]}}`},
		{"base64 file", `{"status":1,"data":{"file":"` + std + `"}}`},
		{"data is base64", `{"status":1,"data":"` + base64.RawURLEncoding.EncodeToString(signedPDF) + `"}`},
		{"data URL", `{"status":1,"data":{"document":"data:application/pdf;base64,` + std + `"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fileToken, _ := documentFake(t, tt.data, 200, signedPDF)
			got, err := a.FetchDocument(context.Background(), signing.ProviderRef{Ref: "d-1"})
			simtest.WantDownloaded(t, got, err, signedPDF, *fileToken)
		})
	}
}

func TestFetchDocumentFailures(t *testing.T) {
	link := `{"status":1,"data":{"url":"/cdn/signed.pdf"}}`
	tests := []struct {
		name       string
		data       string
		fileStatus int
		file       []byte
		retryable  bool
	}{
		{"not completed yet", string(readTestdata(t, "fetch_not_completed.json")), 200, nil, true},
		{"no link", `{"status":1,"data":{"documentId":"d-1"}}`, 200, nil, true},
		{"refused", `{"status":0,"messages":[{"code":"document.download.type","message":"Invalid document download type."}]}`, 200, nil, false},
		{"link expired (403)", link, 403, []byte("<Error><Code>AccessDenied</Code></Error>"), true},
		{"link gone (410)", link, 410, nil, true},
		{"CDN outage", link, 502, nil, true},
		{"CDN refuses", link, 400, nil, false},
		{"link serves no PDF", link, 200, []byte("<html>"), false},
		{"base64 of no PDF", `{"status":1,"data":{"file":"` + base64.StdEncoding.EncodeToString([]byte("hello")) + `"}}`, 200, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := documentFake(t, tt.data, tt.fileStatus, tt.file)
			_, err := a.FetchDocument(context.Background(), signing.ProviderRef{Ref: "d-1"})
			simtest.WantDocumentError(t, err, tt.retryable)
		})
	}
}

func TestCancel(t *testing.T) {
	f, a := newFake(t, 200, string(readTestdata(t, "delete_ok.json")))
	if err := a.Cancel(context.Background(), signing.ProviderRef{Ref: "d-1"}); err != nil {
		t.Fatal(err)
	}
	if f.Method != "DELETE" || f.Path != "/api/v3.0/sign/request" || f.Query.Get("documentId") != "d-1" || f.Header.Get("X-Auth-Token") != "tok" {
		t.Errorf("%s %s?%s", f.Method, f.Path, f.Query.Encode())
	}

	// Already deleted: nothing left to withdraw.
	_, a = newFake(t, 200, string(readTestdata(t, "details_not_found.json")))
	if err := a.Cancel(context.Background(), signing.ProviderRef{Ref: "d-1"}); err != nil {
		t.Errorf("cancel of a deleted document: %v", err)
	}

	// An HTTP 404 is not Leegality saying so: it may be a wrong BaseURL.
	_, a = newFake(t, 404, "<html>Not Found</html>")
	if err := a.Cancel(context.Background(), signing.ProviderRef{Ref: "d-1"}); err == nil {
		t.Error("cancel answered by an HTTP 404 succeeded")
	}

	// Already completed: a permanent error with Leegality's words.
	_, a = newFake(t, 200, string(readTestdata(t, "delete_completed.json")))
	err := a.Cancel(context.Background(), signing.ProviderRef{Ref: "d-1"})
	var pe *signing.ProviderError
	if !errors.As(err, &pe) || pe.Retryable || pe.Op != "cancel" || pe.Message != "Document is already completed and cannot be deleted." {
		t.Errorf("cancel of a completed document: %v", err)
	}

	_, a = newFake(t, 500, "")
	if err := a.Cancel(context.Background(), signing.ProviderRef{Ref: "d-1"}); !signing.IsRetryable(err) {
		t.Errorf("cancel during an outage: %v", err)
	}
	if err := a.Cancel(context.Background(), signing.ProviderRef{}); !errors.Is(err, signing.ErrInvalid) {
		t.Errorf("no ref: %v", err)
	}
}

func TestDownloadLink(t *testing.T) {
	for _, data := range []string{`null`, `{}`, `[]`, `42`, `"not a link nor base64 !!"`, `{"url":"ftp://x/y"}`, `{"files":"x"}`} {
		link, content := downloadLink(json.RawMessage(data))
		if link != "" || content != nil {
			t.Errorf("%s: %q, %q", data, link, content)
		}
	}
}
