package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileDir holds the committed hostile PDFs of internal/pdf.
var hostileDir = filepath.Join("..", "..", "internal", "pdf", "testdata", "hostile")

// TestHostileDocumentsAtUpload is issue 10's upload check, black-box:
// every bomb and monster is refused by POST /signing with a 400 naming
// document.content and saying which limit (or that the file is broken);
// nothing is created; and the hostile files that are within the limits
// (reference cycles the reader must survive) sign through a sandbox to
// the end.
func TestHostileDocumentsAtUpload(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	refused := map[string]string{
		"flate-bomb.pdf":             "decompresses to",
		"flate-bomb-one-layer.pdf":   "decompresses to",
		"shared-content-bomb.pdf":    "decompresses to",
		"object-stream-bomb.pdf":     "object stream",
		"pages-20000.pdf":            "pages",
		"pages-20000-count-lies.pdf": "pages",
		"deep-arrays.pdf":            "levels deep",
		"deep-dicts.pdf":             "levels deep",
		"deep-page-tree.pdf":         "page tree",
		"object-bomb.pdf":            "objects",
		"page-tree-cycle.pdf":        "",
		"contents-cycle.pdf":         "",
		"length-cycle.pdf":           "",
	}
	accepted := []string{"reference-cycles.pdf", "resource-cycle.pdf"}
	files, err := os.ReadDir(hostileDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(refused)+len(accepted) {
		t.Errorf("%d hostile files, %d known to this test: add the new ones", len(files), len(refused)+len(accepted))
	}
	body := func(name string) map[string]any {
		content, err := os.ReadFile(filepath.Join(hostileDir, name))
		if err != nil {
			t.Fatal(err)
		}
		b := createBody("hostile-" + name)
		b["document"] = map[string]any{"filename": name, "content": base64.StdEncoding.EncodeToString(content)}
		return b
	}
	for name, says := range refused {
		r := h.do("POST", "/signing", h.key, body(name))
		if r.status != 400 {
			t.Errorf("%s: %d, want 400: %s", name, r.status, r.body)
			continue
		}
		p := r.json(t)
		errs, _ := p["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != "document.content" ||
			!strings.Contains(str(errs[0].(map[string]any)["message"]), says) {
			t.Errorf("%s: problem %v; want document.content saying %q", name, p, says)
		}
	}
	if list := h.expect(h.do("GET", "/signing?limit=100", h.key, nil), 200).json(t)["data"].([]any); len(list) != 0 {
		t.Errorf("refused uploads left %d sessions", len(list))
	}
	for _, name := range accepted {
		s := h.expect(h.do("POST", "/signing", h.key, body(name)), 201).json(t)
		h.signAtProvider(str(s["redirectUrl"]), "sign")
		h.waitStatus(str(s["signingSessionId"]), "COMPLETED")
		h.expect(h.do("GET", "/signing/"+str(s["signingSessionId"])+"/document", h.key, nil), 200)
	}
}

// TestSecurityHeaders: a 401 says how to authenticate; JSON, problem and
// PDF answers forbid content sniffing.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	r := h.do("GET", "/signing", "", nil)
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(r.header.Get("WWW-Authenticate"), "X-API-Key") {
		t.Errorf("401 without a usable WWW-Authenticate: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	s := h.create("headers")
	id := str(s["signingSessionId"])
	for _, c := range []struct {
		name string
		r    response
	}{
		{"401 problem", r},
		{"JSON", h.do("GET", "/signing/"+id, h.key, nil)},
		{"404 problem", h.do("GET", "/signing/00000000-0000-4000-8000-000000000000", h.key, nil)},
	} {
		if c.r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s answer (%d) without nosniff", c.name, c.r.status)
		}
	}
	h.signAtProvider(str(s["redirectUrl"]), "sign")
	h.waitStatus(id, "COMPLETED")
	for _, path := range []string{"/document", "/audit-certificate"} {
		pdfAnswer := h.expect(h.do("GET", "/signing/"+id+path, h.key, nil), 200)
		if pdfAnswer.header.Get("X-Content-Type-Options") != "nosniff" || pdfAnswer.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("%s: %v", path, pdfAnswer.header)
		}
	}
}
