package web

import (
	"io/fs"
	"net/http"
	"testing/fstest"
)

// QRSVGForTest is qrSVG, for the decoding tests.
var QRSVGForTest = qrSVG

// testFormPage is a page built the way a later page with a form is: a
// template under templates/pages/ and a handler that issues the token
// on GET and checks it on POST.
const testFormPage = `{{define "title"}}Test form{{end}}
{{define "main"}}
<h1>Test form</h1>
<form method="post" action="/test/form?subject={{.Subject}}">
{{template "form-token" .FormToken}}
<label for="note">Note</label>
<input type="text" id="note" name="note">
<button type="submit" name="action" value="save">Save</button>
</form>
{{end}}`

// FormTestConfig wires NewFormTestSite.
type FormTestConfig struct {
	Config
	// Posted is called with each accepted post (after the token check).
	Posted func(r *http.Request)
	// Next is where an accepted post is sent (303), such as a client's
	// returnUrl on another origin.
	Next string
}

// NewFormTestSite is a Site whose Handler also serves /test/form: GET
// draws a form protected for the subject in the query (default
// "alice"), POST checks its token for that subject, calls Posted and
// answers 303 to Next.
func NewFormTestSite(cfg FormTestConfig) (http.Handler, error) {
	tree := fstest.MapFS{}
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		tree[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		return nil, err
	}
	tree["templates/pages/testform.html"] = &fstest.MapFile{Data: []byte(testFormPage)}
	s, err := newSite(cfg.Config, tree)
	if err != nil {
		return nil, err
	}
	subject := func(r *http.Request) string {
		if v := r.URL.Query().Get("subject"); v != "" {
			return v
		}
		return "alice"
	}
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	mux.Handle("GET /test/form", s.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, Lang(r.Header.Get("Accept-Language")), "testform",
			map[string]string{"Subject": subject(r), "FormToken": s.formToken(subject(r))})
	})))
	mux.Handle("POST /test/form", s.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.checkForm(w, r, subject(r)) {
			return
		}
		if cfg.Posted != nil {
			cfg.Posted(r)
		}
		http.Redirect(w, r, cfg.Next, http.StatusSeeOther)
	})))
	return mux, nil
}
