package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/web/browsertest"
)

// TestLocalSigningInBrowser is provider local's signing page in Chromium:
// the first signer asks for a code, types it from the mail, draws a
// signature with the mouse and signs; the second signer does the same
// with JavaScript off, where the page has no canvas and the typed name is
// the signature. Both land on the application's returnUrl, the browser
// console stays quiet, and the document carries the drawn signature.
// The page's screenshots go to docs/.
func TestLocalSigningInBrowser(t *testing.T) {
	t.Parallel()
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Shop</title><link rel="icon" href="data:,"><h1>Back at the shop</h1>`)
	}))
	defer shop.Close()
	h, mail := startLocal(t)
	body := localBody("local-browser", "Asha Rao|asha@example.com", "Bo Ek|bo@example.com")
	body["returnUrl"] = shop.URL + "/orders/local-browser"
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id := str(s["signingSessionId"])
	var links []string
	for _, v := range s["signers"].([]any) {
		links = append(links, str(v.(map[string]any)["redirectUrl"]))
	}

	br := browsertest.New(t)
	quiet := func(t *testing.T) {
		t.Helper()
		if c := br.Console(); len(c) > 0 {
			t.Errorf("the browser console:\n%s", strings.Join(c, "\n"))
		}
	}

	t.Run("DrawnSignature", func(t *testing.T) {
		mail.srv.Wait(context.Background(), "asha@example.com") // the invitation
		br.Navigate(links[0])
		br.WaitURL(h.base + "/s/")
		if got := br.Text("h1"); !strings.Contains(got, "Asha Rao") {
			t.Fatalf("the signing page's heading: %q", got)
		}
		if got := br.Text(".muted"); !strings.Contains(got, "1") || !strings.Contains(got, "2") {
			t.Errorf("the page does not say which signer of two: %q", got)
		}
		time.Sleep(3 * time.Second) // Chromium draws the PDF in the frame after the load event, unobservably

		screenshots(t, br, "signing-page")
		br.Submit(`button[value="send_code"]`)
		br.WaitURL(strings.SplitN(br.URL(), "?", 2)[0] + "?step=code")
		br.Type("#code", mail.code("asha@example.com"))
		if got := browsertest.Eval[string](br, `document.getElementById("signature").placeholder`); got != "Asha Rao" {
			t.Errorf("the signature field suggests %q", got)
		}
		br.Type("#signature", "Asha Rao")
		br.Draw("#pad", [2]float64{0.1, 0.7}, [2]float64{0.2, 0.3}, [2]float64{0.3, 0.6}, [2]float64{0.45, 0.25},
			[2]float64{0.6, 0.7}, [2]float64{0.75, 0.35}, [2]float64{0.9, 0.5})
		if empty := browsertest.Eval[bool](br, `(function(){var c=document.getElementById("pad");var d=c.getContext("2d").getImageData(0,0,c.width,c.height).data;for(var i=3;i<d.length;i+=4){if(d[i])return false}return true})()`); empty {
			t.Fatal("the mouse strokes left the canvas empty")
		}
		screenshots(t, br, "signing-code")
		br.Submit(`button[value="sign"]`)
		br.WaitURL(shop.URL + "/orders/local-browser")
		got := h.get(id)
		signers := got["signers"].([]any)
		if st := signers[0].(map[string]any)["status"]; st != "SIGNED" || got["status"] == "COMPLETED" {
			t.Fatalf("after the first signature: session %v, first signer %v", got["status"], st)
		}
		quiet(t)
	})

	t.Run("WithoutJavaScript", func(t *testing.T) {
		br.DisableJavaScript(true)
		defer br.DisableJavaScript(false)
		mail.srv.Wait(context.Background(), "bo@example.com") // his invitation, when Asha signed
		br.Navigate(links[1])
		br.WaitURL(h.base + "/s/")
		br.Submit(`button[value="send_code"]`)
		br.WaitVisible("#code")
		if visible := browsertest.Eval[bool](br, `document.getElementById("pad").getClientRects().length > 0`); visible {
			t.Error("without JavaScript the page shows a canvas nobody can draw on")
		}
		br.Type("#code", mail.code("bo@example.com"))
		br.Type("#signature", "Bo Ek")
		br.Submit(`button[value="sign"]`)
		br.WaitURL(shop.URL + "/orders/local-browser")
		if got := h.get(id)["status"]; got != "COMPLETED" {
			t.Fatalf("after both signatures: %v", got)
		}
		quiet(t)
	})

	t.Run("Decline", func(t *testing.T) {
		body := localBody("local-browser-decline", "Cai Lind|cai@example.com")
		body["returnUrl"] = shop.URL + "/orders/local-browser-decline"
		s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
		mail.srv.Wait(context.Background(), "cai@example.com") // the invitation
		br.Navigate(str(s["redirectUrl"]))
		br.WaitURL(h.base + "/s/")
		br.Submit(`button[value="send_code"]`)
		br.Click("details:has(#reason) > summary") // "I do not want to sign" opens the reason
		br.WaitVisible("#reason")
		br.Type("#reason", "The amount is wrong")
		br.Submit(`button[value="decline"]`)
		br.WaitURL(shop.URL + "/orders/local-browser-decline")
		got := h.get(str(s["signingSessionId"]))
		if got["status"] != "FAILED" || !strings.Contains(str(got["failureReason"]), "The amount is wrong") {
			t.Fatalf("after the decline: %v %v", got["status"], got["failureReason"])
		}
		quiet(t)
		// Back to the link: a 410 page (which the console reports as a
		// failed load) says the signer declined.
		br.Navigate(str(s["redirectUrl"]))
		br.WaitVisible("h1")
		if text := br.Text("main"); !strings.Contains(text, "declined") {
			t.Errorf("the link after the decline says %q", text)
		}
	})

	// The drawn signature is on the signed document as an image; the typed
	// one is text.
	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	checkSealed(t, doc, "Bo Ek", "asha@example.com", contractPDF)
	out, ok := pdfTool(t, doc, "pdfimages", "-list")
	if !ok {
		return
	}
	images := 0 // rows of type image; an smask row is an image's transparency
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[2] == "image" {
			images++
		}
	}
	if images != 1 {
		t.Errorf("the signed document has %d images, want 1 (Asha's drawn signature):\n%s", images, out)
	}
}
