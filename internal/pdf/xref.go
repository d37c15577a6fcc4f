package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
)

// This file finds objects in a PDF the way a viewer does: through the
// cross-reference table or stream at startxref and its /Prev chain, and,
// when those are broken, by rebuilding the table from the "N G obj"
// headers in the file (as pdfcpu, pdf.js and poppler do). Nothing is read
// before it is asked for.

// Where an object is kept, in entry.kind.
const (
	entryUnset    uint8 = iota // no section mentions the object
	entryFree                  // a section marks it free (a reference to it reads as null)
	entryInFile                // at a byte offset
	entryInStream              // inside an object stream
)

// entry locates one object.
type entry struct {
	kind    uint8
	section uint16 // which xref section set it: a hybrid file's stream may fill its own table's free slots
	index   int32  // the object's index in its object stream
	off     int64  // byte offset, or the number of the object stream
}

// objStream is a decoded object stream (7.5.7).
type objStream struct {
	data  []byte
	first int
	nums  []int64 // object numbers, in order
	offs  []int   // their offsets, relative to first
}

// document reads the objects of one PDF under a budget.
type document struct {
	b        []byte
	bud      *budget
	xref     []entry
	root     object // the trailer's /Root
	info     object // the trailer's /Info
	encrypt  bool   // some trailer has /Encrypt
	repaired bool   // the table was rebuilt by scanning
	inLength bool   // resolving a stream's /Length: don't follow another stream's
	sections int
	streams  map[int64]*objStream
	decoded  map[int64]int64 // decoded sizes of content streams
	// endstreams are the offsets of every "endstream", once a stream's
	// /Length turned out wrong.
	endstreams []int
	dec        decoder
}

// errBadOffset reports a table entry that does not point at its object.
var errBadOffset = errors.New("cross-reference offset does not point at the object")

// maxSections bounds the /Prev chain: each incremental update adds one
// section, and real files have a handful.
const maxSections = 1024

