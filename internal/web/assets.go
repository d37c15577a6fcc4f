package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// assetPrefix is the path the assets are served under.
const assetPrefix = "/assets/"

// assetCache lets browsers keep an asset for a year without asking
// again: its name changes with its content.
const assetCache = "public, max-age=31536000, immutable"

// asset is one embedded file, served under a name that carries a hash
// of its content.
type asset struct {
	content []byte
	etag    string
	ctype   string
}

// assets are the files under assets/, by versioned name.
type assets struct {
	byName map[string]*asset // "signet.1a2b3c4d5e.css"
	paths  map[string]string // "signet.css" → "/assets/signet.1a2b3c4d5e.css"
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{byName: map[string]*asset{}, paths: map[string]string{}}
	entries, err := fs.ReadDir(fsys, "assets")
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		b, err := fs.ReadFile(fsys, "assets/"+name)
		if err != nil {
			return nil, fmt.Errorf("web: assets: %w", err)
		}
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:5])
		ext := path.Ext(name)
		versioned := strings.TrimSuffix(name, ext) + "." + hash + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.byName[versioned] = &asset{content: b, etag: `"` + hash + `"`, ctype: ctype}
		a.paths[name] = assetPrefix + versioned
	}
	return a, nil
}

// path is the versioned URL path of the asset named name; templates call
// it as {{asset "signet.css"}}. An unknown name is an error, so that a
// template with a typo fails in the tests rather than in a browser.
func (a *assets) path(name string) (string, error) {
	p, ok := a.paths[name]
	if !ok {
		return "", fmt.Errorf("web: no asset %q", name)
	}
	return p, nil
}

// serve handles GET /assets/{name}. A name of an older version is not
// found: a page always links the current one.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := a.byName[r.PathValue("name")]
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", assetCache)
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.content))
}
