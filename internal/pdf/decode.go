package pdf

import (
	"bufio"
	"bytes"
	"compress/lzw"
	"compress/zlib"
	"encoding/ascii85"
	"errors"
	"fmt"
	"io"

	tifflzw "golang.org/x/image/tiff/lzw"
)

// This file decodes stream data (7.4) as it is read, counting every byte
// produced against the budget and stopping there: a few kilobytes of
// deflated zeros can claim gigabytes.

// filterKind is a stream filter this package can decode.
type filterKind uint8

const (
	filterFlate filterKind = iota + 1
	filterLZW
	filterASCIIHex
	filterASCII85
	filterRunLength
	filterCrypt
)

// maxFilters bounds a stream's filter chain; real streams use one or two.
const maxFilters = 4

type filterSpec struct {
	kind  filterKind
	parms object // the filter's /DecodeParms dictionary, or null
}

// errUnsupportedFilter is a filter for images (DCT, JPX, JBIG2, CCITT) or
// an unknown name: nothing a content or object stream may use.
var errUnsupportedFilter = errors.New("unsupported filter")

func filterNamed(raw []byte) (filterKind, error) {
	switch nameString(raw) {
	case "FlateDecode", "Fl":
		return filterFlate, nil
	case "LZWDecode", "LZW":
		return filterLZW, nil
	case "ASCIIHexDecode", "AHx":
		return filterASCIIHex, nil
	case "ASCII85Decode", "A85":
		return filterASCII85, nil
	case "RunLengthDecode", "RL":
		return filterRunLength, nil
	case "Crypt":
		return filterCrypt, nil
	}
	return 0, fmt.Errorf("%w /%.40s", errUnsupportedFilter, raw)
}

// filters returns the filters of stream s in decoding order.
func (d *document) filters(s object) (specs [maxFilters]filterSpec, n int, err error) {
	f, err := d.resolve(s.get("Filter"))
	if err != nil {
		return specs, 0, err
	}
	parms, err := d.resolve(s.get("DecodeParms"))
	if err != nil {
		return specs, 0, err
	}
	add := func(name, parms object) error {
		if n == maxFilters {
			return fmt.Errorf("more than %d filters", maxFilters)
		}
		if name.kind != kindName {
			return errors.New("filter is not a name")
		}
		flt, err := filterNamed(name.raw)
		if err != nil {
			return err
		}
		if parms, err = d.resolve(parms); err != nil {
			return err
		}
		specs[n] = filterSpec{kind: flt, parms: parms}
		n++
		return nil
	}
	switch f.kind {
	case kindNull:
	case kindName:
		err = add(f, parms)
	case kindArray:
		f.each(func(_ []byte, name object) bool {
			var p object
			if parms.kind == kindArray {
				i := 0
				parms.each(func(_ []byte, v object) bool {
					if i == n {
						p = v
					}
					i++
					return i <= n
				})
			}
			if name, err = d.resolve(name); err == nil {
				err = add(name, p)
			}
			return err == nil
		})
	default:
		err = errors.New("bad /Filter")
	}
	return specs, n, err
}

// decoder keeps what decoding reuses from one stream to the next.
type decoder struct {
	buf       []byte
	inflaters [maxFilters]io.ReadCloser
}

// reader returns r decoded by the filter at position i of a chain.
func (dec *decoder) reader(r io.Reader, f filterSpec, i int) (io.Reader, error) {
	switch f.kind {
	case filterFlate:
		if z := dec.inflaters[i]; z != nil {
			if err := z.(zlib.Resetter).Reset(r, nil); err != nil {
				return nil, err
			}
			return z, nil
		}
		z, err := zlib.NewReader(r)
		if err != nil {
			return nil, err
		}
		dec.inflaters[i] = z
		return z, nil
	case filterLZW:
		if e := f.parms.get("EarlyChange"); e.kind == kindInt && e.num == 0 {
			return lzw.NewReader(r, lzw.MSB, 8), nil
		}
		return tifflzw.NewReader(r, tifflzw.MSB, 8), nil // PDF's default "early change" is TIFF's
	case filterASCIIHex:
		return &hexReader{r: bufio.NewReaderSize(r, 512)}, nil
	case filterASCII85:
		return ascii85.NewDecoder(&untilTilde{r: r}), nil
	case filterRunLength:
		return &runLengthReader{r: bufio.NewReaderSize(r, 512)}, nil
	case filterCrypt:
		// Only the identity crypt filter can remain: encrypted files are
		// refused before any stream is read.
		if n := f.parms.get("Name"); n.kind == kindNull || n.isName("Identity") {
			return r, nil
		}
		return nil, fmt.Errorf("%w: encrypted stream", errUnsupportedFilter)
	}
	return nil, errUnsupportedFilter
}

