package qr

// The module matrix: function patterns, codeword placement, masks and
// the format and version information.

func newCode(v int, level Level) *Code {
	size := 4*v + 17
	c := &Code{Version: v, Level: level, Size: size}
	c.modules = make([][]bool, size)
	c.isFunction = make([][]bool, size)
	for i := range c.modules {
		c.modules[i] = make([]bool, size)
		c.isFunction[i] = make([]bool, size)
	}
	c.drawFunctionPatterns()
	return c
}

func (c *Code) set(x, y int, dark bool) {
	c.modules[y][x] = dark
	c.isFunction[y][x] = true
}

// drawFunctionPatterns draws the timing, finder and alignment patterns,
// the version information, and reserves the format information's modules
// (drawn for real with the mask).
func (c *Code) drawFunctionPatterns() {
	for i := 0; i < c.Size; i++ {
		c.set(6, i, i%2 == 0)
		c.set(i, 6, i%2 == 0)
	}
	c.drawFinder(3, 3)
	c.drawFinder(c.Size-4, 3)
	c.drawFinder(3, c.Size-4)

	pos := alignmentPositions(c.Version)
	n := len(pos)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == 0 && j == 0 || i == 0 && j == n-1 || i == n-1 && j == 0 {
				continue // the finder corners
			}
			c.drawAlignment(pos[i], pos[j])
		}
	}
	c.drawFormat(0) // reserve
	c.drawVersion()
}

// drawFinder draws a finder pattern and its separator centred on (x, y).
func (c *Code) drawFinder(x, y int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			xx, yy := x+dx, y+dy
			if xx < 0 || yy < 0 || xx >= c.Size || yy >= c.Size {
				continue
			}
			d := max(abs(dx), abs(dy))
			c.set(xx, yy, d != 2 && d != 4)
		}
	}
}

// drawAlignment draws a 5×5 alignment pattern centred on (x, y).
func (c *Code) drawAlignment(x, y int) {
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			c.set(x+dx, y+dy, max(abs(dx), abs(dy)) != 1)
		}
	}
}

// alignmentPositions is the ascending list of the alignment patterns'
// centre coordinates for version v (none for version 1): evenly spaced
// from the far edge, with the first at 6.
func alignmentPositions(v int) []int {
	if v == 1 {
		return nil
	}
	n := v/7 + 2
	step := 26
	if v != 32 {
		step = (v*4 + n*2 + 1) / (n*2 - 2) * 2
	}
	pos := make([]int, n)
	pos[0] = 6
	for i, p := n-1, 4*v+17-7; i >= 1; i, p = i-1, p-step {
		pos[i] = p
	}
	return pos
}

// drawFormat draws both copies of the format information (level and
// mask, BCH-protected, XORed with 101010000010010) and the dark module.
func (c *Code) drawFormat(mask int) {
	data := formatBits[c.Level]<<3 | mask
	rem := data
	for i := 0; i < 10; i++ {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>i&1 == 1 }

	for i := 0; i <= 5; i++ {
		c.set(8, i, bit(i))
	}
	c.set(8, 7, bit(6))
	c.set(8, 8, bit(7))
	c.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		c.set(14-i, 8, bit(i))
	}
	for i := 0; i < 8; i++ {
		c.set(c.Size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		c.set(8, c.Size-15+i, bit(i))
	}
	c.set(8, c.Size-8, true)
}

// drawVersion draws both copies of the version information (versions 7
// and up): the version, BCH-protected, in two 6×3 blocks.
func (c *Code) drawVersion() {
	if c.Version < 7 {
		return
	}
	rem := c.Version
	for i := 0; i < 12; i++ {
		rem = rem<<1 ^ (rem>>11)*0x1F25
	}
	bits := c.Version<<12 | rem
	for i := 0; i < 18; i++ {
		dark := bits>>i&1 == 1
		a, b := c.Size-11+i%3, i/3
		c.set(a, b, dark)
		c.set(b, a, dark)
	}
}

// drawCodewords places the codewords' bits in the zigzag order: column
// pairs from the right, up and down in turn, skipping the vertical timing
// pattern and the function modules. Remainder modules stay light.
func (c *Code) drawCodewords(data []byte) {
	i := 0
	for right := c.Size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := 0; vert < c.Size; vert++ {
			for j := 0; j < 2; j++ {
				x := right - j
				upward := (right+1)&2 == 0
				y := vert
				if upward {
					y = c.Size - 1 - vert
				}
				if c.isFunction[y][x] || i >= len(data)*8 {
					continue
				}
				c.modules[y][x] = data[i/8]>>(7-i%8)&1 == 1
				i++
			}
		}
	}
}

// applyMask XORs the data modules with mask pattern m.
func (c *Code) applyMask(m int) {
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.isFunction[y][x] {
				continue
			}
			var flip bool
			switch m {
			case 0:
				flip = (x+y)%2 == 0
			case 1:
				flip = y%2 == 0
			case 2:
				flip = x%3 == 0
			case 3:
				flip = (x+y)%3 == 0
			case 4:
				flip = (x/3+y/2)%2 == 0
			case 5:
				flip = x*y%2+x*y%3 == 0
			case 6:
				flip = (x*y%2+x*y%3)%2 == 0
			case 7:
				flip = ((x+y)%2+x*y%3)%2 == 0
			}
			if flip {
				c.modules[y][x] = !c.modules[y][x]
			}
		}
	}
}

// The penalty weights of the mask rules.
const (
	penaltyRun     = 3  // N1: a run of 5+ modules of one colour (plus 1 per extra)
	penaltyBlock   = 3  // N2: a 2×2 block of one colour
	penaltyFinder  = 40 // N3: a finder-like 1:1:3:1:1 pattern beside 4 light modules
	penaltyBalance = 10 // N4: per 5% of imbalance between dark and light
)

// penalty scores the masked matrix; the mask with the lowest wins.
func (c *Code) penalty() int {
	n := c.Size
	p := 0
	line := make([]bool, n)
	for pass := 0; pass < 2; pass++ { // rows, then columns
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				if pass == 0 {
					line[b] = c.modules[a][b]
				} else {
					line[b] = c.modules[b][a]
				}
			}
			p += linePenalty(line)
		}
	}
	for y := 0; y < n-1; y++ {
		for x := 0; x < n-1; x++ {
			v := c.modules[y][x]
			if v == c.modules[y][x+1] && v == c.modules[y+1][x] && v == c.modules[y+1][x+1] {
				p += penaltyBlock
			}
		}
	}
	dark := 0
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if c.modules[y][x] {
				dark++
			}
		}
	}
	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	p += k * penaltyBalance
	return p
}

// finderLike is the 1:1:3:1:1 pattern N3 looks for, with four light
// modules on one side.
var finderLike = [2][11]bool{
	{true, false, true, true, true, false, true, false, false, false, false},
	{false, false, false, false, true, false, true, true, true, false, true},
}

// linePenalty scores one row or column for N1 and N3. Modules beyond the
// edge count as light (the quiet zone).
func linePenalty(line []bool) int {
	p := 0
	run := 1
	for i := 1; i <= len(line); i++ {
		if i < len(line) && line[i] == line[i-1] {
			run++
			continue
		}
		if run >= 5 {
			p += penaltyRun + run - 5
		}
		run = 1
	}
	at := func(i int) bool { return i >= 0 && i < len(line) && line[i] }
	for start := -4; start < len(line); start++ {
		for _, pat := range finderLike {
			match := true
			for k, want := range pat {
				if at(start+k) != want {
					match = false
					break
				}
			}
			if match {
				p += penaltyFinder
			}
		}
	}
	return p
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
