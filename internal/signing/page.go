package signing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Signatures made on Signet's own page (provider local) come in through
// these, as a provider's callback would: the signer's change goes through
// the same apply as any provider's update, so the last signature completes
// the session with its document before the page answers.

// SignOnPage records that signer i of sess signed on Signet's page, with
// evidence of how (a JSON object; see package audit). When they were the
// last, the session completes: the provider makes the signed document and
// it is stored with the status. ErrConflict if the signer may not sign now.
func (s *Service) SignOnPage(ctx context.Context, sess *Session, i int, evidence json.RawMessage) (*Session, error) {
	if err := maySign(sess, i); err != nil {
		return nil, err
	}
	p, err := s.provider(sess.Provider)
	if err != nil {
		return nil, err
	}
	next, err := s.apply(ctx, p, sess, Update{ProviderStatus: "signed on Signet's page",
		Signers: []SignerUpdate{{Index: i, Status: SignerSigned, Evidence: evidence}}}, "signing page")
	if err != nil && !errors.Is(err, ErrConflict) {
		// The signature is stored before the signed document is made; if
		// making it failed, the poller tries again and the signer is done.
		if again, gerr := s.Get(ctx, sess.TenantID, sess.ID); gerr == nil && again.Signers[i].Status == SignerSigned {
			s.log.Warn("signature recorded; the signed document will be made again", "session", sess.ID, "err", err)
			return again, nil
		}
	}
	return next, err
}

// DeclineOnPage records that signer i of sess declined, with their reason:
// the session fails, naming them. ErrConflict if the signer may not act now.
func (s *Service) DeclineOnPage(ctx context.Context, sess *Session, i int, reason string) (*Session, error) {
	if err := maySign(sess, i); err != nil {
		return nil, err
	}
	p, err := s.provider(sess.Provider)
	if err != nil {
		return nil, err
	}
	why := SignerName(sess.Signers[i].Details)
	if why == "" {
		why = fmt.Sprintf("signer %d", i+1)
	}
	why += " declined to sign"
	if reason != "" {
		why += ": " + reason
	}
	return s.apply(ctx, p, sess, Update{ProviderStatus: "declined on Signet's page",
		Signers: []SignerUpdate{{Index: i, Status: SignerFailed, Reason: why}}}, "signing page")
}

// maySign says why signer i of sess may not sign or decline now, if so.
func maySign(sess *Session, i int) error {
	if i < 0 || i >= len(sess.Signers) {
		return Errorf(ErrNotFound, "there is no such signer")
	}
	switch sg := sess.Signers[i]; {
	case sess.Status.Terminal():
		return Errorf(ErrConflict, "the session is %s", sess.Status)
	case sess.ProviderCompletedAt != nil:
		return Errorf(ErrConflict, "every signer has signed")
	case sg.Status == SignerWaiting:
		return Errorf(ErrConflict, "it is not this signer's turn yet")
	case sg.Status.Terminal():
		return Errorf(ErrConflict, "the signer is %s", sg.Status)
	}
	return nil
}
