package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/signet-dev/signet/internal/audit"
	"github.com/signet-dev/signet/internal/mail"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/provider/local"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
)

// localWiring is Signet's own signing, as main wires it: the adapter, the
// codes, the invitations and (in sandbox mode without SMTP) the outbox.
type localWiring struct {
	adapter     *local.Adapter
	codes       *local.Codes
	invitations *local.Invitations
	outbox      *mail.Outbox // nil unless mail is kept in the sandbox outbox
}

// mailer is where Signet's mail goes: SMTP with --smtp-url, else, in
// sandbox mode, the outbox at /sandbox/mail; nil when neither (then local
// is not offered).
func (m *Main) mailer() (mail.Mailer, *mail.Outbox, error) {
	cfg := m.Config
	if cfg.SMTPURL != "" {
		if cfg.MailFrom == "" {
			return nil, nil, fmt.Errorf("%w: --smtp-url needs --mail-from, the address Signet's mail is sent from", errUsage)
		}
		s, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom, mail.WithNow(m.Now))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: --smtp-url: %v", errUsage, err)
		}
		return s, nil, nil
	}
	if cfg.Sandbox.value {
		o := mail.NewOutbox(0, m.Now)
		return o, o, nil
	}
	return nil, nil, nil
}

// seal is Signet's seal: --seal-cert, or a sandbox CA and seal made once
// and kept in the database, so that every replica seals alike.
func (m *Main) seal(ctx context.Context) (*pki.Credential, error) {
	cfg := m.Config
	if cfg.SealCert != "" {
		b, err := os.ReadFile(cfg.SealCert)
		if err != nil {
			return nil, fmt.Errorf("%w: --seal-cert: %v", errUsage, err)
		}
		c, err := pki.LoadCredential(b, cfg.SealCertPassword)
		if err != nil {
			return nil, fmt.Errorf("%w: --seal-cert: %v", errUsage, err)
		}
		return c, nil
	}
	var genErr error
	pemBytes, err := m.store.Secret(ctx, "seal-sandbox", func() []byte {
		sb, err := pki.NewSandbox(m.Now())
		if err == nil {
			var b []byte
			if b, err = sb.MarshalPEM(); err == nil {
				return b
			}
		}
		genErr = err
		return nil
	})
	if genErr != nil {
		return nil, genErr
	}
	if err != nil {
		return nil, err
	}
	sb, err := pki.ParseSandbox(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("the sandbox seal in the database: %w", err)
	}
	m.Log.Warn("sealing documents with a generated sandbox seal, which nobody trusts: give --seal-cert for real documents",
		"subject", sb.Seal.Leaf().Subject.String())
	return sb.Seal, nil
}

// sealer signs what Signet seals: local documents and audit
// certificates, PAdES B-T with --tsa-url.
func (m *Main) sealer(ctx context.Context) (*pdf.PAdES, error) {
	seal, err := m.seal(ctx)
	if err != nil {
		return nil, err
	}
	p := &pdf.PAdES{Key: seal.Key, Chain: seal.Chain, Now: m.Now}
	if m.Config.TSAURL != "" {
		p.TSA = &pki.TSA{URL: m.Config.TSAURL}
	}
	return p, nil
}

// issuer names this Signet on the evidence it issues.
func (m *Main) issuer() string { return "Signet at " + m.Config.PublicURL }

// local wires provider local, or returns nil when no mail can be sent.
func (m *Main) local(ctx context.Context, links *signing.Links, seal pdf.Signer) (*localWiring, error) {
	mailer, outbox, err := m.mailer()
	if err != nil || mailer == nil {
		return nil, err
	}
	a, err := local.New(local.Config{Seal: seal, Limits: m.Config.PDFLimits, Issuer: m.issuer(), Now: m.Now})
	if err != nil {
		return nil, err
	}
	key, err := m.store.Secret(ctx, "code-key", randomKey)
	if err != nil {
		return nil, err
	}
	return &localWiring{
		adapter:     a,
		codes:       &local.Codes{Store: m.store, Mailer: mailer, Key: key, Now: m.Now},
		invitations: &local.Invitations{Mailer: mailer, Link: links.URL},
		outbox:      outbox,
	}, nil
}

// invite sends local sessions' signers their links; other providers
// invite their signers themselves.
func (lw *localWiring) invite(ctx context.Context, sess *signing.Session, signers []int) error {
	if lw == nil || sess.Provider != local.Name {
		return nil
	}
	return lw.invitations.Invite(ctx, sess, signers)
}

// page is the signing page's configuration over the service.
func (lw *localWiring) page(svc *signing.Service, store signing.SessionStore, publicURL string) *web.SigningPageConfig {
	return &web.SigningPageConfig{
		Original: func(ctx context.Context, sess *signing.Session) (signing.Document, error) {
			return store.Document(ctx, sess.TenantID, sess.ID, signing.DocumentOriginal)
		},
		SendCode: func(ctx context.Context, sess *signing.Session, i int) error {
			if sess.Provider != local.Name {
				return errors.New("not a local session")
			}
			return lw.codes.Send(ctx, sess, i)
		},
		CheckCode: lw.codes.Check,
		Sign: func(ctx context.Context, sess *signing.Session, i int, sig web.PageSignature) (*signing.Session, error) {
			email, _ := detailString(sess.Signers[i].Details, "email")
			ev, err := json.Marshal(audit.SignerEvidence{Method: local.Method + " to " + email, Email: email,
				Name: signing.SignerName(sess.Signers[i].Details), IP: sig.IP, UserAgent: sig.UserAgent,
				TypedSignature: sig.Typed, SignatureImage: sig.Image})
			if err != nil {
				return nil, err
			}
			return svc.SignOnPage(ctx, sess, i, ev)
		},
		Decline: svc.DeclineOnPage,
		ReturnURL: func(sess *signing.Session) string {
			if sess.ReturnURL != "" {
				return sess.ReturnURL
			}
			return publicURL + "/signing-finished"
		},
	}
}

// destination sends a local session's signer link to Signet's own page.
func destination(sess *signing.Session, _ int, token string) string {
	if sess.Provider == local.Name {
		return "/s/" + token + "/sign"
	}
	return ""
}

func detailString(details json.RawMessage, key string) (string, bool) {
	var d map[string]any
	if json.Unmarshal(details, &d) != nil {
		return "", false
	}
	s, ok := d[key].(string)
	return s, ok
}
