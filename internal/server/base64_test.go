package server

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// decodeWhole is the reference: the whole string decoded at once by the
// standard library, after the same whitespace rule.
func decodeWhole(src []byte) ([]byte, error) {
	src = bytes.Map(func(r rune) rune {
		if strings.ContainsRune("\r\n\t ", r) {
			return -1
		}
		return r
	}, src)
	enc := base64.StdEncoding
	if len(src)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(src)))
	n, err := enc.Decode(out, src)
	return out[:n], err
}

func TestDecodeBase64InPlace(t *testing.T) {
	long := bytes.Repeat([]byte("Signet in-place base64 \x00\xff"), 1000) // several blocks
	enc := base64.StdEncoding.EncodeToString(long)
	for name, tc := range map[string]struct {
		in   string
		want []byte
		bad  bool
	}{
		"long":               {in: enc, want: long},
		"long unpadded":      {in: strings.TrimRight(base64.StdEncoding.EncodeToString(long[:len(long)-1]), "="), want: long[:len(long)-1]},
		"line breaks":        {in: wrap(enc, 76), want: long},
		"empty":              {in: "", want: []byte{}},
		"one byte padded":    {in: "QQ==", want: []byte("A")},
		"one byte unpadded":  {in: "QQ", want: []byte("A")},
		"padding in a block": {in: enc[:4092] + "QQ==" + enc[4096:], bad: true},
		"padding mid-string": {in: "QQ==QUFB", bad: true},
		"bad character":      {in: enc[:5000] + "*" + enc[5001:], bad: true},
		"one char":           {in: "Q", bad: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := decodeBase64InPlace([]byte(tc.in))
			if tc.bad {
				if err == nil {
					t.Fatalf("decoded %d bytes, want an error", len(got))
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
			}
		})
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\r\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// FuzzDecodeBase64InPlace holds the in-place decoder to the standard
// library's answer on the whole string: same bytes, or both refuse.
func FuzzDecodeBase64InPlace(f *testing.F) {
	f.Add([]byte("QUJD"))
	f.Add([]byte("QQ==QUFB"))
	f.Add([]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 5000))))
	f.Add([]byte("QU\nJD\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want, werr := decodeWhole(bytes.Clone(in))
		for _, block := range []int{4, 8, 12, maxBlockChars} {
			got, gerr := decodeInBlocks(bytes.Clone(in), block)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("blocks of %d: in-place error %v, whole-string error %v", block, gerr, werr)
			}
			if werr == nil && !bytes.Equal(got, want) {
				t.Fatalf("blocks of %d: in-place decoded %x, want %x", block, got, want)
			}
		}
	})
}

func BenchmarkDecodeBase64InPlace(b *testing.B) {
	doc := bytes.Repeat([]byte("%PDF-1.7 sample bytes \x00\x01\x02"), 40000) // ~1 MB
	enc := []byte(base64.StdEncoding.EncodeToString(doc))
	buf := make([]byte, len(enc))
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		copy(buf, enc)
		if _, err := decodeBase64InPlace(buf); err != nil {
			b.Fatal(err)
		}
	}
}
