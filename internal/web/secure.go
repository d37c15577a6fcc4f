package web

import "net/http"

// ContentSecurityPolicy is sent with every response of the site. Scripts
// and styles come only from the site's own assets (no inline code), images
// may also be data: URLs (QR codes, drawn signatures), and no page may be
// framed, change its base URL or load plugins.
//
// It sets no form-action on purpose: Signet's forms post to Signet and
// are answered with a 303 to the client's returnUrl, on another origin,
// and Chrome checks form-action against that redirect too, so 'self'
// would block the signer's way back. Form posts are guarded by
// CrossOriginProtection and the form tokens instead.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// ReferrerPolicy is same-origin: links that carry a page token (the
// BankID page's ?t=, the signer link) never leave Signet in a Referer,
// and a same-origin form post keeps its real Origin header (no-referrer
// would send "Origin: null", which CrossOriginProtection refuses in a
// browser without Sec-Fetch-Site).
const ReferrerPolicy = "same-origin"

// secure sends the security headers with every response of h and
// refuses cross-origin state-changing requests before h sees them.
// Pages are no-store, since they show personal data; the asset handler
// overrides that for its immutable files.
func (s *Site) secure(h http.Handler) http.Handler {
	protected := s.cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", ReferrerPolicy)
		hdr.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers without CSP 2
		hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
		hdr.Set("Cache-Control", "no-store")
		protected.ServeHTTP(w, r)
	})
}
