package signzy

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

var auditPDF = []byte("%PDF-1.7\nSignzy audit certificate\n%%EOF\n")

// evidenceFake serves pullData with contract (its "/…" values made links
// to the fake) and, at /files/audit.pdf, file with fileStatus. pullStatus
// other than 200 answers pullData with Signzy's error.
type evidenceFake struct {
	contract   map[string]any
	pullStatus int
	file       []byte
	fileStatus int
	fileAuth   string
	fileCalls  int
}

func (f *evidenceFake) adapter(t *testing.T) *Adapter {
	t.Helper()
	e := simtest.NewEnv(t)
	e.Mux.HandleFunc("POST /api/v3/contract/pullData", func(w http.ResponseWriter, r *http.Request) {
		if f.pullStatus != 0 && f.pullStatus != http.StatusOK {
			w.WriteHeader(f.pullStatus)
			_, _ = w.Write([]byte(`{"name":"error","message":"Contract not found","reason":"NOT_FOUND","type":"Not Found","statusCode":404}`))
			return
		}
		body := map[string]any{"contractId": "c-2"}
		for k, v := range f.contract {
			if s, ok := v.(string); ok && strings.HasPrefix(s, "/") {
				v = e.Srv.URL + s
			}
			body[k] = v
		}
		_ = json.NewEncoder(w).Encode(body)
	})
	e.Mux.HandleFunc("GET /files/audit.pdf", func(w http.ResponseWriter, r *http.Request) {
		f.fileCalls++
		f.fileAuth = r.Header.Get("Authorization")
		w.WriteHeader(f.fileStatus)
		_, _ = w.Write(f.file)
	})
	return newTestAdapter(t, func(c *Config) { c.BaseURL = e.Srv.URL; c.HTTPClient = e.Srv.Client() })
}

// completedTwoSigners is a completed contract of two signers as pullData
// reports it, the second after a failed attempt.
func completedTwoSigners() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(`{"isCompleted":true,"contractStatus":"COMPLETED","signedSignerCount":2,
		"auditCertificateUrl":"/files/audit.pdf","auditCertificateHash":"`+signing.SHA256Hex(auditPDF)+`",
		"signerdetail":[
		 {"signerId":"s-1","signerName":"Asha Verma","signatureType":"AADHAARESIGN-OTP","status":"SIGNED","signerIP":"203.0.113.7",
		  "contractLastSignTime":"21/11/2026, 15:31:30","uidLastFourDigits":"1234",
		  "esignAttempts":[{"aadhaarStatus":"1","errorMessage":"NA","signerDscData":{"name":"ASHA VERMA","yob":"1990","gender":"F",
		    "state":"KARNATAKA","uidLastFourDigits":"123456781234","aadhaarToken":"tok-secret","pincode":"560001"}}]},
		 {"signerId":"s-2","signerName":"Ravi Kumar","signatureType":"AADHAARESIGN-FACEAUTH","status":"SIGNED","signerIP":"198.51.100.2",
		  "contractLastSignTime":"21/11/2026, 15:40:00",
		  "esignAttempts":[{"aadhaarStatus":"0","errorMessage":"Face not matched","signerDscData":"NA"},
		   {"aadhaarStatus":"1","errorMessage":"NA","signerDscData":{"name":"RAVI KUMAR","uidLastFourDigits":"9876"}}]}]}`), &m)
	return m
}

