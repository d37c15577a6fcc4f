package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
)

// eSignProviders are the Aadhaar eSign providers, whose sandboxes sign
// every signer's copy with a certificate naming them.
var eSignProviders = []string{"signzy", "leegality", "digio"}

var threeNames = []string{"Asha Rao", "Vikram Shah", "Meera Nair"}

// nthSigner makes the i-th of several distinct signers from the examples
// the provider publishes: another name, e-mail and phone number.
func (h *harness) nthSigner(provider string, i int) map[string]any {
	d := h.signerFor(provider)
	for k, v := range d {
		s, ok := v.(string)
		if !ok {
			continue
		}
		key := strings.ToLower(k)
		switch {
		case key == "name" || strings.HasSuffix(key, "name") && !strings.Contains(key, "user"):
			d[k] = threeNames[i]
		case strings.Contains(key, "email") || strings.Contains(s, "@"):
			d[k] = fmt.Sprintf("signer%d@example.com", i+1)
		case strings.Contains(key, "phone") || strings.Contains(key, "mobile") || len(s) >= 6 && strings.Trim(s, "+0123456789") == "":
			d[k] = s[:len(s)-1] + fmt.Sprint((int(s[len(s)-1]-'0')+i+1)%10)
		}
	}
	return d
}

// createSigners creates a session of n signers at provider in order.
func (h *harness) createSigners(provider, orderID, order string, n int, extra ...func(map[string]any)) (id string, links []string) {
	h.t.Helper()
	var signers []any
	for i := range n {
		signers = append(signers, map[string]any{"signerDetails": h.nthSigner(provider, i)})
	}
	body := map[string]any{
		"orderId": orderID, "provider": provider, "signers": signers, "signingOrder": order,
		"document":  map[string]any{"filename": "contract.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		"returnUrl": "https://app.example.com/done",
	}
	for _, f := range extra {
		f(body)
	}
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(h.t)
	if s["signingOrder"] != order {
		h.t.Errorf("signingOrder %v, want %s", s["signingOrder"], order)
	}
	for i, v := range s["signers"].([]any) {
		m := v.(map[string]any)
		want := "PENDING"
		if order == "sequential" && i > 0 {
			want = "WAITING"
		}
		if m["status"] != want {
			h.t.Errorf("new signer %d is %v, want %s", i, m["status"], want)
		}
		links = append(links, str(m["redirectUrl"]))
	}
	if len(links) != n || s["redirectUrl"] != links[0] {
		h.t.Fatalf("%d signer links %v, redirectUrl %v", len(links), links, s["redirectUrl"])
	}
	return str(s["signingSessionId"]), links
}

// signerStatuses lists the session's status and each signer's.
func (h *harness) signerStatuses(id string) (string, []string) {
	s := h.get(id)
	var out []string
	for _, v := range s["signers"].([]any) {
		out = append(out, str(v.(map[string]any)["status"]))
	}
	return str(s["status"]), out
}

// waitSigner waits until signer i of the session is want.
func (h *harness) waitSigner(id string, i int, want string) string {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, signers := h.signerStatuses(id)
		if signers[i] == want {
			return status
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("signer %d of %s is %s (session %s), want %s", i, id, signers[i], status, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSeveralSignersAtEachProvider is issue 14's black-box check at the
// Aadhaar eSign providers: three signers in every order the provider
// declares sign one after the other; each signer's status and the
// session's follow; webhooks say signer_signed three times, then
// completed; the signed PDF carries a valid signature naming each signer
// (pdfsig agrees) and the verification endpoint reports them; a decline by
// the second fails the session and closes the third's link; a cancel
// or an expiry half-way closes the rest.
func TestSeveralSignersAtEachProvider(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	hooks := newReceiver(t, 0)
	h.registerWebhook(h.key, hooks.srv.URL)
	orders := map[string][]string{}
	for _, p := range h.expect(h.do("GET", "/signing/providers", h.key, nil), 200).json(t)["providers"].([]any) {
		p := p.(map[string]any)
		for _, o := range p["signingOrders"].([]any) {
			orders[str(p["name"])] = append(orders[str(p["name"])], str(o))
		}
		if slices.Contains(eSignProviders, str(p["name"])) && p["maxSigners"].(float64) < 3 {
			t.Errorf("%s takes at most %v signers", p["name"], p["maxSigners"])
		}
	}
	for _, provider := range eSignProviders {
		if len(orders[provider]) == 0 {
			t.Errorf("%s declares no signing order", provider)
		}
		for _, order := range orders[provider] {
			t.Run(provider+"/"+order+"/all sign", func(t *testing.T) {
				h.t = t
				id, links := h.createSigners(provider, provider+"-"+order, order, 3)
				if order == "sequential" {
					r := h.do("GET", strings.TrimPrefix(links[1], h.base), "", nil)
					if r.status != http.StatusOK || r.header.Get("Location") != "" || !strings.Contains(string(r.body), threeNames[0]) {
						t.Errorf("the second signer's link before their turn: %d, %q; want a page naming %s", r.status, r.body, threeNames[0])
					}
				}
				for i := range links {
					providertest.SubmitForm(t, links[i], "sign")
					if i == len(links)-1 {
						break
					}
					if status := h.waitSigner(id, i, "SIGNED"); status != "IN_PROGRESS" {
						t.Errorf("after %d of 3 signatures the session is %s, want IN_PROGRESS", i+1, status)
					}
				}
				done := h.waitStatus(id, "COMPLETED")
				if _, signers := h.signerStatuses(id); strings.Join(signers, ",") != "SIGNED,SIGNED,SIGNED" || done["completedAt"] == nil {
					t.Errorf("completed session's signers %v", signers)
				}
				checkWebhooks(t, hooks, id)
				doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
				checkESigned(t, doc, threeNames)
				v := h.expect(h.do("GET", "/signing/"+id+"/verification", h.key, nil), 200).json(t)
				var names []string
				for _, s := range v["signatures"].([]any) {
					s := s.(map[string]any)
					if s["valid"] == true {
						names = append(names, str(s["signerName"]))
					}
				}
				if strings.Join(names, ",") != strings.Join(threeNames, ",") {
					t.Errorf("verification reports valid signatures by %v, want %v", names, threeNames)
				}
				cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200).body
				sum := signing.SHA256Hex(doc)
				checkCertificate(t, cert, id, provider+"-"+order, sum)
				if text, ok := pdfWords(t, cert); ok {
					for _, name := range threeNames {
						if !strings.Contains(text, name) {
							t.Errorf("the audit certificate does not name %s", name)
						}
					}
				}
			})
		}
		t.Run(provider+"/second declines", func(t *testing.T) {
			h.t = t
			id, links := h.createSigners(provider, provider+"-decline", orders[provider][0], 3)
			providertest.SubmitForm(t, links[0], "sign")
			h.waitSigner(id, 0, "SIGNED")
			providertest.SubmitForm(t, links[1], "decline")
			failed := h.waitStatus(id, "FAILED")
			if str(failed["failureReason"]) == "" {
				t.Errorf("FAILED without a reason: %v", failed)
			}
			if _, signers := h.signerStatuses(id); signers[0] != "SIGNED" || signers[1] != "FAILED" {
				t.Errorf("signers after a decline: %v", signers)
			}
			if r := h.do("GET", strings.TrimPrefix(links[2], h.base), "", nil); r.status != http.StatusGone {
				t.Errorf("the third signer's link after the decline: %d, want 410", r.status)
			}
		})
		t.Run(provider+"/cancel half-way", func(t *testing.T) {
			h.t = t
			id, links := h.createSigners(provider, provider+"-cancel", orders[provider][0], 2)
			providertest.SubmitForm(t, links[0], "sign")
			h.waitSigner(id, 0, "SIGNED")
			h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 200)
			if status, signers := h.signerStatuses(id); status != "CANCELLED" || signers[0] != "SIGNED" {
				t.Errorf("after cancel: %s %v", status, signers)
			}
			if r := h.do("GET", strings.TrimPrefix(links[1], h.base), "", nil); r.status != http.StatusGone {
				t.Errorf("the second signer's link after cancel: %d, want 410", r.status)
			}
			cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200).body
			checkCertificate(t, cert, id, provider+"-cancel", "")
		})
		t.Run(provider+"/expiry half-way", func(t *testing.T) {
			h.t = t
			id, links := h.createSigners(provider, provider+"-expiry", orders[provider][0], 2, func(b map[string]any) {
				b["expiresAt"] = h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
			})
			providertest.SubmitForm(t, links[0], "sign")
			h.waitSigner(id, 0, "SIGNED")
			h.clock.Advance(time.Hour + time.Second)
			if status, signers := h.signerStatuses(id); status != "EXPIRED" || signers[0] != "SIGNED" || signers[1] == "SIGNED" {
				t.Errorf("after expiresAt: %s %v", status, signers)
			}
			if r := h.do("GET", strings.TrimPrefix(links[1], h.base), "", nil); r.status != http.StatusGone || !strings.Contains(string(r.body), "expired") {
				t.Errorf("the second signer's link after expiry: %d, want 410 saying it expired", r.status)
			}
			cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200).body
			checkCertificate(t, cert, id, provider+"-expiry", "")
		})
	}
}

