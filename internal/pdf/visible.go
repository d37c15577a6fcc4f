package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Mark is the visible side of a signature: what a reader of the printed
// contract sees of who signed and when.
type Mark struct {
	Name  string    // the signer's name
	Time  time.Time // when they signed; shown in UTC
	Image []byte    // optional PNG of the signature the signer drew
}

// Mark layout, in points. Marks fill the right edge of the last page from
// the bottom up, six to a column, a second column to the left of the first:
// centred footers and the text column of most contracts stay clear.
const (
	markFontSize    = 8
	markMargin      = 24  // from the page edges
	markColumnWidth = 160 // a column, including the gap to the next
	markRowHeight   = 76  // a mark with its drawn signature, and a gap
	markTextHeight  = 40  // three lines of text with margins and frame
	markImageWidth  = 130 // at most, for a drawn signature
	markImageHeight = 30
	marksPerColumn  = 6
	maxMarks        = 12
)

// Limits on a drawn signature image, which comes from a browser.
const (
	maxMarkImageBytes  = 1 << 20
	maxMarkImagePixels = 4 << 20
)

// markKey in the document information dictionary counts the marks
// already on the last page, so the next one goes beside them.
const markKey = "SignetSignatureMarks"

// AddMark returns a copy of the PDF b with a signature mark in the
// bottom-right corner of its last page: the drawn signature, if any, above
// a framed "Signed by <name>", the time in UTC, and "Signed with Signet".
// Each call places its mark above the previous ones, up to 12.
//
// Like Stamp it draws with Helvetica (characters outside Latin-1 show as
// spaces) and rewrites the whole file, so it comes before any signature:
// add the marks, then sign.
func AddMark(b []byte, m Mark) ([]byte, error) {
	return DefaultLimits().AddMark(context.Background(), b, m)
}

// AddMark is AddMark under l; b is checked under l.Signed(), as a document
// on its way to being signed.
func (l Limits) AddMark(c context.Context, b []byte, m Mark) ([]byte, error) {
	name := strings.Join(textLines(m.Name), " ")
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("mark: empty name")
	}
	if m.Time.IsZero() {
		return nil, errors.New("mark: no time")
	}
	var scale float64
	if len(m.Image) > 0 {
		var err error
		if scale, err = markImageScale(m.Image); err != nil {
			return nil, err
		}
	}
	lines := []string{"Signed by " + name, m.Time.UTC().Format("2006-01-02 15:04:05 UTC"), "Signed with Signet"}
	return l.modify(c, b, model.ADDWATERMARKS, func(ctx *model.Context) error {
		n := infoCount(ctx, markKey, maxMarks)
		if n >= maxMarks {
			return fmt.Errorf("mark: the last page already has %d marks", n)
		}
		x := -markMargin - (n/marksPerColumn)*markColumnWidth
		y := markMargin + (n%marksPerColumn)*markRowHeight
		last := types.IntSet{ctx.PageCount: true}
		desc := fmt.Sprintf("fontname:Helvetica, points:%d, scalefactor:1 abs, rotation:0, opacity:1, "+
			"position:br, offset:%d %d, aligntext:l, fillcolor:#1a237e, bgcolor:#f5f7ff, border:0.5 #1a237e, margins:4",
			markFontSize, x, y)
		if err := addText(ctx, last, lines, desc); err != nil {
			return fmt.Errorf("mark: %w", err)
		}
		if scale > 0 {
			// read bounds every stream by the input file's size; the
			// image comes from elsewhere, under its own limits above.
			ctx.Conf.Limits.MaxStreamBytes = max(ctx.Conf.Limits.MaxStreamBytes, int64(len(m.Image)))
			desc := fmt.Sprintf("scalefactor:%.4f abs, rotation:0, opacity:1, position:br, offset:%d %d", scale, x, y+markTextHeight)
			wm, err := api.ImageWatermarkForReader(bytes.NewReader(m.Image), desc, true, false, types.POINTS)
			if err != nil {
				return fmt.Errorf("mark: drawn signature: %w", err)
			}
			if err := pdfcpu.AddWatermarks(ctx, last, wm); err != nil {
				return fmt.Errorf("mark: drawn signature: %w", err)
			}
		}
		return setInfoCount(ctx, markKey, n+1)
	})
}

// CheckMarkImage says whether img can be a mark's drawn signature: a PNG
// that decodes, of at most maxMarkImageBytes and maxMarkImagePixels. The
// signing page checks it before a signature is recorded, so that a
// recorded signature always makes its document.
func CheckMarkImage(img []byte) error {
	_, err := markImageScale(img)
	return err
}

// markImageScale checks that img is a PNG of sane size and returns the
// factor that fits it into the mark's image area.
func markImageScale(img []byte) (float64, error) {
	if len(img) > maxMarkImageBytes {
		return 0, fmt.Errorf("mark: drawn signature is %d bytes, at most %d", len(img), maxMarkImageBytes)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return 0, fmt.Errorf("mark: drawn signature is not a PNG: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxMarkImagePixels {
		return 0, fmt.Errorf("mark: drawn signature of %dx%d pixels", cfg.Width, cfg.Height)
	}
	// Decode it all: a broken PNG must fail here, not inside pdfcpu.
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		return 0, fmt.Errorf("mark: drawn signature: %w", err)
	}
	return min(float64(markImageWidth)/float64(cfg.Width), float64(markImageHeight)/float64(cfg.Height)), nil
}

// infoCount reads a small counter from the document information
// dictionary; anything missing, broken or outside [0, limit] counts as 0.
func infoCount(ctx *model.Context, key string, limit int) int {
	if ctx.Info == nil {
		return 0
	}
	d, err := ctx.DereferenceDict(*ctx.Info)
	if err != nil || d == nil {
		return 0
	}
	if n := d.IntEntry(key); n != nil && *n > 0 && *n <= limit {
		return *n
	}
	return 0
}

// setInfoCount writes a counter infoCount reads, creating the information
// dictionary if the document has none.
func setInfoCount(ctx *model.Context, key string, n int) error {
	if ctx.Info == nil {
		ir, err := ctx.IndRefForNewObject(types.NewDict())
		if err != nil {
			return err
		}
		ctx.Info = ir
	}
	d, err := ctx.DereferenceDict(*ctx.Info)
	if err != nil {
		return err
	}
	if d == nil {
		return errors.New("missing document information dictionary")
	}
	d.Update(key, types.Integer(n))
	return nil
}
