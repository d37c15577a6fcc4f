package qr

import (
	"fmt"
	"strings"
)

// QuietZone is the light border the standard asks for, in modules.
const QuietZone = 4

// SVG draws the code as a standalone SVG image with a quiet zone, one
// unit per module, scaled to the viewer's size (no width or height is
// set). Dark modules are one path, so the image stays small.
func (c *Code) SVG() string {
	n := c.Size + 2*QuietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if !c.modules[y][x] {
				continue
			}
			// A horizontal run of dark modules is one rectangle.
			start := x
			for x+1 < c.Size && c.modules[y][x+1] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+QuietZone, y+QuietZone, x-start+1, x-start+1)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
