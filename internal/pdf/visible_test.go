package pdf

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func TestAddMark(t *testing.T) {
	in := Sample(2, "Marked")
	out, err := AddMark(in, Mark{Name: "Asha Rao", Time: time.Date(2026, 11, 21, 15, 30, 0, 0, time.FixedZone("IST", 5*3600+1800)), Image: drawnPNG(t, 600, 200)})
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 2)
	last := pageText(t, out, 2)
	for _, want := range []string{"Signed by Asha Rao", "2026-11-21 10:00:00 UTC", "Signed with Signet"} {
		if !strings.Contains(last, want) {
			t.Errorf("last page has no %q", want)
		}
	}
	if strings.Contains(pageText(t, out, 1), "Signed by") {
		t.Error("the mark is on the first page too")
	}
	if got := lastPageImages(t, out); got != 1 {
		t.Errorf("last page shows %d images, want the drawn signature", got)
	}
	plain, err := AddMark(in, Mark{Name: "Ravi Kumar", Time: fixedNow()})
	if err != nil {
		t.Fatal(err)
	}
	if got := lastPageImages(t, plain); got != 0 {
		t.Errorf("a mark without a drawing shows %d images", got)
	}
}

func TestAddMarkStacks(t *testing.T) {
	b := Sample(1, "Many signers")
	var err error
	for i := range maxMarks {
		if b, err = AddMark(b, Mark{Name: "Signer", Time: fixedNow()}); err != nil {
			t.Fatalf("mark %d: %v", i+1, err)
		}
	}
	if got := infoCount(readCtx(t, b), markKey, maxMarks); got != maxMarks {
		t.Errorf("mark count = %d, want %d", got, maxMarks)
	}
	if got := strings.Count(pageText(t, b, 1), "Signed with Signet"); got != maxMarks {
		t.Errorf("page shows %d marks, want %d", got, maxMarks)
	}
	if _, err := AddMark(b, Mark{Name: "One too many", Time: fixedNow()}); err == nil {
		t.Errorf("mark %d: no error", maxMarks+1)
	}
}

func TestAddMarkErrors(t *testing.T) {
	in := Sample(1, "x")
	var big bytes.Buffer
	png.Encode(&big, image.NewGray(image.Rect(0, 0, 3000, 2000))) // compresses small, 6 Mpx
	broken := drawnPNG(t, 60, 20)
	broken = broken[:len(broken)-30]
	tests := []struct {
		name    string
		m       Mark
		in      []byte
		wantMsg string
	}{
		{"no name", Mark{Name: " \n", Time: fixedNow()}, in, "empty name"},
		{"no time", Mark{Name: "Asha"}, in, "no time"},
		{"not a PNG", Mark{Name: "Asha", Time: fixedNow(), Image: []byte("\xff\xd8\xff\xe0 jpeg")}, in, "not a PNG"},
		{"too many pixels", Mark{Name: "Asha", Time: fixedNow(), Image: big.Bytes()}, in, "3000x2000"},
		{"too many bytes", Mark{Name: "Asha", Time: fixedNow(), Image: make([]byte, maxMarkImageBytes+1)}, in, "bytes"},
		{"truncated PNG", Mark{Name: "Asha", Time: fixedNow(), Image: broken}, in, "drawn signature"},
		{"not a PDF", Mark{Name: "Asha", Time: fixedNow()}, []byte("text"), "not a PDF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AddMark(tt.in, tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantMsg)
			}
		})
	}
}

// drawnPNG is a transparent PNG with a stroke, like a signature pad's.
func drawnPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := w / 10; x < w*9/10; x++ {
		y := h/2 + (x%(h/2) - h/4)
		img.Set(x, y, color.NRGBA{0x1a, 0x23, 0x7e, 0xff})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lastPageImages counts the image XObjects the last page draws, directly
// or inside its form XObjects (where pdfcpu puts stamps).
func lastPageImages(t *testing.T, b []byte) int {
	t.Helper()
	ctx := readCtx(t, b)
	d, _, _, err := ctx.PageDict(ctx.PageCount, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(res types.Dict, depth int)
	walk = func(res types.Dict, depth int) {
		if res == nil || depth > 4 {
			return
		}
		for _, o := range res.DictEntry("XObject") {
			sd, _, err := ctx.DereferenceStreamDict(o)
			if err != nil || sd == nil {
				continue
			}
			switch st := sd.Subtype(); {
			case st != nil && *st == "Image":
				n++
			case st != nil && *st == "Form":
				if r, err := ctx.DereferenceDict(sd.Dict["Resources"]); err == nil {
					walk(r, depth+1)
				}
			}
		}
	}
	res, _ := ctx.DereferenceDict(d["Resources"])
	walk(res, 0)
	return n
}

// A drawn signature may be larger than the whole document it goes on (a
// one-page contract of a few kilobytes, a noisy drawing from a phone).
func TestAddMarkImageLargerThanDocument(t *testing.T) {
	in := Sample(1, "Short")
	img := image.NewNRGBA(image.Rect(0, 0, 300, 100))
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.Uint32())
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if buf.Len() <= len(in) {
		t.Fatalf("the image (%d bytes) is not larger than the document (%d bytes)", buf.Len(), len(in))
	}
	out, err := AddMark(in, Mark{Name: "Asha Rao", Time: fixedNow(), Image: buf.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 1)
	if got := lastPageImages(t, out); got != 1 {
		t.Errorf("last page shows %d images", got)
	}
}
