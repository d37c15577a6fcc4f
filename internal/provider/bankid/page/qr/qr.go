// Package qr encodes text as a QR code (ISO/IEC 18004, model 2) and draws
// it as SVG, for the BankID page's animated QR code. It is small on
// purpose: byte mode only, all 40 versions and the four error-correction
// levels, the mask chosen by the standard's penalty rules.
//
// It exists so that Signet needs no third-party QR library; its output
// is checked against another encoder and a decoder in the tests.
package qr

import (
	"errors"
	"fmt"
	"strings"
)

// Level is an error-correction level.
type Level int

// The error-correction levels, from least to most redundancy.
const (
	L Level = iota // about 7% of codewords can be restored
	M              // 15%
	Q              // 25%
	H              // 30%
)

// formatBits is each level's two-bit code in the format information.
var formatBits = [4]int{L: 1, M: 0, Q: 3, H: 2}

// eccPerBlock and numBlocks are the standard's table of error-correction
// codewords per block and of blocks, by level and version (index 0
// unused).
var eccPerBlock = [4][41]int{
	{0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	{0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28},
	{0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	{0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
}

var numBlocks = [4][41]int{
	{0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25},
	{0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49},
	{0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68},
	{0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81},
}

// ErrTooLong: the text does not fit a version-40 code at the level.
var ErrTooLong = errors.New("qr: text too long for a QR code")

// Code is an encoded QR code: Size×Size modules, true for dark.
type Code struct {
	Version int
	Level   Level
	Mask    int
	Size    int
	modules [][]bool
	// isFunction marks the modules of function patterns while encoding.
	isFunction [][]bool
}

// Dark reports whether the module at column x, row y is dark.
func (c *Code) Dark(x, y int) bool {
	return x >= 0 && y >= 0 && x < c.Size && y < c.Size && c.modules[y][x]
}

// Encode encodes data in byte mode at level, in the smallest version that
// holds it, with the mask of least penalty.
func Encode(data []byte, level Level) (*Code, error) {
	return encode(data, level, -1, -1)
}

// encode is Encode with the version (or -1 for the smallest) and the mask
// (or -1 for the best) given, for tests.
func encode(data []byte, level Level, version, mask int) (*Code, error) {
	if level < L || level > H {
		return nil, fmt.Errorf("qr: unknown level %d", level)
	}
	if version < 0 {
		for v := 1; v <= 40; v++ {
			if bitsNeeded(len(data), v) <= dataCodewords(v, level)*8 {
				version = v
				break
			}
		}
		if version < 0 {
			return nil, ErrTooLong
		}
	} else if version < 1 || version > 40 || bitsNeeded(len(data), version) > dataCodewords(version, level)*8 {
		return nil, ErrTooLong
	}

	codewords := addECC(dataBits(data, version, level), version, level)
	c := newCode(version, level)
	c.drawCodewords(codewords)
	if mask < 0 {
		best := -1
		for m := 0; m < 8; m++ {
			c.applyMask(m)
			c.drawFormat(m)
			if p := c.penalty(); best < 0 || p < best {
				best, mask = p, m
			}
			c.applyMask(m) // XOR again undoes it
		}
	}
	c.applyMask(mask)
	c.drawFormat(mask)
	c.Mask = mask
	c.isFunction = nil
	return c, nil
}

// bitsNeeded is the length of the data segment for n bytes in version v:
// mode, character count, data.
func bitsNeeded(n, v int) int {
	return 4 + countBits(v) + 8*n
}

// countBits is the width of byte mode's character count.
func countBits(v int) int {
	if v <= 9 {
		return 8
	}
	return 16
}

// rawModules is how many modules of version v carry codewords (data and
// error correction, plus the remainder bits).
func rawModules(v int) int {
	n := (16*v+128)*v + 64
	if v >= 2 {
		align := v/7 + 2
		n -= (25*align-10)*align - 55
		if v >= 7 {
			n -= 36
		}
	}
	return n
}

// dataCodewords is how many data codewords version v holds at level.
func dataCodewords(v int, level Level) int {
	return rawModules(v)/8 - eccPerBlock[level][v]*numBlocks[level][v]
}

// dataBits builds the data codewords: byte-mode segment, terminator,
// padding to a byte, then the pad bytes 0xEC 0x11 alternately.
func dataBits(data []byte, v int, level Level) []byte {
	var b bitBuffer
	b.append(0x4, 4) // byte mode
	b.append(len(data), countBits(v))
	for _, x := range data {
		b.append(int(x), 8)
	}
	capacity := dataCodewords(v, level) * 8
	b.append(0, min(4, capacity-b.n))
	b.append(0, (8-b.n%8)%8)
	for pad := 0xEC; b.n < capacity; pad ^= 0xEC ^ 0x11 {
		b.append(pad, 8)
	}
	return b.bytes
}

// bitBuffer collects bits, most significant first.
type bitBuffer struct {
	bytes []byte
	n     int
}

func (b *bitBuffer) append(v, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if b.n%8 == 0 {
			b.bytes = append(b.bytes, 0)
		}
		if v>>i&1 == 1 {
			b.bytes[b.n/8] |= 0x80 >> (b.n % 8)
		}
		b.n++
	}
}

// addECC splits the data into blocks, adds each block's Reed-Solomon
// codewords and interleaves the lot as the standard says.
func addECC(data []byte, v int, level Level) []byte {
	blocks, eccLen := numBlocks[level][v], eccPerBlock[level][v]
	raw := rawModules(v) / 8
	short := blocks - raw%blocks // blocks one data codeword shorter
	shortLen := raw/blocks - eccLen
	gen := rsGenerator(eccLen)

	var dataBlocks, eccBlocks [][]byte
	k := 0
	for i := 0; i < blocks; i++ {
		n := shortLen
		if i >= short {
			n++
		}
		d := data[k : k+n]
		k += n
		dataBlocks = append(dataBlocks, d)
		eccBlocks = append(eccBlocks, rsRemainder(d, gen))
	}
	out := make([]byte, 0, raw)
	for i := 0; i <= shortLen; i++ {
		for _, d := range dataBlocks {
			if i < len(d) {
				out = append(out, d[i])
			}
		}
	}
	for i := 0; i < eccLen; i++ {
		for _, e := range eccBlocks {
			out = append(out, e[i])
		}
	}
	return out
}

// gfMul multiplies in GF(2^8) modulo x^8+x^4+x^3+x^2+1.
func gfMul(x, y byte) byte {
	var z byte
	for i := 7; i >= 0; i-- {
		hi := z & 0x80
		z <<= 1
		if hi != 0 {
			z ^= 0x1D
		}
		if y>>i&1 == 1 {
			z ^= x
		}
	}
	return z
}

// rsGenerator is the coefficients (highest power first, leading 1
// dropped) of the generator polynomial (x-α^0)(x-α^1)…(x-α^(n-1)).
func rsGenerator(n int) []byte {
	g := make([]byte, n)
	g[n-1] = 1
	root := byte(1)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g[j] = gfMul(g[j], root)
			if j+1 < n {
				g[j] ^= g[j+1]
			}
		}
		root = gfMul(root, 0x02)
	}
	return g
}

// rsRemainder is data·x^n modulo the generator: the error-correction
// codewords.
func rsRemainder(data, gen []byte) []byte {
	r := make([]byte, len(gen))
	for _, b := range data {
		f := b ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i, g := range gen {
			r[i] ^= gfMul(g, f)
		}
	}
	return r
}

// String draws the code with '#' for dark and '.' for light modules, one
// row a line (for tests and debugging).
func (c *Code) String() string {
	var b strings.Builder
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.modules[y][x] {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
