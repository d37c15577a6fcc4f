package pdf

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

func TestZZDbg2(t *testing.T) {
	for _, f := range regexp.MustCompile(`,`).Split(os.Getenv("ZZF"), -1) {
		b, _ := os.ReadFile(f)
		_, err := Validate(b)
		t.Logf("%s: %v", f, err)
		if m := regexp.MustCompile(`byte (\d+)`).FindStringSubmatch(err.Error()); m != nil {
			p, _ := strconv.Atoi(m[1])
			t.Logf("   context: %q", b[max(0, p-80):min(len(b), p+40)])
		}
	}
}
