package signzy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Refresh pulls the contract (POST /api/v3/contract/pullData) and maps it
// with mapContract (the session) and signerUpdates (each signer). An
// unknown or expired contract is Signzy's 404 "Contract not found": a
// permanent *signing.ProviderError wrapping signing.ErrNotFound, and Gone
// (signing fails a session once that is confirmed).
func (a *Adapter) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	c, err := a.pull(ctx, httpx.OpRefresh, ref, false)
	if err != nil {
		return signing.Update{}, err
	}
	u := mapContract(c)
	u.Signers = signerUpdates(c, ref, u)
	return u, nil
}

// FetchDocument pulls the contract with base64EncodedOutput (and
// filesInBase64) and returns the signed PDF in finalSignedContract (or
// filesInBase64.finalSignedContract). Signzy may hand out a download
// URL there instead of the content; that URL is fetched (without the API
// token: it is a pre-authorised file link, possibly on another host).
func (a *Adapter) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	c, err := a.pull(ctx, httpx.OpDocument, ref, true)
	if err != nil {
		return nil, err
	}
	doc := c.signedContract()
	if !c.IsCompleted || doc == "" {
		// Signzy fills the field shortly after completion; try again later.
		pe := a.http.Error(httpx.OpDocument, "the signed contract is not available yet")
		pe.Retryable = true
		return nil, pe
	}
	var pdf []byte
	if httpx.IsHTTPURL(doc) {
		pdf, err = a.download(ctx, doc)
		if err != nil {
			return nil, err
		}
	} else if pdf, err = flexjson.Base64(doc); err != nil {
		pe := a.http.Error(httpx.OpDocument, "finalSignedContract is neither a URL nor base64")
		pe.Err = err
		return nil, pe
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, a.http.Error(httpx.OpDocument, "the signed contract is not a PDF")
	}
	if !hashMatches(string(c.FinalSignedContractHash), pdf, doc) {
		// Signzy does not document the hash: what it is a hash of is a
		// guess, so a mismatch is put on record, not a reason to refuse a
		// document that Signet's own PDF checks then verify.
		return pdf, &signing.DocumentNotice{Provider: Name, Message: hashNotice(string(c.FinalSignedContractHash), pdf)}
	}
	return pdf, nil
}

// hashNotice says, for the audit trail, which hash did not match.
func hashNotice(want string, pdf []byte) string {
	sum := sha256.Sum256(pdf)
	return fmt.Sprintf("Signzy's finalSignedContractHash %s is not the SHA-256 of the signed contract Signet received (%s); "+
		"Signzy does not document what the hash covers, so the document was kept", strings.ToLower(strings.TrimSpace(want)), hex.EncodeToString(sum[:]))
}

// Cancel does nothing at Signzy: Signzy's contract API has no cancel or
// delete endpoint, and inventing one would break a real deployment. The
// contract stays open at Signzy until its contractTtl (the session's
// expiresAt) runs out; if the signer still signs it, the late callback
// finds a CANCELLED session in Signet and changes nothing (terminal is
// final).
func (a *Adapter) Cancel(ctx context.Context, ref signing.ProviderRef) error {
	return nil
}

// pull calls pullData for ref's contract.
func (a *Adapter) pull(ctx context.Context, op string, ref signing.ProviderRef, base64Output bool) (*contract, error) {
	id := strings.TrimSpace(ref.Ref)
	if id == "" {
		return nil, fmt.Errorf("signzy %s: %w: no contractId", op, signing.ErrInvalid)
	}
	var c contract
	body := pullRequest{ContractID: id, Base64EncodedOutput: base64Output, FilesInBase64: base64Output}
	if err := a.post(ctx, op, "/api/v3/contract/pullData", body, &c, true); err != nil {
		return nil, err
	}
	return &c, nil
}

// download GETs a signed-contract link, without the token.
func (a *Adapter) download(ctx context.Context, link string) ([]byte, error) {
	_, b, err := a.http.Do(ctx, httpx.Request{Op: httpx.OpDocument, URL: link, Accept: "application/pdf", Limit: maxResponse})
	return b, err
}

// hashMatches checks the PDF against finalSignedContractHash. Signzy does
// not document the hash; its published samples are 64 hex digits, which
// is SHA-256, taken here over the PDF (or, tolerated, over the text Signzy
// sent). Anything that is not 64 hex digits is not checked.
func hashMatches(want string, pdf []byte, sent string) bool {
	want = strings.ToLower(strings.TrimSpace(want))
	if len(want) != sha256.Size*2 {
		return true
	}
	if _, err := hex.DecodeString(want); err != nil {
		return true
	}
	sum := sha256.Sum256(pdf)
	if hex.EncodeToString(sum[:]) == want {
		return true
	}
	sum = sha256.Sum256([]byte(sent))
	return hex.EncodeToString(sum[:]) == want
}
