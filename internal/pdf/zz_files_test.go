package pdf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func BenchmarkFiles(b *testing.B) {
	files, _ := filepath.Glob("/tmp/pdfl/bench/*.pdf")
	for _, f := range files {
		in, _ := os.ReadFile(f)
		b.Run(strings.TrimSuffix(filepath.Base(f), ".pdf"), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Validate(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
