package cms

import (
	"bytes"
	"errors"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// maxBERDepth bounds nesting in berToDER.
const maxBERDepth = 48

// berToDER returns the first element of b in definite-length form, with
// constructed OCTET STRINGs joined into primitive ones: the BER liberties
// some signers take in the outer CMS structure. Trailing bytes are dropped.
func berToDER(b []byte) ([]byte, error) {
	out, _, err := berElement(b, 0)
	return out, err
}

func berElement(b []byte, depth int) (der, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, errors.New("nested too deeply")
	}
	if len(b) < 2 {
		return nil, nil, errors.New("truncated element")
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number form
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return nil, nil, errors.New("truncated tag")
	}
	tag := b[:i]
	constructed := b[0]&0x20 != 0
	lb := b[i]
	i++
	var body []byte
	indefinite := lb == 0x80
	switch {
	case indefinite:
		if !constructed {
			return nil, nil, errors.New("indefinite length on a primitive element")
		}
		body = b[i:]
	case lb < 0x80:
		if int(lb) > len(b)-i {
			return nil, nil, errors.New("length past the end")
		}
		body, rest = b[i:i+int(lb)], b[i+int(lb):]
	default:
		n := int(lb & 0x7f)
		if n > 4 || n > len(b)-i {
			return nil, nil, errors.New("bad length")
		}
		l := 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
		if l < 0 || l > len(b)-i {
			return nil, nil, errors.New("length past the end")
		}
		body, rest = b[i:i+l], b[i+l:]
	}
	if !constructed {
		return encodeTLV(tag, body), rest, nil
	}
	var children [][]byte
	for {
		if indefinite {
			if len(body) >= 2 && body[0] == 0 && body[1] == 0 {
				rest = body[2:]
				break
			}
			if len(body) == 0 {
				return nil, nil, errors.New("missing end-of-contents")
			}
		} else if len(body) == 0 {
			break
		}
		var child []byte
		if child, body, err = berElement(body, depth+1); err != nil {
			return nil, nil, err
		}
		children = append(children, child)
	}
	if len(tag) == 1 && tag[0] == 0x24 { // constructed OCTET STRING
		var joined []byte
		for _, c := range children {
			s := cryptobyte.String(c)
			var part cryptobyte.String
			if !s.ReadASN1(&part, cbasn1.OCTET_STRING) {
				return nil, nil, errors.New("constructed OCTET STRING with a non-OCTET STRING part")
			}
			joined = append(joined, part...)
		}
		return encodeTLV([]byte{0x04}, joined), rest, nil
	}
	return encodeTLV(tag, bytes.Join(children, nil)), rest, nil
}

func encodeTLV(tag, body []byte) []byte {
	out := append([]byte{}, tag...)
	switch n := len(body); {
	case n < 0x80:
		out = append(out, byte(n))
	default:
		var l []byte
		for ; n > 0; n >>= 8 {
			l = append([]byte{byte(n)}, l...)
		}
		out = append(append(out, 0x80|byte(len(l))), l...)
	}
	return append(out, body...)
}