// openDocument reads the cross-reference information of b.
func openDocument(b []byte, bud *budget) (*document, error) {
	d := &document{b: b, bud: bud}
	err := d.readXref()
	if err == nil && d.root.kind == kindNull {
		err = errors.New("trailer has no /Root")
	}
	if err != nil {
		if isFatal(err) {
			return nil, err
		}
		if err := d.repair(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// isFatal reports errors that repairing the file cannot help: limits and
// cancellation.
func isFatal(err error) bool {
	var le *LimitError
	return errors.As(err, &le) || errors.Is(err, context.Canceled)
}

// readXref reads the sections from startxref along their /Prev chain.
func (d *document) readXref() error {
	i := bytes.LastIndex(d.b, []byte("startxref"))
	if i < 0 {
		return errors.New("no startxref")
	}
	l := lexer{b: d.b, pos: i + len("startxref")}
	if err := l.next(); err != nil || l.tok != tokInt || l.num <= 0 || l.num >= int64(len(d.b)) {
		return errors.New("bad startxref offset")
	}
	var visited []int64
	for off := l.num; off >= 0; {
		for _, v := range visited {
			if v == off {
				return nil // a loop in /Prev: every section was read
			}
		}
		visited = append(visited, off)
		if len(visited) > maxSections {
			return fmt.Errorf("more than %d cross-reference sections", maxSections)
		}
		prev, err := d.readSection(off)
		if err != nil && len(visited) == 1 && !isFatal(err) {
			// Bytes added or removed before the table shift it from
			// startxref; the last "xref" keyword is where it went.
			if x := lastKeyword(d.b[:i], "xref"); x >= 0 && int64(x) != off {
				d.xref, d.root, d.info, d.encrypt = d.xref[:0], object{}, object{}, false
				prev, err = d.readSection(int64(x))
			}
		}
		if err != nil {
			return err
		}
		off = prev
	}
	return nil
}

// lastKeyword returns the offset of the last keyword kw in b (not part of
// a longer word, as "xref" is of "startxref"), or -1.
func lastKeyword(b []byte, kw string) int {
	for end := len(b); ; {
		i := bytes.LastIndex(b[:end], []byte(kw))
		if i < 0 {
			return -1
		}
		if (i == 0 || !isRegular(b[i-1])) && (i+len(kw) == len(b) || !isRegular(b[i+len(kw)])) {
			return i
		}
		end = i
	}
}

// readSection reads the section at off and returns its /Prev offset, or
// -1.
func (d *document) readSection(off int64) (prev int64, err error) {
	if off < 0 || off >= int64(len(d.b)) {
		return 0, errors.New("cross-reference offset out of range")
	}
	d.sections++
	l := lexer{b: d.b, pos: int(off)}
	if err := l.next(); err != nil {
		return 0, err
	}
	var trailer object
	if l.keyword("xref") {
		if trailer, err = d.readTable(&l); err != nil {
			return 0, err
		}
		// A hybrid file (7.5.8.4) lists its compressed objects in a stream.
		if xs := trailer.get("XRefStm"); xs.kind == kindInt {
			if _, err := d.readStream(xs.num, uint16(d.sections), false); err != nil {
				return 0, err
			}
		}
	} else if trailer, err = d.readStream(off, uint16(d.sections), false); err != nil {
		return 0, err
	}
	d.useTrailer(trailer)
	prev = -1
	if p := trailer.get("Prev"); p.kind == kindInt && p.num >= 0 {
		prev = p.num
	}
	return prev, nil
}

// useTrailer takes /Root and /Info from the newest trailer that has them.
func (d *document) useTrailer(t object) {
	if d.root.kind == kindNull {
		d.root = t.get("Root")
	}
	if d.info.kind == kindNull {
		d.info = t.get("Info")
	}
	if _, ok := t.lookup("Encrypt"); ok {
		d.encrypt = true
	}
}

// set records where object num is, unless a newer section already did.
func (d *document) set(num int64, e entry) error {
	if num < 0 {
		return nil
	}
	if num >= int64(len(d.xref)) {
		if err := d.grow(num + 1); err != nil {
			return err
		}
	}
	old := &d.xref[num]
	if old.kind == entryUnset || (old.kind == entryFree && old.section == e.section && e.kind != entryFree) {
		*old = e
	}
	return nil
}

// grow makes room for n table entries.
func (d *document) grow(n int64) error {
	if n > int64(d.bud.MaxObjects) {
		return overLimit(LimitObjects, int64(d.bud.MaxObjects), n)
	}
	if n > int64(cap(d.xref)) {
		c := max(n, int64(cap(d.xref))*2, 64)
		c = min(c, int64(d.bud.MaxObjects))
		x := make([]entry, len(d.xref), c)
		copy(x, d.xref)
		d.xref = x
	}
	old := len(d.xref)
	d.xref = d.xref[:n]
	clear(d.xref[old:]) // a table reset to [:0] for a repair keeps its old entries
	return nil
}

// readTable reads a classic cross-reference table (7.5.4) after its
// "xref" keyword, and the trailer after it.
func (d *document) readTable(l *lexer) (object, error) {
	section := uint16(d.sections)
	for {
		if err := l.next(); err != nil {
			return object{}, err
		}
		if l.keyword("trailer") {
			break
		}
		start := l.num
		if l.tok != tokInt || l.next() != nil || l.tok != tokInt || start < 0 || l.num < 0 {
			return object{}, errors.New("bad cross-reference subsection")
		}
		count := l.num
		// Each entry takes at least 18 bytes ("0000000000 00000 n").
		if count > int64(len(l.b)-l.pos)/18+1 {
			return object{}, errors.New("cross-reference subsection runs past the end of the file")
		}
		if start+count > int64(len(d.xref)) {
			if err := d.grow(start + count); err != nil {
				return object{}, err
			}
		}
		for i := range count {
			off := int64(-1)
			if l.next() == nil && l.tok == tokInt {
				off = l.num
			}
			if l.next() != nil || l.tok != tokInt {
				off = -1 // the generation, which nothing here needs
			}
			if err := l.next(); err != nil || off < 0 || (!l.keyword("n") && !l.keyword("f")) {
				return object{}, errors.New("bad cross-reference entry")
			}
			e := entry{kind: entryFree, section: section}
			if l.keyword("n") && off > 0 {
				e = entry{kind: entryInFile, section: section, off: off}
			}
			if err := d.set(start+i, e); err != nil {
				return object{}, err
			}
		}
	}
	return d.trailerAt(l.pos)
}

// trailerAt parses the trailer dictionary at pos. A trailer with a syntax
// error elsewhere (a mangled /ID, say) still gives the entries a reader
// needs, as pdfcpu reads it.
func (d *document) trailerAt(pos int) (object, error) {
	p := parser{lexer: lexer{b: d.b, pos: pos}, maxDepth: d.bud.MaxDepth}
	t, err := p.value()
	if err == nil && t.kind == kindDict {
		return t, nil
	}
	if err != nil && isFatal(err) {
		return object{}, err
	}
	// Collect the entries that parse at the top level of the dictionary.
	p = parser{lexer: lexer{b: d.b, pos: pos}, maxDepth: d.bud.MaxDepth}
	if p.next() != nil || p.tok != tokDictOpen {
		return object{}, errors.New("trailer is not a dictionary")
	}
	out := []byte("<<")
	depth := 1
	for depth > 0 && len(out) < 4096 {
		if err := p.next(); err != nil {
			p.pos++ // skip the bad byte
			continue
		}
		switch p.tok {
		case tokEOF:
			depth = 0
		case tokDictOpen, tokArrayOpen:
			depth++
		case tokDictClose, tokArrayClose:
			depth--
		case tokKeyword:
			if p.keyword("startxref") || p.keyword("xref") {
				depth = 0
			}
		case tokName:
			if depth != 1 {
				break
			}
			key := p.text()
			switch nameString(key) {
			case "Root", "Info", "Prev", "XRefStm", "Size", "Encrypt":
			default:
				continue
			}
			save := p.pos
			v, err := p.value()
			if err != nil || v.kind == kindDict || v.kind == kindArray {
				p.pos = save
				if nameIs(key, "Encrypt") {
					v = object{kind: kindBool, raw: []byte("true")}
				} else {
					continue
				}
			}
			if v.kind == kindNull {
				continue
			}
			out = append(append(append(append(out, '/'), key...), ' '), v.raw...)
		}
	}
	out = append(out, ">>"...)
	return object{kind: kindDict, raw: out}, nil
}

// readStream reads the cross-reference stream (7.5.8) at off and returns
// its dictionary, which is also the section's trailer. With onlyCompressed
// it records only the objects in object streams.
func (d *document) readStream(off int64, section uint16, onlyCompressed bool) (object, error) {
	s, err := d.objectAt(off, -1)
	if err != nil {
		return object{}, err
	}
	if s.kind != kindStream || !s.get("Type").isName("XRef") {
		return object{}, errors.New("no cross-reference table or stream")
	}
	var w [3]int64
	n := 0
	s.get("W").each(func(_ []byte, v object) bool {
		if n < 3 && v.kind == kindInt {
			w[n] = v.num
		}
		n++
		return true
	})
	if n != 3 || w[0] < 0 || w[1] < 0 || w[2] < 0 || w[0] > 8 || w[1] > 8 || w[2] > 8 || w[0]+w[1]+w[2] == 0 {
		return object{}, errors.New("bad /W in cross-reference stream")
	}
	var index []int64
	ok := true
	if ix := s.get("Index"); ix.kind == kindArray {
		ix.each(func(_ []byte, v object) bool {
			ok = v.kind == kindInt && v.num >= 0
			index = append(index, v.num)
			return ok
		})
	} else if size := s.get("Size"); size.kind == kindInt && size.num >= 0 {
		index = []int64{0, size.num}
	}
	if !ok || len(index)%2 != 0 || len(index) == 0 {
		return object{}, errors.New("bad /Index in cross-reference stream")
	}
	var total int64
	for i := 0; i < len(index); i += 2 {
		if total += index[i+1]; total > int64(d.bud.MaxObjects) {
			return object{}, overLimit(LimitObjects, int64(d.bud.MaxObjects), total)
		}
		if end := index[i] + index[i+1]; end > int64(len(d.xref)) {
			if err := d.grow(end); err != nil {
				return object{}, err
			}
		}
	}
	data, err := d.decodeAll(s)
	if err != nil {
		return object{}, fmt.Errorf("cross-reference stream: %w", err)
	}
	row := int(w[0] + w[1] + w[2])
	field := func(b []byte) int64 {
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	for i := 0; i < len(index); i += 2 {
		for num := index[i]; num < index[i]+index[i+1]; num++ {
			if len(data) < row {
				return s, nil // a short stream: the rest stays unset
			}
			typ := int64(1) // the default when the field is absent
			if w[0] > 0 {
				typ = field(data[:w[0]])
			}
			f2, f3 := field(data[w[0]:w[0]+w[1]]), field(data[w[0]+w[1]:row])
			data = data[row:]
			var e entry
			switch typ {
			case 0:
				e = entry{kind: entryFree, section: section}
			case 1:
				e = entry{kind: entryInFile, section: section, off: f2}
				if f2 <= 0 {
					e = entry{kind: entryFree, section: section}
				}
			case 2:
				e = entry{kind: entryInStream, section: section, off: f2, index: int32(min(f3, 1<<31-1))}
			default:
				continue // reserved: a reference to it is null
			}
			if onlyCompressed && e.kind != entryInStream {
				continue
			}
			if err := d.set(num, e); err != nil {
				return object{}, err
			}
		}
	}
	return s, nil
}

// resolve follows a reference; other objects are returned as they are.
func (d *document) resolve(o object) (object, error) {
	if o.kind != kindRef {
		return o, nil
	}
	return d.load(o.num)
}

// load returns object num, or null if the file has no such object (as
// readers do, 7.3.10).
func (d *document) load(num int64) (object, error) {
	if err := d.bud.follow(); err != nil {
		return object{}, err
	}
	if num < 0 || num >= int64(len(d.xref)) {
		return object{}, nil
	}
	switch e := d.xref[num]; e.kind {
	case entryInFile:
		o, err := d.objectAt(e.off, num)
		if errors.Is(err, errBadOffset) && !d.repaired {
			if err := d.repair(); err != nil {
				return object{}, err
			}
			return d.load(num)
		}
		return o, err
	case entryInStream:
		return d.compressed(num, e)
	}
	return object{}, nil
}

// objectAt parses the object whose "num gen obj" header is at off; num -1
// accepts any number.
func (d *document) objectAt(off, num int64) (object, error) {
	if off < 0 || off >= int64(len(d.b)) {
		return object{}, errBadOffset
	}
	p := parser{lexer: lexer{b: d.b, pos: int(off)}, maxDepth: d.bud.MaxDepth}
	if p.next() != nil || p.tok != tokInt || (num >= 0 && p.num != num) {
		return object{}, errBadOffset
	}
	objNum := p.num
	if p.next() != nil || p.tok != tokInt || p.next() != nil || !p.keyword("obj") {
		return object{}, errBadOffset
	}
	v, err := p.value()
	if err != nil {
		return object{}, fmt.Errorf("object %d: %w", objNum, err)
	}
	if err := p.next(); err != nil {
		return object{}, fmt.Errorf("object %d: %w", objNum, err)
	}
	if p.keyword("endobj") {
		return v, nil
	}
	if !p.keyword("stream") {
		// pdfcpu reads an object up to its "endobj"; without one it reads
		// into the next object and loses both.
		return object{}, fmt.Errorf("object %d: no endobj", objNum)
	}
	if v.kind != kindDict {
		return object{}, fmt.Errorf("object %d: stream without a dictionary", objNum)
	}
	// The data starts after the end of line that follows "stream".
	start := p.pos
	if start < len(d.b) && d.b[start] == '\r' {
		start++
	}
	if start < len(d.b) && d.b[start] == '\n' {
		start++
	}
	data, err := d.streamData(start, v.get("Length"))
	if err != nil {
		return object{}, fmt.Errorf("object %d: %w", objNum, err)
	}
	return object{kind: kindStream, raw: v.raw, data: data}, nil
}

// streamData returns a stream's data from start: /Length bytes if
// "endstream" follows them, else (a wrong /Length is common) up to the
// next "endstream".
func (d *document) streamData(start int, length object) ([]byte, error) {
	if length.kind == kindRef && !d.inLength {
		d.inLength = true
		l, err := d.load(length.num)
		d.inLength = false
		if err != nil && isFatal(err) {
			return nil, err
		}
		// A missing object leaves the length unknown; anything but an
		// integer is an error, to pdfcpu too.
		if err == nil && l.kind != kindNull && l.kind != kindInt {
			return nil, fmt.Errorf("/Length is object %d, which is not an integer", length.num)
		}
		length = l
	}
	if length.kind == kindInt && length.num >= 0 && length.num <= int64(len(d.b)-start) {
		end := start + int(length.num)
		l := lexer{b: d.b, pos: end}
		l.skipSpace()
		if bytes.HasPrefix(d.b[l.pos:], []byte("endstream")) {
			return d.b[start:end], nil
		}
	}
	end, err := d.nextEndstream(start)
	if err != nil {
		return nil, err
	}
	data := d.b[start:end]
	if n := len(data); n > 0 && data[n-1] == '\n' {
		data = data[:n-1]
	}
	if n := len(data); n > 0 && data[n-1] == '\r' {
		data = data[:n-1]
	}
	return data, nil
}

// nextEndstream returns the offset of the first "endstream" at or after
// start. A file full of streams with wrong lengths asks for many; the
// offsets are found once and kept, so that it costs one pass.
func (d *document) nextEndstream(start int) (int, error) {
	if d.endstreams == nil {
		d.endstreams = []int{}
		for i := 0; ; {
			k := bytes.Index(d.b[i:], []byte("endstream"))
			if k < 0 {
				break
			}
			if len(d.endstreams) == 2*d.bud.MaxObjects {
				return 0, overLimit(LimitObjects, int64(d.bud.MaxObjects), int64(len(d.endstreams)))
			}
			d.endstreams = append(d.endstreams, i+k)
			i += k + len("endstream")
		}
	}
	i, _ := slices.BinarySearch(d.endstreams, start)
	if i == len(d.endstreams) {
		return 0, errors.New("stream has no endstream")
	}
	return d.endstreams[i], nil
}

// compressed returns object num from its object stream.
func (d *document) compressed(num int64, e entry) (object, error) {
	s, err := d.objStream(e.off)
	if err != nil {
		return object{}, err
	}
	i := int(e.index)
	if i >= len(s.nums) || s.nums[i] != num {
		// Some writers get the index wrong; the stream's own list is right.
		i = -1
		for j, n := range s.nums {
			if n == num {
				i = j
			}
		}
		if i < 0 {
			return object{}, nil
		}
	}
	off := s.first + s.offs[i]
	if off >= len(s.data) {
		return object{}, fmt.Errorf("object %d: offset outside its object stream", num)
	}
	p := parser{lexer: lexer{b: s.data, pos: off}, maxDepth: d.bud.MaxDepth}
	v, err := p.value()
	if err != nil {
		return object{}, fmt.Errorf("object %d: %w", num, err)
	}
	return v, nil
}

// objStream returns object stream num, decoded once per document.
func (d *document) objStream(num int64) (*objStream, error) {
	if s := d.streams[num]; s != nil {
		return s, nil
	}
	// An object stream is never itself compressed; requiring that also
	// rules out streams that contain each other.
	if num < 0 || num >= int64(len(d.xref)) || d.xref[num].kind != entryInFile {
		return nil, fmt.Errorf("object stream %d is missing", num)
	}
	o, err := d.load(num)
	if err != nil {
		return nil, err
	}
	n, first := o.get("N"), o.get("First")
	if o.kind != kindStream || n.kind != kindInt || first.kind != kindInt || n.num < 0 || first.num < 0 {
		return nil, fmt.Errorf("object %d is not an object stream", num)
	}
	if n.num > int64(d.bud.MaxObjects) {
		return nil, overLimit(LimitObjects, int64(d.bud.MaxObjects), n.num)
	}
	data, err := d.decodeAll(o)
	if err != nil {
		return nil, fmt.Errorf("object stream %d: %w", num, err)
	}
	if first.num > int64(len(data)) || n.num > first.num/4+1 {
		return nil, fmt.Errorf("object stream %d: bad /N or /First", num)
	}
	s := &objStream{data: data, first: int(first.num), nums: make([]int64, 0, n.num), offs: make([]int, 0, n.num)}
	l := lexer{b: data[:first.num]}
	for range n.num {
		if l.next() != nil || l.tok != tokInt {
			break
		}
		objNum := l.num
		if l.next() != nil || l.tok != tokInt || l.num < 0 || l.num > int64(len(data)) {
			break
		}
		s.nums = append(s.nums, objNum)
		s.offs = append(s.offs, int(l.num))
	}
	if d.streams == nil {
		d.streams = map[int64]*objStream{}
	}
	d.streams[num] = s
	return s, nil
}

// repair rebuilds the table from the object headers in the file, and
// finds the trailer: the last "trailer" dictionary, or else the last
// cross-reference stream, whose entries for compressed objects it keeps.
func (d *document) repair() error {
	if d.repaired {
		return errors.New("cannot repair the cross-reference table")
	}
	d.repaired = true
	d.xref, d.root, d.info, d.encrypt, d.streams = d.xref[:0], object{}, object{}, false, nil
	var xrefStreams []int64
	var catalogs []struct{ num, off int64 }
	headers := 0
	err := scanObjects(d.b, func(num int64, off int) error {
		// Updates may redefine objects, but not without end.
		if headers++; headers > 4*d.bud.MaxObjects {
			return overLimit(LimitObjects, int64(d.bud.MaxObjects), int64(headers))
		}
		if num >= int64(len(d.xref)) {
			if err := d.grow(num + 1); err != nil {
				return err
			}
		}
		d.xref[num] = entry{kind: entryInFile, off: int64(off)} // the last one wins
		// Remember cross-reference streams: "/XRef" before "stream".
		head := d.b[off:min(len(d.b), off+512)]
		if i := bytes.Index(head, []byte("/XRef")); i >= 0 && !bytes.Contains(head[:i], []byte("stream")) {
			xrefStreams = append(xrefStreams, int64(off))
		}
		if i := bytes.Index(head, []byte("/Catalog")); i >= 0 && !bytes.Contains(head[:i], []byte("endobj")) && len(catalogs) < maxSections {
			catalogs = append(catalogs, struct{ num, off int64 }{num, int64(off)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The last "trailer" that parses to a dictionary with a /Root.
	end := len(d.b)
	for tries := 0; tries < 16 && d.root.kind == kindNull; tries++ {
		i := bytes.LastIndex(d.b[:end], []byte("trailer"))
		if i < 0 {
			break
		}
		end = i
		if t, err := d.trailerAt(i + len("trailer")); err == nil {
			d.useTrailer(t)
		} else if isFatal(err) {
			return err
		}
	}
	// Compressed objects are found through cross-reference streams only;
	// the newest (last) stream wins. Objects found in the file stay.
	for i := len(xrefStreams) - 1; i >= max(0, len(xrefStreams)-maxSections); i-- {
		d.sections++
		s, err := d.readStream(xrefStreams[i], uint16(d.sections), true)
		if err != nil {
			if isFatal(err) {
				return err
			}
			continue
		}
		d.useTrailer(s)
	}
	// Without a trailer, the last catalog is the root, as pdfcpu finds it.
	for i := len(catalogs) - 1; i >= 0 && d.root.kind == kindNull; i-- {
		o, err := d.objectAt(catalogs[i].off, catalogs[i].num)
		if err != nil && isFatal(err) {
			return err
		}
		if err == nil && o.kind == kindDict && o.get("Type").isName("Catalog") {
			d.root = object{kind: kindRef, num: catalogs[i].num, raw: fmt.Appendf(nil, "%d 0 R", catalogs[i].num)}
		}
	}
	if d.root.kind == kindNull {
		return errors.New("no trailer: the cross-reference table cannot be rebuilt")
	}
	return nil
}

// scanObjects calls fn with the number and offset of every "num gen obj"
// header in b, in order. It reads each byte a few times at most.
func scanObjects(b []byte, fn func(num int64, off int) error) error {
	noEndstream := len(b) // no "endstream" at or after this offset
	for i := 0; ; {
		k := bytes.Index(b[i:], []byte("obj"))
		if k < 0 {
			return nil
		}
		p := i + k
		i = p + 3
		if i < len(b) && isRegular(b[i]) {
			continue // "object", say
		}
		// Back over " gen " and "num".
		j := p
		spaces := func() bool {
			s := j
			for j > 0 && isSpace(b[j-1]) {
				j--
			}
			return j < s
		}
		digits := func() (int64, bool) {
			e := j
			for j > 0 && e-j < 10 && '0' <= b[j-1] && b[j-1] <= '9' {
				j--
			}
			if j == e || (j > 0 && isRegular(b[j-1])) {
				return 0, false
			}
			_, n, _ := number(b[j:e])
			return n, true
		}
		if !spaces() {
			continue
		}
		if _, ok := digits(); !ok || !spaces() {
			continue
		}
		num, ok := digits()
		if !ok {
			continue
		}
		if err := fn(num, j); err != nil {
			return err
		}
		// Skip a stream's data, which may hold anything, "1 0 obj" too:
		// "stream" before the next "obj" (of "endobj", usually) starts it.
		next := bytes.Index(b[i:], []byte("obj"))
		if next < 0 {
			next = len(b) - i
		}
		s := bytes.Index(b[i:i+next], []byte("stream"))
		if s < 0 || i+s >= noEndstream {
			continue
		}
		if e := bytes.Index(b[i+s:], []byte("endstream")); e >= 0 {
			i += s + e + len("endstream")
		} else {
			noEndstream = i + s
		}
	}
}

// rebuilt returns b with a cross-reference section appended that lists
// the objects as this reader found them. pdfcpu is stricter than viewers
// about broken tables and rebuilds them less well; given this section, it
// reads the same objects the check did.
func (d *document) rebuilt() []byte {
	n := len(d.xref)
	compressed := false
	for _, e := range d.xref {
		compressed = compressed || e.kind == entryInStream
	}
	gen := func(e entry) int64 {
		l := lexer{b: d.b, pos: int(e.off)}
		if l.next() == nil && l.next() == nil && l.tok == tokInt && l.num <= 65535 {
			return l.num
		}
		return 0
	}
	var out bytes.Buffer
	out.Grow(len(d.b) + 32*n + 512)
	out.Write(d.b)
	out.WriteByte('\n')
	start := out.Len()
	trailer := "/Root " + string(d.root.raw)
	if d.info.kind != kindNull {
		trailer += " /Info " + string(d.info.raw)
	}
	if !compressed {
		fmt.Fprintf(&out, "xref\n0 %d\n", n)
		for i, e := range d.xref {
			switch {
			case e.kind == entryInFile:
				fmt.Fprintf(&out, "%010d %05d n \n", e.off, gen(e))
			case i == 0:
				out.WriteString("0000000000 65535 f \n")
			default:
				out.WriteString("0000000000 00000 f \n")
			}
		}
		fmt.Fprintf(&out, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", n, trailer, start)
		return out.Bytes()
	}
	// A cross-reference stream, object n, without a filter.
	rows := make([]byte, 0, 13*(n+1))
	row := func(typ byte, f2, f3 int64) {
		rows = append(rows, typ)
		for s := 56; s >= 0; s -= 8 {
			rows = append(rows, byte(f2>>s))
		}
		rows = append(rows, byte(f3>>24), byte(f3>>16), byte(f3>>8), byte(f3))
	}
	for i, e := range d.xref {
		switch {
		case e.kind == entryInFile:
			row(1, e.off, gen(e))
		case e.kind == entryInStream:
			row(2, e.off, int64(e.index))
		case i == 0:
			row(0, 0, 65535)
		default:
			row(0, 0, 0)
		}
	}
	row(1, int64(start), 0)
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 8 4] %s /Length %d >>\nstream\n", n, n+1, trailer, len(rows))
	out.Write(rows)
	fmt.Fprintf(&out, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", start)
	return out.Bytes()
}
