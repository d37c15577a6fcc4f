package cms

import (
	"bytes"
	"fmt"
	"testing"
)

func TestBERToDER(t *testing.T) {
	tests := []struct {
		name    string
		in      string // hex
		want    string // hex; empty: an error
		comment string
	}{
		{name: "DER unchanged", in: "3006020101020102", want: "3006020101020102"},
		{name: "trailing padding dropped", in: "30030201010000", want: "3003020101"},
		{name: "indefinite length", in: "30800201010201020000", want: "3006020101020102"},
		{name: "nested indefinite", in: "3080308002010100000000", want: "30053003020101"},
		{name: "constructed OCTET STRING joined", in: "2480040161040162040263640000", want: "040461626364"},
		{name: "long form length", in: "3081030201ff", want: "30030201ff"},
		{name: "truncated", in: "300602010102"},
		{name: "missing end-of-contents", in: "3080020101"},
		{name: "indefinite primitive", in: "0480610000"},
		{name: "huge length", in: "3085ffffffffff"},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := berToDER(mustUnhex(t, tt.in))
			if tt.want == "" {
				if err == nil {
					t.Errorf("berToDER(%s) = %x, want an error", tt.in, got)
				}
				return
			}
			if err != nil || fmt.Sprintf("%x", got) != tt.want {
				t.Errorf("berToDER(%s) = %x, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
	// Nesting beyond the limit is refused, not a stack overflow.
	deep := bytes.Repeat([]byte{0x30, 0x80}, 10000)
	if _, err := berToDER(deep); err == nil {
		t.Error("deep nesting: no error")
	}
}

func mustUnhex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil && s != "" {
		t.Fatal(err)
	}
	return b
}
