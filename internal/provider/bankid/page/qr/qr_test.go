package qr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/golden.json holds codes made by another encoder (python3-qrcode,
// byte mode, version and mask fixed): each must come out module for
// module the same.
func TestGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Data    string   `json:"data"`
		Level   string   `json:"level"`
		Version int      `json:"version"`
		Mask    int      `json:"mask"`
		Matrix  []string `json:"matrix"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	levels := map[string]Level{"L": L, "M": M, "Q": Q, "H": H}
	for _, tc := range cases {
		name := tc.Data
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(tc.Level+"/"+name, func(t *testing.T) {
			c, err := encode([]byte(tc.Data), levels[tc.Level], tc.Version, tc.Mask)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Join(tc.Matrix, "\n") + "\n"
			if got := c.String(); got != want {
				t.Errorf("version %d mask %d differs:\ngot\n%s\nwant\n%s", tc.Version, tc.Mask, got, want)
			}
		})
	}
}

func TestSmallestVersion(t *testing.T) {
	tests := []struct {
		n       int
		level   Level
		version int
	}{
		{17, L, 1}, {18, L, 2}, {14, M, 1}, {15, M, 2},
		{106, L, 5}, {107, L, 6}, {122, M, 7}, {123, M, 8},
		{2953, L, 40}, {1273, H, 40},
	}
	for _, tt := range tests {
		c, err := Encode(bytes.Repeat([]byte("a"), tt.n), tt.level)
		if err != nil {
			t.Fatalf("%d bytes at %d: %v", tt.n, tt.level, err)
		}
		if c.Version != tt.version || c.Size != 4*tt.version+17 {
			t.Errorf("%d bytes at level %d: version %d (size %d), want %d", tt.n, tt.level, c.Version, c.Size, tt.version)
		}
	}
	if _, err := Encode(bytes.Repeat([]byte("a"), 2954), L); !errors.Is(err, ErrTooLong) {
		t.Errorf("2954 bytes: %v, want ErrTooLong", err)
	}
}

// TestDecode reads codes back with zbarimg (Debian's zbar-tools), when
// it is installed.
func TestDecode(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("zbarimg not installed")
	}
	for _, data := range []string{
		"bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8",
		"bankid.67df3917-fa0d-44e5-b327-edcc928297f8.179.a7bd5b4c7f87f0f6d0bba7b0b4b7c3e8a5e4b4d8c1f3a6b7c8d9e0f1a2b3c4d5",
		"https://app.bankid.com/?autostarttoken=46f6aa68-1a8d-4a32-a6f3-1b5e4a1c2d3e&redirect=null",
		strings.Repeat("Signet ", 150),
	} {
		for _, level := range []Level{L, M, Q, H} {
			c, err := Encode([]byte(data), level)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "qr.png")
			writePNG(t, c, file)
			out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file).Output()
			if err != nil {
				t.Fatalf("zbarimg (version %d, level %d): %v", c.Version, level, err)
			}
			if got := strings.TrimSuffix(string(out), "\n"); got != data {
				t.Errorf("decoded %q, want %q", got, data)
			}
		}
	}
}

func writePNG(t *testing.T, c *Code, file string) {
	t.Helper()
	const scale = 4
	n := (c.Size + 2*QuietZone) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			v := uint8(255)
			if c.Dark(x/scale-QuietZone, y/scale-QuietZone) {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSVG(t *testing.T) {
	c, err := Encode([]byte("bankid.x.0.y"), M)
	if err != nil {
		t.Fatal(err)
	}
	svg := c.SVG()
	if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"`) || !strings.HasSuffix(svg, "</svg>") {
		t.Errorf("svg = %.120s…", svg)
	}
	// Every dark module is drawn: count the run widths.
	dark := 0
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Dark(x, y) {
				dark++
			}
		}
	}
	drawn := 0
	for _, seg := range strings.Split(svg, "M")[1:] {
		var x, y, w int
		if _, err := fmtSscanf(seg, &x, &y, &w); err != nil {
			t.Fatalf("segment %q: %v", seg, err)
		}
		drawn += w
	}
	if drawn != dark {
		t.Errorf("svg draws %d modules, code has %d dark", drawn, dark)
	}
}

func FuzzEncode(f *testing.F) {
	f.Add([]byte("bankid.a.1.b"), uint8(1))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, level uint8) {
		c, err := Encode(data, Level(level%4))
		if err != nil {
			if !errors.Is(err, ErrTooLong) {
				t.Fatal(err)
			}
			return
		}
		if c.Size != 4*c.Version+17 || c.Mask < 0 || c.Mask > 7 {
			t.Fatalf("code %+v", c)
		}
	})
}

func fmtSscanf(seg string, x, y, w *int) (int, error) {
	return fmt.Sscanf(seg, "%d %dh%d", x, y, w)
}