// signedSession is the session of completedTwoSigners as Signet keeps it,
// each signer with the evidence Refresh gave them (stored, or not).
func signedSession(t *testing.T, a *Adapter, store bool) signing.ProviderRef {
	t.Helper()
	ref := threeSigners()
	ref.Ref = "c-2"
	ref.Signers = []signing.Signer{{ID: "a", ProviderRef: "s-1", Status: signing.SignerSigned}, {ID: "b", ProviderRef: "s-2", Status: signing.SignerSigned}}
	ref.Session = &signing.Session{Status: signing.StatusCompleted}
	if store {
		u, err := a.Refresh(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, su := range u.Signers {
			ref.Signers[su.Index].Evidence = su.Evidence
		}
	}
	return ref
}

func TestEvidenceSigners(t *testing.T) {
	for _, stored := range []bool{true, false} {
		f := &evidenceFake{contract: completedTwoSigners(), file: auditPDF, fileStatus: 200}
		a := f.adapter(t)
		ref := signedSession(t, a, stored)
		ev, err := a.Evidence(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Signers) != 2 {
			t.Fatalf("stored %v: %d signers", stored, len(ev.Signers))
		}
		one, two := ev.Signers[0], ev.Signers[1]
		if one.Method != "Aadhaar eSign (OTP) via Signzy" || two.Method != "Aadhaar eSign (face authentication) via Signzy" {
			t.Errorf("stored %v: methods %q, %q", stored, one.Method, two.Method)
		}
		want := map[string]string{
			"Name on Aadhaar (eSign certificate)": "ASHA VERMA", "Aadhaar number": "XXXX XXXX 1234", "Year of birth (Aadhaar)": "1990",
			"Gender (Aadhaar)": "F", "State (Aadhaar)": "KARNATAKA", "Signed at Signzy": "21/11/2026, 15:31:30 IST",
			"IP address (seen by Signzy)": "203.0.113.7", "Signzy signer id": "s-1",
		}
		if got := simtest.Facts(one); len(got) != len(want) {
			t.Errorf("stored %v: first signer's facts %v, want %v", stored, got, want)
		} else {
			for k, v := range want {
				if got[k] != v {
					t.Errorf("stored %v: %s = %q, want %q", stored, k, got[k], v)
				}
			}
		}
		if got := simtest.Facts(two); got["Name on Aadhaar (eSign certificate)"] != "RAVI KUMAR" || got["Aadhaar number"] != "XXXX XXXX 9876" ||
			got["Failed eSign attempts before signing"] != "1" || got["IP address (seen by Signzy)"] != "198.51.100.2" {
			t.Errorf("stored %v: second signer's facts %v", stored, got)
		}
		all, _ := json.Marshal(ev.Signers)
		for _, secret := range []string{"12345678", "tok-secret", "560001"} {
			if strings.Contains(string(all), secret) {
				t.Errorf("stored %v: the evidence shows %q", stored, secret)
			}
		}
		for _, sg := range ref.Signers {
			if strings.Contains(string(sg.Evidence), "12345678") {
				t.Errorf("the stored evidence keeps more of the Aadhaar number than the last four digits: %s", sg.Evidence)
			}
		}
		if len(ev.Files) != 1 || string(ev.Files[0].Content) != string(auditPDF) || ev.Files[0].Missing != "" ||
			ev.Files[0].ContentType != "application/pdf" || ev.Files[0].FileName == "" {
			t.Errorf("stored %v: files %+v", stored, ev.Files)
		}
		if f.fileAuth != "" {
			t.Error("the audit certificate link was sent the API token")
		}
	}
}

// TestEvidenceSignerWhoDidNotSign: only signers who signed are described.
func TestEvidenceSignerWhoDidNotSign(t *testing.T) {
	f := &evidenceFake{contract: completedTwoSigners(), file: auditPDF, fileStatus: 200}
	a := f.adapter(t)
	ref := signedSession(t, a, true)
	ref.Signers[1].Status = signing.SignerFailed
	ref.Session.Status = signing.StatusFailed
	ev, err := a.Evidence(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Signers) != 2 || ev.Signers[0].Method == "" || ev.Signers[1].Method != "" || len(ev.Signers[1].Facts) != 0 {
		t.Errorf("signers %+v", ev.Signers)
	}
}

// TestEvidenceAuditCertificateMissing: a file that cannot be had is
// marked missing with why; the signers are described all the same.
func TestEvidenceAuditCertificateMissing(t *testing.T) {
	tests := []struct {
		name    string
		change  func(f *evidenceFake)
		missing string
	}{
		{"download fails", func(f *evidenceFake) { f.fileStatus = 500 }, "downloading it from Signzy failed"},
		{"download not found", func(f *evidenceFake) { f.fileStatus = 404; f.file = []byte(`{"message":"File not found"}`) }, "File not found"},
		{"not a PDF", func(f *evidenceFake) { f.file = []byte("<html>login</html>") }, "not a PDF"},
		{"hash differs", func(f *evidenceFake) { f.file = []byte("%PDF-1.7 other") }, "does not match its auditCertificateHash"},
		{"no link", func(f *evidenceFake) { delete(f.contract, "auditCertificateUrl") }, "Signzy gave no auditCertificateUrl"},
		{"not a web link", func(f *evidenceFake) { f.contract["auditCertificateUrl"] = "file:///etc/passwd" }, "not an http(s) link"},
		{"contract gone", func(f *evidenceFake) { f.pullStatus = 404 }, "Signzy's contract could not be read: Contract not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &evidenceFake{contract: completedTwoSigners(), file: auditPDF, fileStatus: 200}
			a := f.adapter(t)
			ref := signedSession(t, a, true)
			tt.change(f)
			ev, err := a.Evidence(context.Background(), ref)
			if err != nil {
				t.Fatalf("Evidence failed as a whole: %v", err)
			}
			if len(ev.Files) != 1 || ev.Files[0].Content != nil || !strings.Contains(ev.Files[0].Missing, tt.missing) {
				t.Fatalf("files %+v, want the audit certificate missing: %s", ev.Files, tt.missing)
			}
			if len(ev.Signers) != 2 || simtest.Facts(ev.Signers[0])["Name on Aadhaar (eSign certificate)"] != "ASHA VERMA" {
				t.Errorf("signers %+v", ev.Signers)
			}
		})
	}
}

