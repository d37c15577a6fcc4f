package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// errNoTemplate is returned for a page without a template.
var errNoTemplate = errors.New("web: no such page template")

// templates are the pages, each the layout with the page's blocks, once
// per language (the language's strings are bound into the funcs).
type templates struct {
	byLang map[string]map[string]*template.Template // lang → page name → template
}

// parseTemplates parses templates/layout.html and templates/partials/*.html
// with each of templates/pages/*.html, for every language.
func parseTemplates(fsys fs.FS, cat *catalog, a *assets) (*templates, error) {
	layout, err := fs.ReadFile(fsys, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	files, err := fs.Glob(fsys, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	// Parsing needs the funcs' names; each language binds its own below.
	stub := template.FuncMap{
		"t":              func(string, ...any) (string, error) { return "", nil },
		"lang":           func() string { return "" },
		"asset":          a.path,
		"formTokenField": func() string { return FormTokenField },
	}
	base, err := template.New("layout").Funcs(stub).Parse(string(layout))
	if err != nil {
		return nil, fmt.Errorf("web: templates/layout.html: %w", err)
	}
	partials, err := fs.Glob(fsys, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	for _, file := range partials {
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		if _, err := base.Parse(string(src)); err != nil {
			return nil, fmt.Errorf("web: %s: %w", file, err)
		}
	}
	ts := &templates{byLang: map[string]map[string]*template.Template{}}
	for _, lang := range Languages {
		ts.byLang[lang] = map[string]*template.Template{}
	}
	for _, file := range files {
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		name := strings.TrimSuffix(path.Base(file), ".html")
		page, err := template.Must(base.Clone()).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", file, err)
		}
		for _, lang := range Languages {
			t, err := page.Clone()
			if err != nil {
				return nil, fmt.Errorf("web: %s: %w", file, err)
			}
			t.Funcs(template.FuncMap{
				"t":    func(id string, args ...any) (string, error) { return cat.text(lang, id, args...) },
				"lang": func() string { return lang },
			})
			ts.byLang[lang][name] = t
		}
	}
	return ts, nil
}

// render writes page name in lang with data and status. The page is
// drawn into a buffer first, so that a template error is a clean 500.
func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, lang, name string, data any) {
	t, ok := s.pages.byLang[lang][name]
	if !ok {
		t, ok = s.pages.byLang[Languages[0]][name]
	}
	var buf bytes.Buffer
	err := errNoTemplate
	if ok {
		err = t.Execute(&buf, data)
	}
	if err != nil {
		s.log.Error("web: render", "page", name, "lang", lang, "route", r.Pattern, "err", err)
		if name != "error" {
			s.renderError(w, r, http.StatusInternalServerError, "error.internal")
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorView fills the error page: Key names its title and text
// (Key.title, Key.text).
type errorView struct {
	Key  string
	Back string // a same-origin path to try again at, if any
}

// renderError answers with the error page of key, in the language the
// browser asks for.
func (s *Site) renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	v := errorView{Key: key}
	if status == http.StatusForbidden && r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/") &&
		!strings.HasPrefix(r.URL.Path, "//") {
		v.Back = r.URL.RequestURI() // the form's page: a GET of it draws a fresh token
	}
	s.render(w, r, status, Lang(r.Header.Get("Accept-Language")), "error", v)
}

// notFound is the site's 404.
func (s *Site) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "error.not_found")
}
