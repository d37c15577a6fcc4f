package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// smallPNG is a drawn signature as the page's pad makes one.
func smallPNG(w, h int) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)))
	return b.Bytes()
}

// claimedSize is p with its header claiming w×h pixels (CRC fixed), the
// way a decompression bomb announces itself.
func claimedSize(p []byte, w, h uint32) []byte {
	out := bytes.Clone(p)
	ihdr := out[8+8 : 8+8+13] // after the signature and IHDR's length and type
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	binary.BigEndian.PutUint32(out[8+8+13:], crc32.ChecksumIEEE(out[8+4:8+8+13]))
	return out
}

func dataURL(b []byte) string { return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b) }

func TestSignatureImage(t *testing.T) {
	good := smallPNG(400, 150)
	for _, c := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"none", "", true},
		{"drawn", dataURL(good), true},
		{"not a data URL", "https://example.com/x.png", false},
		{"JPEG", "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(good), false},
		{"not base64", "data:image/png;base64,%%%", false},
		{"not a PNG", dataURL([]byte("GIF89a......")), false},
		{"PNG claiming 100000×100000 pixels", dataURL(claimedSize(good, 100000, 100000)), false},
		{"PNG cut short", dataURL(good[:len(good)/2]), false},
		{"too large", dataURL(append(bytes.Clone(good), make([]byte, maxImageSize)...)), false},
	} {
		img, ok := signatureImage(c.in)
		if ok != c.ok || ok && c.in != "" && !bytes.Equal(img, good) {
			t.Errorf("%s: ok %v, want %v", c.name, ok, c.ok)
		}
	}
}

// FuzzSignatureImage: whatever a signer posts as their drawn signature,
// reading it never panics, and what it accepts can go on the document.
func FuzzSignatureImage(f *testing.F) {
	good := smallPNG(40, 15)
	f.Add(dataURL(good))
	f.Add(dataURL(claimedSize(good, 70000, 70000)))
	f.Add(dataURL(good[:30]))
	f.Add("data:image/png;base64,")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		img, ok := signatureImage(in)
		if !ok || img == nil {
			return
		}
		if len(img) > maxImageSize {
			t.Fatalf("accepted %d bytes", len(img))
		}
		if err := pdf.CheckMarkImage(img); err != nil {
			t.Fatalf("accepted an image the document refuses: %v", err)
		}
	})
}

// signFixture is a site serving one local session's signing page, its
// backend recording what the page asked of it.
type signFixture struct {
	site *Site
	srv  *httptest.Server
	sess *signing.Session

	mu       sync.Mutex
	signed   []PageSignature
	declined []string
	codes    int
}

const rightCode = "424242"

