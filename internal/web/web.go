// Package web is Signet's own pages: one layout, one set of embedded
// templates, assets and translations, one set of security headers, and
// signed tokens for every form that changes state. Today it serves the
// BankID page, the "signing finished" page and the operator console
// (console.go); the signer link and the local signing page join it.
//
// A page is a handler on Site, a template under templates/pages/ that
// fills the layout's blocks ("title", "head", "main", "scripts"), and
// strings under its own key in locales/{en,sv,hi}.json. In a template,
// {{t "key"}} is a string in the page's language ({{t "key" "Name" .X}}
// fills {{.Name}}; a "Count" argument picks the plural form),
// {{asset "signet.css"}} an asset's versioned path, and
// {{template "form-token" .FormToken}} a protected form's hidden token
// (Site.formToken to issue it, Site.checkForm to verify the post).
// Templates under templates/partials/ are parsed with the layout, so that
// pages of one kind (the console's) share blocks.
//
// Every response of Routes carries the headers of secure; every
// state-changing request passes net/http's CrossOriginProtection first.
package web

import (
	"crypto/rand"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"time"
)

// files holds the templates, the assets and the translations.
//
//go:embed templates assets locales
var files embed.FS

// DefaultFormTTL is how long a form's token stays valid: long enough to
// read a contract before signing it.
const DefaultFormTTL = 2 * time.Hour

// Config configures a Site. Every field is optional.
type Config struct {
	// FormKey signs the forms' tokens. Replicas must share it (Signet
	// uses Store.Secret); without it a random key valid only in this
	// process is used, which suits a single process and tests.
	FormKey []byte
	// FormTTL is how long a form's token is valid (DefaultFormTTL if 0).
	FormTTL time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Logger receives rendering and lookup failures (slog.Default if nil).
	Logger *slog.Logger
	// BankID, when set, serves the BankID page under /bankid/.
	BankID *BankIDConfig
	// SignerLinks, when set, serves the signer links under /s/.
	SignerLinks *SignerLinkConfig
	// SigningPage, when set with SignerLinks, serves Signet's own signing
	// page (provider local) at /s/{token}/sign.
	SigningPage *SigningPageConfig
	// Console, when set, serves the operator console under /console/.
	Console *ConsoleConfig
}

// Site is Signet's pages. It is safe for concurrent use.
type Site struct {
	cfg     Config
	log     *slog.Logger
	pages   *templates
	assets  *assets
	forms   *FormTokens
	cop     *http.CrossOriginProtection
	bankid  *bankidPage
	console *console
}

// New validates cfg and loads the embedded templates, assets and
// translations.
func New(cfg Config) (*Site, error) {
	return newSite(cfg, files)
}

// newSite is New over another file tree (tests add pages to it).
func newSite(cfg Config, fsys fs.FS) (*Site, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FormTTL == 0 {
		cfg.FormTTL = DefaultFormTTL
	}
	if len(cfg.FormKey) == 0 {
		cfg.FormKey = make([]byte, 32)
		if _, err := rand.Read(cfg.FormKey); err != nil {
			return nil, fmt.Errorf("web: form key: %w", err)
		}
	}
	forms, err := NewFormTokens(cfg.FormKey, cfg.FormTTL, cfg.Now)
	if err != nil {
		return nil, err
	}
	a, err := loadAssets(fsys)
	if err != nil {
		return nil, err
	}
	cat, err := loadCatalog(fsys)
	if err != nil {
		return nil, err
	}
	pages, err := parseTemplates(fsys, cat, a)
	if err != nil {
		return nil, err
	}
	s := &Site{cfg: cfg, log: cfg.Logger, pages: pages, assets: a, forms: forms}
	s.cop = http.NewCrossOriginProtection()
	s.cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	if cfg.BankID != nil {
		if s.bankid, err = newBankIDPage(s, *cfg.BankID); err != nil {
			return nil, err
		}
	}
	if cfg.Console != nil {
		if s.console, err = newConsole(s, *cfg.Console); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Routes are the site's routes as ServeMux patterns, each handler
// already wrapped in the security headers and cross-origin protection.
// Signet's server mounts them beside the API.
func (s *Site) Routes() map[string]http.Handler {
	routes := map[string]http.HandlerFunc{
		"GET " + assetPrefix + "{name}": s.assets.serve,
		"GET /signing-finished":         s.finished,
	}
	if s.cfg.SignerLinks != nil {
		routes["GET /s/{token}"] = s.signerLink
		if s.cfg.SigningPage != nil {
			routes["GET /s/{token}/sign"] = s.signingPage
			routes["POST /s/{token}/sign"] = s.signingPost
			routes["GET /s/{token}/document"] = s.signingDocument
		}
	}
	if b := s.bankid; b != nil {
		routes["GET /bankid/{sessionId}"] = b.page
		routes["GET /bankid/{sessionId}/qr"] = b.qr
		routes["GET /bankid/{sessionId}/status"] = b.status
	}
	if s.console != nil {
		maps.Copy(routes, s.console.routes())
	}
	out := make(map[string]http.Handler, len(routes))
	for pattern, h := range routes {
		out[pattern] = s.secure(h)
	}
	return out
}

// Handler serves Routes on a mux of its own, with the site's 404 page
// for any other path.
func (s *Site) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range s.Routes() {
		mux.Handle(pattern, h)
	}
	mux.Handle("/", s.secure(http.HandlerFunc(s.notFound)))
	return mux
}
