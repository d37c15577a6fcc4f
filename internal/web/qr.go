package web

import (
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrSVG draws data as a QR code (error correction M, with the standard's
// quiet zone) in a standalone SVG, one unit per module, scaled to the
// box it is put in. Each horizontal run of dark modules is one segment of
// a single path, which keeps the image small. It returns "" when data
// cannot be encoded (the page then shows the data as text). The SVG
// holds nothing but numbers: it is safe to put into a page as is.
func qrSVG(data string) string {
	code, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return ""
	}
	bits := code.Bitmap() // with the quiet zone
	n := strconv.Itoa(len(bits))
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + " " + n +
		`" shape-rendering="crispEdges" aria-hidden="true" focusable="false">`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bits {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			start := x
			for x+1 < len(row) && row[x+1] {
				x++
			}
			w := strconv.Itoa(x - start + 1)
			b.WriteString("M" + strconv.Itoa(start) + " " + strconv.Itoa(y) + "h" + w + "v1h-" + w + "z")
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