// checkWebhooks: the session's webhooks say signer_signed three times,
// each carrying the session with one more signer SIGNED, then completed,
// last. (The audit trail, not the webhook, names the signer of an event.)
func checkWebhooks(t *testing.T, hooks *receiver, id string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var types []string
		var signedCounts []int
		for _, r := range hooks.all() {
			var ev struct {
				Data struct {
					SigningSessionID string `json:"signingSessionId"`
					Signers          []struct {
						Status string `json:"status"`
					} `json:"signers"`
				} `json:"data"`
			}
			json.Unmarshal(r.body, &ev)
			if ev.Data.SigningSessionID != id {
				continue
			}
			types = append(types, r.typ)
			if r.typ == "signing.signer_signed" {
				n := 0
				for _, sg := range ev.Data.Signers {
					if sg.Status == "SIGNED" {
						n++
					}
				}
				signedCounts = append(signedCounts, n)
			}
		}
		if len(types) > 0 && types[len(types)-1] == "signing.completed" {
			if fmt.Sprint(signedCounts) != "[1 2 3]" || slices.Index(types, "signing.completed") != len(types)-1 {
				t.Errorf("webhooks %v with %v signers SIGNED at each signer_signed; want [1 2 3], then completed", types, signedCounts)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no signing.completed webhook for %s; got %v", id, types)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkESigned: the document holds a valid signature by each of names, in
// order, over the original and every earlier signature, in Go and by
// pdfsig; qpdf finds it sound.
func checkESigned(t *testing.T, doc []byte, names []string) {
	t.Helper()
	sigs, err := pdf.Verify(doc)
	if err != nil {
		t.Fatalf("signed document: %v", err)
	}
	var got []string
	for _, s := range sigs {
		if !s.Valid {
			t.Errorf("signature by %s is not valid: %v", s.SignerName, s.Problems)
		}
		got = append(got, s.SignerName)
	}
	if strings.Join(got, ",") != strings.Join(names, ",") || !sigs[len(sigs)-1].CoversWholeDocument {
		t.Errorf("signatures by %v, want %v, the last over the whole file", got, names)
	}
	if out, ok := pdfTool(t, doc, "pdfsig"); ok {
		if n := strings.Count(out, "Signature is Valid."); n != len(names) {
			t.Errorf("pdfsig finds %d valid signatures, want %d:\n%s", n, len(names), out)
		}
		for _, name := range names {
			if !strings.Contains(out, "Signer Certificate Common Name: "+name) {
				t.Errorf("pdfsig names no signer %s:\n%s", name, out)
			}
		}
	}
	qpdfCheck(t, doc, "the signed document")
}
