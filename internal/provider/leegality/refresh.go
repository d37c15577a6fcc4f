package leegality

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Refresh reads the document (GET /v3.3/document/details) and maps it
// with mapDocument; a session of several signers also learns where each
// stands (signerUpdates). A document Leegality does not know (deleted, or never
// created with this account) is a permanent *signing.ProviderError
// wrapping signing.ErrNotFound, and Gone when Leegality says so in its own
// words (signing fails a session once that is confirmed).
func (a *Adapter) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	id, err := documentID(httpx.OpRefresh, ref)
	if err != nil {
		return signing.Update{}, err
	}
	var d document
	q := url.Values{"documentId": {id}}
	if err := a.do(ctx, call{op: httpx.OpRefresh, method: http.MethodGet, path: "/v3.3/document/details", query: q, retryBadBody: true}, &d); err != nil {
		return signing.Update{}, err
	}
	u := mapDocument(&d, a.cfg.Now())
	if len(ref.Signers) > 1 {
		u.Signers = signerUpdates(&d, ref.Signers)
	}
	return u, nil
}

// FetchDocument asks Leegality for the signed PDF
// (GET /v3.3/document/fetchDocument?documentDownloadType=DOCUMENT), which
// answers with a CDN link valid for a few minutes, and downloads it. The
// link is fetched without the auth token: it is pre-authorised and may be
// on another host.
//
// Leegality answers "no.document.found" until the document is completed;
// as Signet asks only after seeing it completed, that is taken as a file
// not ready yet: retryable. So is a link that expired before it was used
// (403, 404 or 410 from the CDN): the next call gets a fresh one.
func (a *Adapter) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	return a.fetchFile(ctx, ref, fileDocument)
}

// The documentDownloadTypes of fetchDocument Signet asks for.
const (
	fileDocument   = "DOCUMENT"    // the signed document
	fileAuditTrail = "AUDIT_TRAIL" // Leegality's audit trail of it
)

// fetchFile gets one of a completed document's files, as FetchDocument
// describes.
func (a *Adapter) fetchFile(ctx context.Context, ref signing.ProviderRef, kind string) ([]byte, error) {
	id, err := documentID(httpx.OpDocument, ref)
	if err != nil {
		return nil, err
	}
	var data json.RawMessage
	q := url.Values{"documentId": {id}, "documentDownloadType": {kind}}
	err = a.do(ctx, call{op: httpx.OpDocument, method: http.MethodGet, path: "/v3.3/document/fetchDocument", query: q, retryBadBody: true}, &data)
	var pe *signing.ProviderError
	if errors.As(err, &pe) && errors.Is(err, signing.ErrNotFound) && pe.StatusCode == http.StatusOK {
		pe.Retryable = true // not completed yet, as far as Leegality's file store knows
	}
	if err != nil {
		return nil, err
	}
	link, content := downloadLink(data)
	switch {
	case link != "":
		if content, err = a.download(ctx, link); err != nil {
			return nil, err
		}
	case content == nil:
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, Retryable: true, StatusCode: http.StatusOK,
			Message: "Leegality returned no download link for the signed document"}
	}
	if !bytes.HasPrefix(content, []byte("%PDF-")) {
		what := "the signed document"
		if kind == fileAuditTrail {
			what = "the audit trail"
		}
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, Message: what + " is not a PDF"}
	}
	return content, nil
}

// downloadLink finds the signed document in a fetchDocument answer's data:
// a URL (the v3.3 answer), or the file itself in base64 (as the details
// API's file=true and older versions give it). The data may be the value
// itself or an object holding it under one of the names seen.
func downloadLink(data json.RawMessage) (link string, content []byte) {
	data = bytes.TrimSpace(data)
	var s string
	if json.Unmarshal(data, &s) == nil {
		return fromValue(s)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return "", nil
	}
	for _, k := range []string{"url", "downloadUrl", "documentUrl", "fileUrl", "link", "file", "document"} {
		var t text
		if raw, ok := obj[k]; ok && t.UnmarshalJSON(raw) == nil && t.set() {
			if link, content = fromValue(t.trimmed()); link != "" || content != nil {
				return link, content
			}
		}
	}
	// A list of links (v3.2's files[]): the first one.
	var urls []string
	if json.Unmarshal(obj["files"], &urls) == nil && len(urls) > 0 {
		return fromValue(urls[0])
	}
	return "", nil
}

func fromValue(s string) (string, []byte) {
	s = strings.TrimSpace(s)
	if httpx.IsHTTPURL(s) {
		return s, nil
	}
	if b, err := flexjson.Base64(s); err == nil && len(b) > 0 {
		return "", b
	}
	return "", nil
}

// Cancel deletes the document at Leegality (DELETE /v3.0/sign/request),
// so that its signing link stops working. A document Leegality says it
// does not know is already gone: success (a retried cancel after a lost
// answer).
// A document that is already completed cannot be deleted: Leegality's
// status-0 answer is a permanent error carrying its message.
func (a *Adapter) Cancel(ctx context.Context, ref signing.ProviderRef) error {
	id, err := documentID(httpx.OpCancel, ref)
	if err != nil {
		return err
	}
	q := url.Values{"documentId": {id}}
	err = a.do(ctx, call{op: httpx.OpCancel, method: http.MethodDelete, path: "/v3.0/sign/request", query: q, retryBadBody: true}, nil)
	// Only Leegality's own answer (status 0 under HTTP 200) counts as "no
	// such document": an HTTP 404 may as well be a wrong BaseURL.
	var pe *signing.ProviderError
	if errors.As(err, &pe) && !pe.Retryable && pe.StatusCode == http.StatusOK && errors.Is(err, signing.ErrNotFound) {
		return nil
	}
	return err
}

func documentID(op string, ref signing.ProviderRef) (string, error) {
	id := strings.TrimSpace(ref.Ref)
	if id == "" {
		return "", fmt.Errorf("leegality %s: %w: no documentId", op, signing.ErrInvalid)
	}
	return id, nil
}

// download GETs a signed-document link, without the token. The link is
// a CDN's, not Leegality's API: its errors carry no envelope, and a link
// that expired before it was used (403, 404 or 410) is retryable, the
// next FetchDocument getting a fresh one.
func (a *Adapter) download(ctx context.Context, link string) ([]byte, error) {
	_, b, err := a.http.Do(ctx, httpx.Request{Op: httpx.OpDocument, URL: link, Accept: "application/pdf", Limit: maxResponse})
	var pe *signing.ProviderError
	if errors.As(err, &pe) && pe.StatusCode >= 300 {
		pe.Message, pe.Err = "downloading the signed document failed: "+http.StatusText(pe.StatusCode), nil
		switch pe.StatusCode {
		case http.StatusForbidden, http.StatusNotFound, http.StatusGone:
			pe.Retryable, pe.Message = true, "the download link expired before it was used"
		}
	}
	return b, err
}
