package web_test

import (
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/signet-dev/signet/internal/web"
)

// readQR reads the QR code in img with gozxing, a decoder written apart
// from the encoder the page uses.
func readQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// decodeImage is readQR, failing the test when img holds no QR code.
func decodeImage(t *testing.T, img image.Image) string {
	t.Helper()
	text, err := readQR(img)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return text
}

var (
	svgViewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	svgRun     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	svgPath    = regexp.MustCompile(`<path fill="#000" d="([^"]*)"/>`)
)

// decodeSVG rasterises the page's QR SVG (runs of dark modules, one
// path) at 4 px per module and decodes it.
func decodeSVG(t *testing.T, svg string) string {
	t.Helper()
	vb := svgViewBox.FindStringSubmatch(svg)
	path := svgPath.FindStringSubmatch(svg)
	if vb == nil || path == nil || vb[1] != vb[2] {
		t.Fatalf("not a QR SVG: %.200s", svg)
	}
	const scale = 4
	n, _ := strconv.Atoi(vb[1])
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	runs := svgRun.FindAllStringSubmatch(path[1], -1)
	if rest := svgRun.ReplaceAllString(path[1], ""); rest != "" || len(runs) == 0 {
		t.Fatalf("the path has %d runs and these other commands: %.100q", len(runs), rest)
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		if r[3] != r[4] || x+w > n || y >= n {
			t.Fatalf("run %s leaves the %d×%d square", r[0], n, n)
		}
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return decodeImage(t, img)
}

func TestQRCodeDecodesToItsData(t *testing.T) {
	for _, data := range []string{
		web.QRData(qrStartToken, qrStartSecret, 0),
		web.QRData(qrStartToken, qrStartSecret, 29),
		web.QRData(qrStartToken, qrStartSecret, 12345),
		"bankid." + strings.Repeat("x", 200), // a larger version than BankID's
		"A",
	} {
		svg := web.QRSVGForTest(data)
		if got := decodeSVG(t, svg); got != data {
			t.Errorf("QR code of %q reads %q", data, got)
		}
		if strings.ContainsAny(svg[strings.Index(svg, ">")+1:], "'&") || strings.Contains(svg, "<script") {
			t.Errorf("the SVG of %q holds more than shapes: %.200s", data, svg)
		}
	}
	if svg := web.QRSVGForTest(strings.Repeat("x", 5000)); svg != "" {
		t.Errorf("data too long for a QR code gave %d bytes of SVG, want none", len(svg))
	}
}
