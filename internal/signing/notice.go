package signing

import "errors"

// EventDocumentNotice is a fact about a provider's signed document worth
// keeping in the audit trail but no reason to refuse the document (its
// checksum not matching one the provider does not document, say).
const EventDocumentNotice = "provider.document_notice"

// DocumentNotice is what a provider's FetchDocument returns together
// with the signed document when the document is good to keep but
// something about it should be on record. It is not a failure: the
// session completes with the document, and Message goes into its events
// as a provider.document_notice entry.
type DocumentNotice struct {
	Provider string
	Message  string // for the audit trail
}

func (n *DocumentNotice) Error() string { return n.Provider + " document: " + n.Message }

// documentNotice splits what FetchDocument returned into a real error
// and a notice: a *DocumentNotice that comes with a document is only a
// notice.
func documentNotice(doc []byte, err error) (*DocumentNotice, error) {
	var n *DocumentNotice
	if len(doc) > 0 && errors.As(err, &n) {
		return n, nil
	}
	return nil, err
}