func newSignFixture(t testing.TB) *signFixture {
	f := &signFixture{sess: &signing.Session{ID: "sess-1", Status: signing.StatusPending, Provider: "local", Language: "en",
		DocumentName: "loan.pdf", ExpiresAt: time.Now().Add(time.Hour),
		Signers: []signing.Signer{{ID: "sgn-1", Status: signing.SignerInProgress, Details: json.RawMessage(`{"name":"Asha Rao","email":"a@example.com"}`)}}}}
	doc := pdf.Sample(1, "Loan")
	site, err := newSite(Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SignerLinks: &SignerLinkConfig{
			Find: func(_ context.Context, token string) (*signing.Session, int, error) {
				if token != "tok" {
					return nil, 0, signing.ErrNotFound
				}
				return f.sess, 0, nil
			},
			Open: func(_ context.Context, s *signing.Session, _ int) (*signing.Session, error) { return s, nil },
		},
		SigningPage: &SigningPageConfig{
			Original: func(context.Context, *signing.Session) (signing.Document, error) {
				return signing.Document{Filename: "loan.pdf", Content: doc, SHA256: signing.SHA256Hex(doc)}, nil
			},
			SendCode: func(context.Context, *signing.Session, int) error {
				f.mu.Lock()
				f.codes++
				f.mu.Unlock()
				return nil
			},
			CheckCode: func(_ context.Context, _ *signing.Session, _ int, code string) error {
				if code != rightCode {
					return signing.ErrCodeWrong
				}
				return nil
			},
			Sign: func(_ context.Context, s *signing.Session, _ int, sig PageSignature) (*signing.Session, error) {
				f.mu.Lock()
				f.signed = append(f.signed, sig)
				f.mu.Unlock()
				return s, nil
			},
			Decline: func(_ context.Context, s *signing.Session, _ int, reason string) (*signing.Session, error) {
				f.mu.Lock()
				f.declined = append(f.declined, reason)
				f.mu.Unlock()
				return s, nil
			},
			ReturnURL: func(*signing.Session) string { return "https://app.example.com/done" },
		},
	}, files)
	if err != nil {
		t.Fatal(err)
	}
	f.site = site
	f.srv = httptest.NewServer(site.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// post submits the signing form with a valid token and the given fields.
func (f *signFixture) post(t testing.TB, fields url.Values) int {
	fields.Set(FormTokenField, f.site.forms.Issue("sgn-1"))
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/s/tok/sign", strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// FuzzSignForm posts anything a signer's browser (or an attacker with
// their link) could send to the signing page. It never fails with a 5xx,
// and a signature is recorded only with the right code, a typed name,
// and a drawn signature the document can carry.
func FuzzSignForm(f *testing.F) {
	good := dataURL(smallPNG(40, 15))
	f.Add("sign", rightCode, "Asha Rao", good, "")
	f.Add("sign", rightCode, "Asha Rao", "", "")
	f.Add("sign", "000000", "Asha Rao", "", "")
	f.Add("sign", rightCode, "   ", "", "")
	f.Add("sign", rightCode, "Asha", dataURL(claimedSize(smallPNG(4, 4), 90000, 90000)), "")
	f.Add("sign", " 424242 ", strings.Repeat("n", 201), "", "")
	f.Add("decline", "", "", "", "wrong amount")
	f.Add("decline", "", "", "", strings.Repeat("x", 501))
	f.Add("send_code", "", "", "", "")
	f.Add("\x00", "\xff", "\xfe", "data:", "\x80")
	fx := newSignFixture(f)
	f.Fuzz(func(t *testing.T, action, code, typed, image, reason string) {
		fx.mu.Lock()
		signedBefore, declinedBefore := len(fx.signed), len(fx.declined)
		fx.mu.Unlock()
		status := fx.post(t, url.Values{"action": {action}, "code": {code}, "signature": {typed}, "signatureImage": {image}, "reason": {reason}})
		if status >= 500 && !(action == "send_code" && status == http.StatusServiceUnavailable) {
			t.Fatalf("status %d", status)
		}
		fx.mu.Lock()
		defer fx.mu.Unlock()
		if len(fx.signed) > signedBefore {
			sig := fx.signed[len(fx.signed)-1]
			if action != "sign" || strings.TrimSpace(code) != rightCode || strings.TrimSpace(sig.Typed) == "" || status != http.StatusSeeOther {
				t.Fatalf("signed with action %q code %q typed %q: %d", action, code, typed, status)
			}
			if sig.Image != nil && pdf.CheckMarkImage(sig.Image) != nil {
				t.Fatal("signed with an image the document refuses")
			}
		}
		if len(fx.declined) > declinedBefore && action != "decline" {
			t.Fatalf("declined with action %q", action)
		}
	})
}

// TestSignFormDoubleSubmit: the second of two identical posts of a valid
// signature (a double click) reaches the backend too, which decides; the
// page answers both without an error.
func TestSignFormAnswers(t *testing.T) {
	fx := newSignFixture(t)
	v := url.Values{"action": {"sign"}, "code": {rightCode}, "signature": {"Asha Rao"}}
	if s := fx.post(t, v); s != http.StatusSeeOther {
		t.Fatalf("a valid signature: %d", s)
	}
	if s := fx.post(t, url.Values{"action": {"sign"}, "code": {"111111"}, "signature": {"Asha Rao"}}); s != http.StatusOK {
		t.Errorf("a wrong code: %d, want the page again", s)
	}
	if s := fx.post(t, url.Values{"action": {"nonsense"}}); s != http.StatusBadRequest {
		t.Errorf("an unknown action: %d", s)
	}
	if len(fx.signed) != 1 || fx.signed[0].Typed != "Asha Rao" {
		t.Errorf("signatures recorded: %+v", fx.signed)
	}
}
