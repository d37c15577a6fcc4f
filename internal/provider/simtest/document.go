package simtest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// WantDownloaded checks a FetchDocument that got the signed PDF from a
// file link: no error, the PDF want, and no API credential sent along to
// the link (sentToLink is what the link's server saw of it).
func WantDownloaded(t *testing.T, got []byte, err error, want []byte, sentToLink string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %q", got)
	}
	if sentToLink != "" {
		t.Error("the API credential was sent to the file link")
	}
}

// WantDocumentError checks that a FetchDocument failed with a
// *signing.ProviderError of the document operation, saying why, that is
// retryable or not as the case wants.
func WantDocumentError(t *testing.T, err error, retryable bool) {
	t.Helper()
	var pe *signing.ProviderError
	if !errors.As(err, &pe) || pe.Op != "document" || pe.Retryable != retryable || pe.Message == "" {
		t.Errorf("err = %v, want a document error, retryable %v", err, retryable)
	}
}