// chain returns a reader of s's decoded data, or nil if s has no filters.
func (d *document) chain(s object) (io.Reader, filterSpec, error) {
	specs, n, err := d.filters(s)
	if err != nil || n == 0 {
		return nil, filterSpec{}, err
	}
	var r io.Reader = bytes.NewReader(s.data)
	for i := range n {
		if r, err = d.dec.reader(r, specs[i], i); err != nil {
			return nil, filterSpec{}, fmt.Errorf("does not decode: %w", err)
		}
	}
	return r, specs[n-1], nil
}

// countDecoded decodes s, counting its decoded size against the budget,
// and returns that size.
func (d *document) countDecoded(s object) (int64, error) {
	r, _, err := d.chain(s)
	if err != nil {
		return 0, err
	}
	if r == nil {
		return int64(len(s.data)), d.bud.decode(len(s.data))
	}
	if d.dec.buf == nil {
		d.dec.buf = make([]byte, 16<<10)
	}
	c := counter{bud: d.bud}
	n, err := io.CopyBuffer(&c, r, d.dec.buf)
	return n, decodeError(err)
}

// decodeAll returns the decoded data of s, an object or cross-reference
// stream, which may be at most MaxStreamBytes; counted against the
// budget.
func (d *document) decodeAll(s object) ([]byte, error) {
	r, last, err := d.chain(s)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return s.data, d.bud.decode(len(s.data))
	}
	c := collector{counter: counter{bud: d.bud}, max: d.bud.MaxStreamBytes}
	if _, err := io.Copy(&c, r); decodeError(err) != nil {
		return nil, decodeError(err)
	}
	return unpredict(c.out, last.parms)
}

// decodeError keeps budget errors as they are and forgives a stream that
// ends early, as pdfcpu does.
func decodeError(err error) error {
	if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	if isFatal(err) {
		return err
	}
	return fmt.Errorf("does not decode: %w", err)
}

// counter is a writer that counts into a budget and fails past it.
type counter struct{ bud *budget }

