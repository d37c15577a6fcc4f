package sim

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

// threeInvitees is a create body with three invitees, in signing order
// when ordered.
func threeInvitees(ordered bool) map[string]any {
	b := createBody()
	b["invitees"] = append(b["invitees"].([]any),
		map[string]any{"name": "Ravi Kumar", "phone": "9123456780"},
		map[string]any{"name": "Meera Iyer", "email": "meera.iyer@example.com"})
	b["requestSignOrder"] = ordered
	return b
}

func signURLs(d map[string]any) []string {
	var out []string
	for _, v := range d["invitees"].([]any) {
		out = append(out, v.(map[string]any)["signUrl"].(string))
	}
	return out
}

// TestSignedPDFHoldsASignaturePerInvitee: every invitee's Aadhaar eSign is
// a valid signature whose certificate, from the sandbox eSign CA, names
// them; the earlier ones stay valid as later invitees sign.
func TestSignedPDFHoldsASignaturePerInvitee(t *testing.T) {
	e := newEnv(t)
	d := e.ok("POST", "/v3.0/sign/request", threeInvitees(true))
	id := d["documentId"].(string)
	links := signURLs(d)
	for i, link := range links {
		e.Clock.Add(time.Minute)
		if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
			t.Fatalf("invitee %d signs: %d", i, resp.StatusCode)
		}
	}
	det := e.ok("GET", "/v3.3/document/details?documentId="+id+"&file=true", nil)
	if det["status"] != "COMPLETED" {
		t.Fatalf("details %v", det)
	}
	signed, err := base64.StdEncoding.DecodeString(det["file"].(string))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Asha Verma", "Ravi Kumar", "Meera Iyer"}
	people := []*invitation{{name: "Asha Verma", email: "asha.verma@example.com", phone: "9876543210"},
		{name: "Ravi Kumar", phone: "9123456780"}, {name: "Meera Iyer", email: "meera.iyer@example.com"}}
	for i, s := range simtest.WantESigned(t, signed, e.Sim, ESignProvider, want...) {
		if s.SubFilter != "ETSI.CAdES.detached" {
			t.Errorf("signature %d: SubFilter %q", i, s.SubFilter)
		}
		if state := aadhaarOf(people[i]).state; !strings.Contains(s.CertificateSubject, "ST="+state) {
			t.Errorf("signature %d does not name the state on Aadhaar (%s): %s", i, state, s.CertificateSubject)
		}
	}
	if !bytes.HasPrefix(signed, pdf.Sample(1, "Loan agreement")) {
		t.Error("the signatures are not incremental updates of the original")
	}

	// The audit trail, a file of its own, tells the Aadhaar facts with the
	// number masked.
	a := e.ok("GET", "/v3.3/document/fetchDocument?documentId="+id+"&documentDownloadType=AUDIT_TRAIL", nil)
	code, _, trail := e.Get(a["url"].(string))
	if code != http.StatusOK || !bytes.HasPrefix(trail, []byte("%PDF-")) {
		t.Fatalf("audit trail: %d", code)
	}
	if _, err := pdf.Validate(trail); err != nil {
		t.Errorf("audit trail: %v", err)
	}
}

// TestSequentialOrderRefusesOutOfTurn: with requestSignOrder, an invitee
// whose turn has not come sees Leegality's "not your turn" page, both on
// opening the link and on submitting, and nothing changes; in turn, they
// sign.
func TestSequentialOrderRefusesOutOfTurn(t *testing.T) {
	e := newEnv(t)
	d := e.ok("POST", "/v3.0/sign/request", threeInvitees(true))
	id, links := d["documentId"].(string), signURLs(d)

	// Opening the link shows the notice (200, as pages are shown); a
	// submit is refused with 409.
	status, page := e.Open(links[2])
	if status != http.StatusOK || !strings.Contains(page, "Not your turn yet") || strings.Contains(page, "<form") {
		t.Errorf("third invitee's page before their turn: %d %s", status, page)
	}
	if resp := e.Press(links[2], "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("third invitee signs out of turn: %d", resp.StatusCode)
	}
	if resp := e.Press(links[1], "decline"); resp.StatusCode != http.StatusConflict {
		t.Errorf("second invitee rejects out of turn: %d", resp.StatusCode)
	}
	for i, iv := range e.details(id)["invitations"].([]any) {
		m := iv.(map[string]any)
		if m["signed"] != false || m["rejected"] != false || m["action"] != nil || m["active"] != (i == 0) {
			t.Errorf("invitation %d after refusals: %v", i, m)
		}
	}
	if len(e.Hooks.Bodies()) != 0 {
		t.Error("a refusal sent a webhook")
	}

	e.Press(links[0], "sign")
	if _, page := e.Open(links[2]); !strings.Contains(page, "Not your turn yet") {
		t.Errorf("third invitee's page in the second's turn: %s", page)
	}
	e.Press(links[1], "sign")
	invs := e.details(id)["invitations"].([]any)
	if invs[1].(map[string]any)["signed"] != true || invs[2].(map[string]any)["active"] != true {
		t.Errorf("after two signatures: %v", invs)
	}
	// Each webhook reports the invitee who acted.
	hooks := e.Hooks.Bodies()
	if len(hooks) != 2 || hooks[0]["request"].(map[string]any)["name"] != "Asha Verma" ||
		hooks[1]["request"].(map[string]any)["name"] != "Ravi Kumar" || hooks[1]["documentStatus"] != "Sent" {
		t.Errorf("webhooks %v", hooks)
	}
}

// TestParallelOrderLetsAnyoneSign: without requestSignOrder every invitee
// may sign at once, in any order, each signature still valid.
func TestParallelOrderLetsAnyoneSign(t *testing.T) {
	e := newEnv(t)
	d := e.ok("POST", "/v3.0/sign/request", threeInvitees(false))
	id, links := d["documentId"].(string), signURLs(d)
	for _, iv := range d["invitees"].([]any) {
		if iv.(map[string]any)["active"] != true {
			t.Errorf("invitee not active at once: %v", iv)
		}
	}
	for _, i := range []int{2, 0, 1} {
		if resp := e.Press(links[i], "sign"); resp.StatusCode >= 400 {
			t.Fatalf("invitee %d: %d", i, resp.StatusCode)
		}
	}
	det := e.ok("GET", "/v3.3/document/details?documentId="+id+"&file=true", nil)
	signed, _ := base64.StdEncoding.DecodeString(det["file"].(string))
	sigs, err := pdf.Verify(signed)
	if err != nil || len(sigs) != 3 {
		t.Fatalf("signatures %+v, %v", sigs, err)
	}
	for i, name := range []string{"Meera Iyer", "Asha Verma", "Ravi Kumar"} {
		if !sigs[i].Valid || sigs[i].SignerName != name {
			t.Errorf("signature %d: %+v, want %s's", i, sigs[i], name)
		}
	}
}
