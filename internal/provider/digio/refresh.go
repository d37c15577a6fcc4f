package digio

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Refresh reads the document's details (GET /v2/client/document/{id})
// and maps them with mapDocument. An unknown document is Digio's 404: a
// permanent *signing.ProviderError wrapping signing.ErrNotFound, and Gone
// when Digio says so in its own words (signing fails a session once that
// is confirmed).
func (a *Adapter) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	d, err := a.details(ctx, httpx.OpRefresh, ref)
	if err != nil {
		return signing.Update{}, err
	}
	return mapDocument(d, "", signerOrder(ref)...), nil
}

// FetchDocument downloads the signed PDF
// (GET /v2/client/document/download?document_id=…). Digio serves a
// document in whatever state it is in, so the details are read first: an
// unfinished document is a retryable error (Digio completes a document
// moments after the last signature) rather than an unsigned PDF.
func (a *Adapter) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	d, err := a.details(ctx, httpx.OpDocument, ref)
	if err != nil {
		return nil, err
	}
	if u := mapDocument(d, ""); u.Status != signing.StatusCompleted {
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, Retryable: !u.Status.Terminal(),
			Message: fmt.Sprintf("the document is not signed (%s)", u.ProviderStatus)}
	}
	q := url.Values{"document_id": {strings.TrimSpace(ref.Ref)}}
	r := a.request(httpx.OpDocument, http.MethodGet, "/v2/client/document/download?"+q.Encode(), nil)
	r.Accept, r.Limit = "application/pdf", maxPDF
	_, pdf, err := a.http.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(bytes.TrimLeft(pdf, "\r\n\t "), []byte("%PDF-")) {
		return nil, &signing.ProviderError{Provider: Name, Op: httpx.OpDocument, StatusCode: http.StatusOK,
			Message: "Digio's download is not a PDF"}
	}
	return pdf, nil
}

// Cancel withdraws the document at Digio
// (POST /v2/client/document/{id}/cancel), so that the signer can no
// longer sign it. Digio's public documentation does not describe this
// endpoint; Digio integrations use it and check only for a 2xx answer.
func (a *Adapter) Cancel(ctx context.Context, ref signing.ProviderRef) error {
	id, err := refID(httpx.OpCancel, ref)
	if err != nil {
		return err
	}
	_, _, err = a.http.Do(ctx, a.request(httpx.OpCancel, http.MethodPost, "/v2/client/document/"+url.PathEscape(id)+"/cancel", struct{}{}))
	return err
}

// details reads ref's document.
func (a *Adapter) details(ctx context.Context, op string, ref signing.ProviderRef) (*document, error) {
	id, err := refID(op, ref)
	if err != nil {
		return nil, err
	}
	var d document
	if err := a.callJSON(ctx, op, http.MethodGet, "/v2/client/document/"+url.PathEscape(id), nil, &d, true); err != nil {
		return nil, err
	}
	return &d, nil
}

func refID(op string, ref signing.ProviderRef) (string, error) {
	id := strings.TrimSpace(ref.Ref)
	if !validRef(id) {
		return "", fmt.Errorf("digio %s: %w: no usable document id", op, signing.ErrInvalid)
	}
	return id, nil
}
