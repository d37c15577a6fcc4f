package leegality

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signet-dev/signet/internal/provider/flexjson"
	"github.com/signet-dev/signet/internal/provider/leegality/sim"
	"github.com/signet-dev/signet/internal/signing"
)

// testSalt is the private salt the recorded webhooks were made with.
const testSalt = "test-private-salt"

func webhookBody(id, mac string) []byte {
	return []byte(`{"webhookType":"Success","documentId":"` + id + `","documentStatus":"Completed","irn":"s-1","request":{"signed":true},"mac":"` + mac + `"}`)
}

const docID = "01M7YRRT801H1NW31AD668CETA"

func TestParseCallback(t *testing.T) {
	a := newTestAdapter(t)
	for _, file := range []string{"webhook_signed.json", "webhook_rejected.json"} {
		cb, err := a.ParseCallback(http.Header{}, readTestdata(t, file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(cb.Ref) != 26 || cb.Update != nil {
			t.Errorf("%s: callback = %+v, want the documentId and no Update (Signet re-fetches the details)", file, cb)
		}
	}

	good := sim.MAC(testSalt, docID)
	for _, body := range []string{
		string(webhookBody(docID, good)),
		string(webhookBody(docID, strings.ToUpper(good))), // hex in either case
		`{"documentId":"` + docID + `","mac":"` + good + `"}`,
		"\n {\"mac\":\" " + good + " \",\"documentId\":\"" + docID + "\",\"request\":\"weird\",\"extra\":[1,{}]}\n",
		// Everything but the documentId is outside the mac: a changed
		// status still parses, which is why the Callback has no Update.
		`{"webhookType":"Error","documentStatus":"Draft","documentId":"` + docID + `","mac":"` + good + `"}`,
	} {
		cb, err := a.ParseCallback(nil, []byte(body))
		if err != nil || cb.Ref != docID || cb.Update != nil {
			t.Errorf("%s: %+v, %v", body, cb, err)
		}
	}
}

func TestParseCallbackUnauthorized(t *testing.T) {
	a := newTestAdapter(t)
	good := sim.MAC(testSalt, docID)
	for _, body := range []string{
		`{"documentId":"` + docID + `"}`,
		`{"documentId":"` + docID + `","mac":null}`,
		`{"documentId":"` + docID + `","mac":""}`,
		`{"documentId":"` + docID + `","mac":42}`,
		`{"documentId":"` + docID + `","mac":["` + good + `"]}`,
		string(webhookBody(docID, sim.MAC("another-salt", docID))),
		string(webhookBody(docID, good[:39])),
		string(webhookBody(docID, good+"00")),
		string(webhookBody(docID, "zz"+good[2:])),
		string(webhookBody(docID, good[:39]+"x")),
		string(webhookBody("01M7YS1Z70JQVEFAZW4WF4T0DK", good)), // another document under this mac
		string(webhookBody(docID+"X", good)),
		string(webhookBody(docID, sim.MAC("", docID))),
		// A SHA-256 mac of the right key is still the wrong mac.
		`{"documentId":"` + docID + `","mac":"` + strings.Repeat("ab", 32) + `"}`,
	} {
		_, err := a.ParseCallback(http.Header{}, []byte(body))
		if !errors.Is(err, signing.ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", body, err)
		}
		if err != nil && strings.Contains(err.Error(), testSalt) {
			t.Errorf("the error reveals the salt: %v", err)
		}
	}
}

func TestParseCallbackMalformed(t *testing.T) {
	a := newTestAdapter(t)
	good := sim.MAC(testSalt, docID)
	for _, body := range []string{
		``, `null`, `[]`, `"documentId"`, `{`, `{"documentId":}`, `{}`,
		`{"mac":"` + good + `"}`,
		`{"documentId":"","mac":"` + good + `"}`, `{"documentId":null,"mac":"` + good + `"}`,
		`{"documentId":42,"mac":"` + good + `"}`, `{"documentId":["a"]}`, `{"documentId":"a b"}`,
		`{"documentId":"a\u0000b"}`, `{"documentId":" ` + docID + `"}`,
		`{"documentId":"` + strings.Repeat("x", flexjson.MaxID+1) + `"}`,
		"{\"documentId\":\"\xff\xfe\"}",
	} {
		_, err := a.ParseCallback(http.Header{}, []byte(body))
		if !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", body, err)
		}
	}
}

// FuzzParseCallback checks that no body makes ParseCallback panic, that
// every error is ErrUnauthorized or ErrInvalid, and that whatever it
// accepts carries the right mac for a sane documentId and no Update.
func FuzzParseCallback(f *testing.F) {
	f.Add(webhookBody(docID, sim.MAC(testSalt, docID)))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"documentId":1e309,"mac":"00"}`))
	a := newTestAdapter(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := a.ParseCallback(http.Header{}, body)
		if err != nil {
			if !errors.Is(err, signing.ErrUnauthorized) && !errors.Is(err, signing.ErrInvalid) {
				t.Fatalf("error %v is neither ErrUnauthorized nor ErrInvalid", err)
			}
			return
		}
		if cb.Ref == "" || len(cb.Ref) > flexjson.MaxID || !utf8.ValidString(cb.Ref) || cb.Update != nil {
			t.Fatalf("accepted %+v", cb)
		}
		if !a.validMAC(cb.Ref, sim.MAC(testSalt, cb.Ref)) {
			t.Fatalf("accepted %q without its mac", cb.Ref)
		}
		// The accepted body must hold the right mac for the id.
		if !strings.Contains(strings.ToLower(string(body)), sim.MAC(testSalt, cb.Ref)) {
			t.Fatalf("accepted %s without the mac of %q", body, cb.Ref)
		}
	})
}

// TestFuzzSeeds checks the committed seed corpus says what its names say:
// the genuine webhooks pass, every other seed is refused.
func TestFuzzSeeds(t *testing.T) {
	a := newTestAdapter(t)
	accepted := map[string]bool{
		"recorded_signed": true, "recorded_rejected": true, "valid_minimal": true, "mac_uppercase": true,
		"mac_padded": true, "duplicate_keys_last": true, "deep_nesting": true, "string_quirks": true,
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParseCallback")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) < 20 {
		t.Fatalf("seed corpus: %d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s is not a fuzz corpus file", e.Name())
		}
		body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		_, err = a.ParseCallback(http.Header{}, []byte(body))
		if (err == nil) != accepted[e.Name()] {
			t.Errorf("seed %s: err = %v", e.Name(), err)
		}
	}
}
