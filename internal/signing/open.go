package signing

import (
	"context"
	"errors"
	"time"
)

// SignerByLink finds the session and the index of the signer whose link
// token this is, expiring the session first if its deadline has passed.
// ErrNotFound for an unknown token.
func (s *Service) SignerByLink(ctx context.Context, token string) (*Session, int, error) {
	if token == "" || len(token) > 128 {
		return nil, 0, Errorf(ErrNotFound, "there is no such signer link")
	}
	sess, signerID, err := s.cfg.Store.SessionBySignerLink(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, 0, Wrap(ErrNotFound, err, "there is no such signer link")
	}
	if err != nil {
		return nil, 0, err
	}
	if sess, err = s.expireIfDue(ctx, sess); err != nil {
		return nil, 0, err
	}
	for i, sg := range sess.Signers {
		if sg.ID == signerID {
			return sess, i, nil
		}
	}
	return nil, 0, Errorf(ErrNotFound, "there is no such signer link")
}

// OpenSigner records that signer i opened their link: the first time, the
// signer becomes IN_PROGRESS and the session too if it was PENDING (with
// its event and signing.in_progress webhook). Opening again changes
// nothing. It is ErrConflict for a signer who may not sign now (not their
// turn, or the session or signer ended).
func (s *Service) OpenSigner(ctx context.Context, sess *Session, i int) (*Session, error) {
	return s.update(ctx, sess, func(next *Session, now time.Time) ([]AuditEntry, *Document, error) {
		if next.Status.Terminal() {
			return nil, nil, Errorf(ErrConflict, "the session is %s", next.Status)
		}
		switch st := next.Signers[i].Status; st {
		case SignerInProgress:
			return nil, nil, ErrNoChange
		case SignerWaiting:
			return nil, nil, Errorf(ErrConflict, "it is not this signer's turn yet")
		case SignerSigned, SignerFailed:
			return nil, nil, Errorf(ErrConflict, "the signer is %s", st)
		}
		entries, err := s.advance(next, []signerChange{{index: i, trigger: SignerOpen}}, false, now)
		return entries, nil, err
	})
}

// BackfillSignerLinks indexes the links of signers made before signer
// links existed, so that their links work too. It returns how many.
func (s *Service) BackfillSignerLinks(ctx context.Context) (int, error) {
	n := 0
	for {
		missing, err := s.cfg.Store.SignersWithoutLinks(ctx, 500)
		if err != nil || len(missing) == 0 {
			return n, err
		}
		for i := range missing {
			missing[i].TokenHash = HashToken(s.cfg.Links.Token(missing[i].SignerID))
		}
		if err := s.cfg.Store.AddSignerLinks(ctx, missing); err != nil {
			return n, err
		}
		n += len(missing)
	}
}