// TestEvidenceUnfinishedContract: Signzy certifies only completed
// contracts, so an expired or declined session has no file to miss.
func TestEvidenceUnfinishedContract(t *testing.T) {
	for _, pullStatus := range []int{200, 404} {
		f := &evidenceFake{contract: map[string]any{"contractStatus": "CANCELLED", "signerdetail": []any{}}, pullStatus: pullStatus}
		a := f.adapter(t)
		ref := signing.ProviderRef{Ref: "c-2", Session: &signing.Session{Status: signing.StatusExpired},
			Signers: []signing.Signer{{ID: "a", Status: signing.SignerPending}}}
		ev, err := a.Evidence(context.Background(), ref)
		if err != nil || len(ev.Files) != 0 || len(ev.Signers) != 1 || ev.Signers[0].Method != "" {
			t.Errorf("pull %d: evidence %+v, err %v", pullStatus, ev, err)
		}
	}
}

// TestEvidenceBoundedRead: an audit certificate larger than the bound is
// not read into memory whole; it is missing.
func TestEvidenceBoundedRead(t *testing.T) {
	f := &evidenceFake{contract: completedTwoSigners(), fileStatus: 200}
	f.file = append([]byte("%PDF-1.7\n"), make([]byte, maxAuditCertificate+1)...)
	delete(f.contract, "auditCertificateHash")
	a := f.adapter(t)
	ev, err := a.Evidence(context.Background(), signedSession(t, a, true))
	if err != nil || len(ev.Files) != 1 || ev.Files[0].Content != nil || ev.Files[0].Missing == "" {
		t.Errorf("files %+v, err %v", ev.Files, err)
	}
}

func TestLastFour(t *testing.T) {
	for in, want := range map[string]string{"1234": "1234", "1234 5678 9012": "9012", "XXXX-XXXX-4321": "4321", "12": "", "": "", "NA": ""} {
		if got := lastFour(in); got != want {
			t.Errorf("lastFour(%q) = %q, want %q", in, got, want)
		}
	}
}