func (c *counter) Write(p []byte) (int, error) {
	if err := c.bud.decode(len(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// collector is a counter that keeps what it counts, at most max bytes.
type collector struct {
	counter
	out []byte
	max int64
}

func (c *collector) Write(p []byte) (int, error) {
	if int64(len(c.out)+len(p)) > c.max {
		return 0, overLimit(LimitStreamBytes, c.max, c.max+1)
	}
	if _, err := c.counter.Write(p); err != nil {
		return 0, err
	}
	if need := len(c.out) + len(p); need > cap(c.out) {
		// Doubling: append grows large slices by a quarter, which costs
		// five times the final size in garbage.
		grown := make([]byte, len(c.out), min(max(2*cap(c.out), need, 4096), int(c.max)))
		copy(grown, c.out)
		c.out = grown
	}
	c.out = append(c.out, p...)
	return len(p), nil
}

// unpredict undoes a PNG or TIFF predictor (7.4.4.4) in place.
func unpredict(data []byte, parms object) ([]byte, error) {
	intOr := func(key string, def int64) int64 {
		if v := parms.get(key); v.kind == kindInt {
			return v.num
		}
		return def
	}
	predictor := intOr("Predictor", 1)
	if predictor == 1 {
		return data, nil
	}
	colors, bpc, columns := intOr("Colors", 1), intOr("BitsPerComponent", 8), intOr("Columns", 1)
	if colors < 1 || colors > 32 || columns < 1 || columns > 1<<20 || (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) {
		return nil, errors.New("bad predictor parameters")
	}
	bpp := int((colors*bpc + 7) / 8)
	rowSize := int((colors*bpc*columns + 7) / 8)
	if predictor == 2 {
		if bpc != 8 {
			return nil, errors.New("TIFF predictor with other than 8 bits per component")
		}
		rows := len(data) / rowSize
		for r := range rows {
			row := data[r*rowSize : (r+1)*rowSize]
			for i := bpp; i < len(row); i++ {
				row[i] += row[i-bpp]
			}
		}
		return data[:rows*rowSize], nil
	}
	if predictor < 10 || predictor > 15 {
		return nil, fmt.Errorf("unknown predictor %d", predictor)
	}
	// Each row is a filter-type byte and rowSize bytes; rows are written
	// back over the input, which only ever lies ahead of them.
	rows := len(data) / (rowSize + 1)
	for r := range rows {
		typ := data[r*(rowSize+1)]
		row := data[r*rowSize : (r+1)*rowSize]
		copy(row, data[r*(rowSize+1)+1:(r+1)*(rowSize+1)])
		var prev []byte
		if r > 0 {
			prev = data[(r-1)*rowSize : r*rowSize]
		}
		up := func(i int) byte {
			if prev == nil {
				return 0
			}
			return prev[i]
		}
		left := func(i int) byte {
			if i < bpp {
				return 0
			}
			return row[i-bpp]
		}
		for i := range row {
			switch typ {
			case 0:
			case 1:
				row[i] += left(i)
			case 2:
				row[i] += up(i)
			case 3:
				row[i] += byte((int(left(i)) + int(up(i))) / 2)
			case 4:
				var ul byte
				if prev != nil && i >= bpp {
					ul = prev[i-bpp]
				}
				row[i] += paeth(left(i), up(i), ul)
			default:
				return nil, fmt.Errorf("bad PNG filter type %d", typ)
			}
		}
	}
	return data[:rows*rowSize], nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// hexReader decodes ASCIIHexDecode data up to its '>'.
type hexReader struct {
	r   *bufio.Reader
	eod bool
}

func (h *hexReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !h.eod {
		var nibbles [2]byte
		k := 0
		for k < 2 {
			c, err := h.r.ReadByte()
			if err == io.EOF || c == '>' {
				h.eod = true
				break
			}
			if err != nil {
				return n, err
			}
			if isSpace(c) {
				continue
			}
			v, ok := unhex(c)
			if !ok {
				return n, fmt.Errorf("bad hex digit %q", c)
			}
			nibbles[k] = v
			k++
		}
		if k == 0 {
			break
		}
		p[n] = nibbles[0]<<4 | nibbles[1] // a lone last digit is followed by 0
		n++
	}
	if n == 0 && h.eod {
		return 0, io.EOF
	}
	return n, nil
}

// untilTilde ends ASCII85 data at its "~>".
type untilTilde struct {
	r   io.Reader
	eod bool
}

func (u *untilTilde) Read(p []byte) (int, error) {
	if u.eod {
		return 0, io.EOF
	}
	n, err := u.r.Read(p)
	if i := bytes.IndexByte(p[:n], '~'); i >= 0 {
		u.eod = true
		return i, nil
	}
	return n, err
}

// runLengthReader decodes RunLengthDecode data.
type runLengthReader struct {
	r      *bufio.Reader
	lit    int  // literal bytes left to copy
	rep    int  // times left to repeat b
	b      byte // the repeated byte
	eod    bool
	failed error
}

func (rl *runLengthReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case rl.lit > 0:
			c, err := rl.r.ReadByte()
			if err != nil {
				rl.eod = true
				return n, io.ErrUnexpectedEOF
			}
			p[n] = c
			n++
			rl.lit--
		case rl.rep > 0:
			p[n] = rl.b
			n++
			rl.rep--
		case rl.eod:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		default:
			l, err := rl.r.ReadByte()
			switch {
			case err != nil || l == 128:
				rl.eod = true
			case l < 128:
				rl.lit = int(l) + 1
			default:
				c, err := rl.r.ReadByte()
				if err != nil {
					rl.eod = true
					return n, io.ErrUnexpectedEOF
				}
				rl.rep, rl.b = 257-int(l), c
			}
		}
	}
	return n, nil
}
