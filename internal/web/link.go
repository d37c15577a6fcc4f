package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/signet-dev/signet/internal/signing"
)

// SignerLinkConfig lets the site serve signer links, {public-url}/s/{token}
// (CONTRACT.md §6.1).
type SignerLinkConfig struct {
	// Find returns the session (expired first if due) and the index of the
	// signer a token belongs to; an error wrapping signing.ErrNotFound for
	// an unknown token.
	Find func(ctx context.Context, token string) (*signing.Session, int, error)
	// Open records the signer's opening of their link (the first time, the
	// signer and a PENDING session become IN_PROGRESS). It returns the
	// session after it, or an error wrapping signing.ErrConflict when the
	// signer may not sign now.
	Open func(ctx context.Context, sess *signing.Session, signer int) (*signing.Session, error)
	// Destination is where signer i signs: the provider's page, or one of
	// Signet's own. Empty means the signer's ProviderURL.
	Destination func(sess *signing.Session, signer int, token string) string
}

// linkView fills the signer-link page.
type linkView struct {
	// State is which message the page shows: signed, completed, declined,
	// failed, expired, cancelled, waiting or preparing.
	State string
	// Awaited names the signer whose signature is awaited (waiting).
	Awaited string
	// Reason is the failure reason, when the session failed.
	Reason string
}

// signerLink handles GET /s/{token}: it forwards the signer (303) while
// they may sign, recording the first opening; says what happened (410)
// once the session or the signer ended; says whose turn it is while a
// sequential session waits for someone else; and answers 404 for a token
// it does not know.
func (s *Site) signerLink(w http.ResponseWriter, r *http.Request) {
	cfg := s.cfg.SignerLinks
	token := r.PathValue("token")
	sess, i, err := cfg.Find(r.Context(), token)
	if errors.Is(err, signing.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.log.Error("signer link: reading the session failed", "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	if view, ok := linkState(sess, i); ok {
		s.renderLink(w, r, sess, view)
		return
	}
	if sess.ProviderRef == "" {
		// The provider has not taken the request yet (it was down): the
		// poller starts it again shortly.
		w.Header().Set("Retry-After", "30")
		s.renderLink(w, r, sess, linkView{State: "preparing"})
		return
	}
	next, err := cfg.Open(r.Context(), sess, i)
	if errors.Is(err, signing.ErrConflict) || errors.Is(err, signing.ErrNotFound) {
		// It ended, or the turn moved, between the read and the write.
		if sess, i, err = cfg.Find(r.Context(), token); err == nil {
			if view, ok := linkState(sess, i); ok {
				s.renderLink(w, r, sess, view)
				return
			}
		}
	}
	if err != nil {
		s.log.Error("signer link: recording the opening failed", "session", sess.ID, "err", err)
		s.renderError(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	dest := next.Signers[i].ProviderURL
	if cfg.Destination != nil {
		if d := cfg.Destination(next, i, token); d != "" {
			dest = d
		}
	}
	if dest == "" {
		s.renderLink(w, r, next, linkView{State: "preparing"})
		return
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// linkState is the page a signer link shows instead of forwarding, if
// any: the end of the session or of the signer, or someone else's turn.
func linkState(sess *signing.Session, i int) (linkView, bool) {
	sg := sess.Signers[i]
	switch {
	case sg.Status == signing.SignerSigned:
		return linkView{State: "signed"}, true
	case sess.Status == signing.StatusCompleted:
		return linkView{State: "completed"}, true
	case sg.Status == signing.SignerFailed:
		return linkView{State: "declined", Reason: sg.FailureReason}, true
	case sess.Status == signing.StatusFailed:
		return linkView{State: "failed", Reason: sess.FailureReason}, true
	case sess.Status == signing.StatusExpired:
		return linkView{State: "expired"}, true
	case sess.Status == signing.StatusCancelled:
		return linkView{State: "cancelled"}, true
	case sg.Status == signing.SignerWaiting:
		v := linkView{State: "waiting"}
		if c := signing.CurrentSigner(sess.Signers); c >= 0 {
			v.Awaited = signing.SignerName(sess.Signers[c].Details)
		}
		return v, true
	}
	return linkView{}, false
}

// renderLink draws the signer-link page: 410 for an ended session or
// signer, 503 while the provider is being reached, else 200.
func (s *Site) renderLink(w http.ResponseWriter, r *http.Request, sess *signing.Session, v linkView) {
	status := http.StatusGone
	switch v.State {
	case "waiting":
		status = http.StatusOK
	case "preparing":
		status = http.StatusServiceUnavailable
	}
	s.render(w, r, status, Lang(sess.Language, r.Header.Get("Accept-Language")), "link", v)
}
