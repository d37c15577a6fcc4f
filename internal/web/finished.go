package web

import "net/http"

// finished handles GET /signing-finished: where a provider sends a signer
// whose session has no returnUrl. Signet cannot know the client's app, so
// the page only says that the step is over, in the browser's language.
func (s *Site) finished(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, Lang(r.Header.Get("Accept-Language")), "finished", nil)
}
