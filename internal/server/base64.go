package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
)

// decodeBase64InPlace decodes standard base64 (padded or not, with the
// line breaks and spaces some encoders insert) over its own input and
// returns the decoded prefix of src. A document arrives as base64 inside
// the JSON body; decoding it where it lies means a create holds the body
// once, not the body and the document beside it.
//
// It works front to back: the whitespace is squeezed out first, then
// each block of blockChars characters is decoded into a small scratch
// buffer and copied to where the output has reached, which is always
// behind the block being read (3 bytes out for every 4 in).
func decodeBase64InPlace(src []byte) ([]byte, error) {
	return decodeInBlocks(src, maxBlockChars)
}

// maxBlockChars is the block size of decodeBase64InPlace.
const maxBlockChars = 4 << 10

// decodeInBlocks is decodeBase64InPlace with blocks of blockChars
// characters (a multiple of 4, at most maxBlockChars), so that tests can
// cross many block boundaries with short inputs.
func decodeInBlocks(src []byte, blockChars int) ([]byte, error) {
	src = squeezeSpace(src)
	enc := base64.StdEncoding
	if len(src)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	var buf [maxBlockChars / 4 * 3]byte
	scratch := buf[:blockChars/4*3]
	out := 0
	for in := 0; in < len(src); in += blockChars {
		block := src[in:min(in+blockChars, len(src))]
		n, err := enc.Decode(scratch, block)
		if err != nil {
			var ce base64.CorruptInputError
			if errors.As(err, &ce) {
				return nil, fmt.Errorf("illegal base64 data at input byte %d", in+int(ce))
			}
			return nil, err
		}
		if last := in+len(block) == len(src); !last && n != len(block)/4*3 {
			// Padding ended a block with more to come: the whole string
			// has padding in its middle.
			return nil, fmt.Errorf("illegal base64 data at input byte %d", in+n/3*4+n%3+1)
		}
		out += copy(src[out:], scratch[:n])
	}
	return src[:out], nil
}

// squeezeSpace removes \r, \n, \t and spaces from b, in place. Most
// encoders insert none: four vectorised searches find that out faster
// than one loop over every byte.
func squeezeSpace(b []byte) []byte {
	w := len(b)
	for _, c := range []byte("\r\n\t ") {
		if i := bytes.IndexByte(b[:w], c); i >= 0 {
			w = i
		}
	}
	if w == len(b) {
		return b
	}
	for _, c := range b[w:] {
		switch c {
		case '\r', '\n', '\t', ' ':
		default:
			b[w] = c
			w++
		}
	}
	return b[:w]
}
