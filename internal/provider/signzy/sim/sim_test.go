package sim

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simkit"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

// The fields of the seed's SignzyRefreshSigning.response_type; a pullData
// answer must carry every one (estamp aside: Signzy omits it when no
// e-stamp was requested, and the simulator never does e-stamping).
var (
	seedContractFields = []string{
		"contractId", "initialSignerCount", "signedSignerCount", "deletedSignerCount",
		"contractName", "contractExecuterName", "successRedirectUrl", "failureRedirectUrl",
		"callbackUrl", "signerCallbackUrl", "contractTtl", "initialContract", "initialContractHash",
		"finalSignedContract", "finalSignedContractHash", "isCompleted", "contractCompletionTime",
		"contractStatus", "customerMailList", "customerMailListVisibility", "callbackStatus",
		"signerdetail", "deletedsignerdetail",
	}
	liveContractFields = []string{"cancelledSignerCount", "contractCreationTime", "auditCertificateUrl", "contractCancelTimestamp"}
	seedSignerFields   = []string{
		"signerName", "signerGender", "signerYearOfBirth", "signerId", "signatureType",
		"contractLastSignTime", "status", "errorMessage", "aadhaarStatus", "aadhaarErrorMessage",
		"matchScoreResult", "signerIP", "noOfSuccessfulAttempts", "noOfFailureAttempts",
		"signerSignedContract", "signerSignedContractHash", "esignAttempts",
	}
	seedAttemptFields = []string{"errorMessage", "aadhaarStatus", "aadhaarErrorMessage", "signerDscData"}
	seedDSCFields     = []string{
		"state", "pincode", "dnQualifier", "yob", "gender", "uidLastFourDigits",
		"x500UniqueIdentifier", "aadhaarToken", "pseudonym", "aadhaarType", "country", "name",
	}
)

func TestPullDataHasTheSeedShape(t *testing.T) {
	e := newEnv(t)
	id, link := e.initiate()

	m := e.pull(id, false)
	simtest.WantFields(t, "pending contract", m, seedContractFields...)
	simtest.WantFields(t, "pending contract", m, liveContractFields...)
	simtest.WantFields(t, "pending signer", signer0(m), seedSignerFields...)
	if _, ok := m["estamp"]; ok {
		t.Error("estamp present although none was requested")
	}
	if got := m["contractCreationTime"]; got != "21/11/2026, 15:30:00" {
		t.Errorf("contractCreationTime = %v, want DD/MM/YYYY, HH:mm:ss in IST", got)
	}
	if m["isCompleted"] != false || m["contractStatus"] != "ACTIVE" || signer0(m)["status"] != "PENDING" {
		t.Errorf("new contract: isCompleted %v, contractStatus %v, signer %v", m["isCompleted"], m["contractStatus"], signer0(m)["status"])
	}

	if status, _ := e.Open(link); status != http.StatusOK {
		t.Fatalf("page: %d", status)
	}
	if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d", resp.StatusCode)
	}
	m = e.pull(id, false)
	s := signer0(m)
	attempts := s["esignAttempts"].([]any)
	if len(attempts) != 1 {
		t.Fatalf("esignAttempts = %v, want one", attempts)
	}
	a := attempts[0].(map[string]any)
	simtest.WantFields(t, "attempt", a, seedAttemptFields...)
	simtest.WantFields(t, "signerDscData", a["signerDscData"].(map[string]any), seedDSCFields...)
	if a["aadhaarStatus"] != "1" || a["errorMessage"] != "NA" {
		t.Errorf("successful attempt = %v", a)
	}
}

func TestInitiateAnswer(t *testing.T) {
	e := newEnv(t)
	status, m := e.post("/api/v3/contract/initiate", testToken, e.initiateBody())
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, m)
	}
	simtest.WantFields(t, "initiate", m, "customerId", "contractId", "pdf", "initialContractHash", "contractName",
		"eSignProvider", "contractTtl", "signerdetail", "callbackUrl", "fileTtl", "contractStatus", "contractExpiresOn")
	if id := m["contractId"].(string); len(id) != 36 {
		t.Errorf("contractId %q is not 36 chars", id)
	}
	sum := simkit.SHA256Hex(pdf.Sample(1, "Loan agreement"))
	if m["initialContractHash"] != sum {
		t.Errorf("initialContractHash = %v, want %s", m["initialContractHash"], sum)
	}
	if m["contractExpiresOn"] != "2026-11-21T11:00:00.000Z" {
		t.Errorf("contractExpiresOn = %v", m["contractExpiresOn"])
	}
	s := signer0(m)
	simtest.WantFields(t, "initiate signer", s, "signerId", "signerName", "signatureType", "esignUrl")
	if u := s["esignUrl"].(string); !strings.HasPrefix(u, e.Srv.URL+"/sandbox/signzy/api/v3/contract/esign/") {
		t.Errorf("esignUrl %q is not under the mount", u)
	}
	// The pdf link serves the original document.
	code, _, body := e.Get(m["pdf"].(string))
	if code != http.StatusOK || !bytes.Equal(body, pdf.Sample(1, "Loan agreement")) {
		t.Errorf("pdf link: %d, %d bytes", code, len(body))
	}
}

func TestInitiateValidation(t *testing.T) {
	e := newEnv(t)
	signer := simtest.EditFirst("signerdetail")
	tests := []struct {
		name   string
		mutate func(map[string]any)
		status int
		msg    string
	}{
		{"no pdf", func(b map[string]any) { delete(b, "pdf") }, 400, "pdf is required"},
		{"empty pdf", func(b map[string]any) { b["pdf"] = "" }, 400, "pdf is not allowed to be empty"},
		{"pdf not base64", func(b map[string]any) { b["pdf"] = "%%%" }, 400, "pdf must be a valid base64 encoded PDF or a URL"},
		{"pdf not a PDF", func(b map[string]any) { b["pdf"] = base64.StdEncoding.EncodeToString([]byte("hello")) }, 400, "pdf is not a valid PDF file"},
		{"pdf broken", func(b map[string]any) { b["pdf"] = base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\ngarbage")) }, 400, "pdf is not a valid PDF file"},
		{"no success url", func(b map[string]any) { delete(b, "successRedirectUrl") }, 400, "successRedirectUrl is required"},
		{"bad failure url", func(b map[string]any) { b["failureRedirectUrl"] = "not a url" }, 400, "failureRedirectUrl must be a valid uri"},
		{"empty callback", func(b map[string]any) { b["callbackUrl"] = "" }, 400, "callbackUrl is not allowed to be empty"},
		{"no callback", func(b map[string]any) { delete(b, "callbackUrl") }, 400, "callbackUrl is required"},
		{"ttl not a number", func(b map[string]any) { b["contractTtl"] = "soon" }, 400, "contractTtl must be a number"},
		{"bad esp", func(b map[string]any) { b["eSignProvider"] = "ACME" }, 400, "eSignProvider must be one of [EMUDHRA, NSDL]"},
		{"no signers", func(b map[string]any) { delete(b, "signerdetail") }, 400, "signerdetail is required"},
		{"empty signers", func(b map[string]any) { b["signerdetail"] = []any{} }, 400, "signerdetail must contain at least 1 items"},
		{"no signer name", signer(func(s map[string]any) { delete(s, "signerName") }), 400, "signerdetail[0].signerName is required"},
		{"bad signature type", signer(func(s map[string]any) { s["signatureType"] = "PEN" }), 400,
			"signerdetail[0].signatureType must be one of [AADHAARESIGN-OTP, AADHAARESIGN-FINGERPRINT, AADHAARESIGN-FACEAUTH]"},
		{"no signatures", signer(func(s map[string]any) { delete(s, "signatures") }), 400, "signerdetail[0].signatures is required"},
		{"bad uid", signer(func(s map[string]any) { s["uidLastFourDigits"] = "12" }), 400, "signerdetail[0].uidLastFourDigits length must be 4 characters long"},
		{"lower-case signature type", signer(func(s map[string]any) { s["signatureType"] = "aadhaaresign-faceauth" }), 200, ""},
		{"ttl as string", func(b map[string]any) { b["contractTtl"] = "60000" }, 200, ""},
		{"pdf as URL", func(b map[string]any) { b["pdf"] = "https://example.com/x.pdf" }, 400, "pdf URLs are not supported by the sandbox: send the PDF as base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.initiateBody()
			tt.mutate(b)
			status, m := e.post("/api/v3/contract/initiate", testToken, b)
			if status != tt.status {
				t.Fatalf("status = %d, want %d (%v)", status, tt.status, m)
			}
			if tt.status == 200 {
				return
			}
			want := map[string]any{"name": "error", "message": tt.msg, "reason": "VALIDATION_ERROR", "type": "Bad Request", "statusCode": float64(400)}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v", k, m[k], v)
				}
			}
		})
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	id, _ := e.initiate()
	for _, tok := range []string{"", "wrong", "Bearer " + testToken} {
		for _, call := range []struct {
			path string
			body any
		}{
			{"/api/v3/contract/initiate", e.initiateBody()},
			{"/api/v3/contract/pullData", map[string]any{"contractId": id}},
		} {
			status, m := e.post(call.path, tok, call.body)
			if status != http.StatusUnauthorized || m["message"] != "Unauthorized" || m["statusCode"] != float64(401) || m["name"] != "error" {
				t.Errorf("%s with token %q: %d %v", call.path, tok, status, m)
			}
		}
	}
}

func TestPullDataErrors(t *testing.T) {
	e := newEnv(t)
	status, m := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": "short"})
	if status != 400 || m["message"] != "contractId length must be 36 characters long" {
		t.Errorf("short id: %d %v", status, m)
	}
	status, m = e.post("/api/v3/contract/pullData", testToken, map[string]any{})
	if status != 400 || m["message"] != "contractId is required" {
		t.Errorf("no id: %d %v", status, m)
	}
	status, m = e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": "00000000-0000-0000-0000-000000000000"})
	if status != 404 || m["message"] != "Contract not found" || m["statusCode"] != float64(404) {
		t.Errorf("unknown id: %d %v", status, m)
	}
}

func TestExpiryAnswers404(t *testing.T) {
	e := newEnv(t)
	id, link := e.initiate() // contractTtl one hour
	e.Clock.Add(59 * time.Minute)
	e.pull(id, false)
	e.Clock.Add(time.Minute)
	status, m := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id})
	if status != 404 || m["message"] != "Contract not found" {
		t.Errorf("after contractTtl: %d %v, want 404", status, m)
	}
	if status, _ := e.Open(link); status != http.StatusNotFound {
		t.Errorf("page after expiry: %d, want 404", status)
	}
}

// TestMemoryBound: past RetainBytes the oldest contracts are forgotten
// and answer as an expired one does; the newest are kept. (Which
// contract counts as oldest once one grows by its signed copies is
// simkit's TestRetainedForgetsTheOldestPastTheBound.)
func TestMemoryBound(t *testing.T) {
	size := int64(len(pdf.Sample(1, "Loan agreement")))
	e := newEnv(t, func(c *Config) { c.RetainBytes = 3 * size })
	var ids, links []string
	for range 5 {
		id, link := e.initiate()
		ids, links = append(ids, id), append(links, link)
	}
	for i, id := range ids {
		status, m := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id})
		kept := i >= 2
		if kept && status != http.StatusOK || !kept && (status != http.StatusNotFound || m["message"] != "Contract not found") {
			t.Errorf("contract %d of 5 with room for 3: %d %v, want kept %v", i, status, m["message"], kept)
		}
	}
	if status, _ := e.Open(links[0]); status != http.StatusNotFound {
		t.Errorf("a forgotten contract's signing page: %d, want 404", status)
	}
	if resp := e.Press(links[4], "sign"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signing the newest: %d, want 303", resp.StatusCode)
	}
	if m := e.pull(ids[4], false); m["isCompleted"] != true {
		t.Errorf("the newest, signed, is not completed: %v", m["isCompleted"])
	}
}

// TestMemoryBoundForgetsFinishedContractsFirst: an older contract still
// being signed outlives a newer one that is completed.
func TestMemoryBoundForgetsFinishedContractsFirst(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RetainBytes = 64 << 10 })
	open, _ := e.initiate()
	done, link := e.initiate()
	e.Press(link, "sign")
	found := func(id string) bool {
		status, _ := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id})
		return status == http.StatusOK
	}
	for i := 0; found(done); i++ {
		if i == 200 {
			t.Fatal("200 contracts later the completed one is still kept: no bound")
		}
		e.initiate()
	}
	if !found(open) {
		t.Error("the older open contract was forgotten before the completed one")
	}
}

func TestCompletedContractOutlivesTTL(t *testing.T) {
	e := newEnv(t)
	id, link := e.initiate()
	e.Press(link, "sign")
	e.Clock.Add(2 * time.Hour)
	if m := e.pull(id, false); m["isCompleted"] != true {
		t.Errorf("completed contract after its ttl: %v", m["isCompleted"])
	}
}

func TestSignFlow(t *testing.T) {
	e := newEnv(t)
	id, link := e.initiate()

	html := e.Page(link)
	for _, want := range []string{`<form method="post">`, `<button type="submit" name="action" value="sign">`,
		`<button type="submit" name="action" value="decline">`, "Loan agreement", "Asha Verma", `type="hidden"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") {
		t.Error("page needs JavaScript")
	}

	m := e.pull(id, false)
	s := signer0(m)
	if s["status"] != "IN_PROGRESS" || len(s["esignAttempts"].([]any)) != 1 {
		t.Errorf("after opening: status %v, attempts %v", s["status"], s["esignAttempts"])
	}
	if s["signerIP"] != "127.0.0.1" {
		t.Errorf("signerIP = %v", s["signerIP"])
	}
	e.Open(link) // a second look starts no second attempt
	if n := len(signer0(e.pull(id, false))["esignAttempts"].([]any)); n != 1 {
		t.Errorf("attempts after reopening = %d, want 1", n)
	}

	e.Clock.Add(time.Minute)
	resp := e.Press(link, "sign")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://client.example/done" {
		t.Fatalf("sign: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := e.Hooks.All()
	if len(got) != 1 {
		t.Fatalf("callbacks = %d, want 1 (sent before the redirect)", len(got))
	}
	if got[0].Header.Get("Authorization") != "cb-secret" || got[0].Body["contractId"] != id || got[0].Body["isCompleted"] != true {
		t.Errorf("callback: auth %q, contractId %v, isCompleted %v", got[0].Header.Get("Authorization"), got[0].Body["contractId"], got[0].Body["isCompleted"])
	}

	m = e.pull(id, false)
	s = signer0(m)
	if m["isCompleted"] != true || m["contractStatus"] != "COMPLETED" || m["signedSignerCount"] != float64(1) || s["status"] != "SIGNED" {
		t.Errorf("after signing: %v %v %v %v", m["isCompleted"], m["contractStatus"], m["signedSignerCount"], s["status"])
	}
	if m["contractCompletionTime"] != "21/11/2026, 15:31:00" || m["callbackStatus"] != "SUCCESS" {
		t.Errorf("completion time %v, callbackStatus %v", m["contractCompletionTime"], m["callbackStatus"])
	}
	link2 := m["finalSignedContract"].(string)
	code, _, signed := e.Get(link2)
	if code != http.StatusOK || !bytes.HasPrefix(signed, []byte("%PDF-")) {
		t.Fatalf("signed link: %d", code)
	}
	if simkit.SHA256Hex(signed) != m["finalSignedContractHash"] {
		t.Error("finalSignedContractHash does not match the signed PDF")
	}
	if _, err := pdf.Validate(signed); err != nil {
		t.Errorf("signed PDF does not validate: %v", err)
	}
	e.wantSignedBy(signed, "Asha Verma")
	if !bytes.HasPrefix(signed, e.original()) {
		t.Error("the signature is not an incremental update of the original")
	}
	b64 := e.pull(id, true)["finalSignedContract"].(string)
	if dec, err := base64.StdEncoding.DecodeString(b64); err != nil || !bytes.Equal(dec, signed) {
		t.Errorf("base64 output differs from the link's PDF (err %v)", err)
	}
	code, _, audit := e.Get(m["auditCertificateUrl"].(string))
	if code != http.StatusOK || !bytes.HasPrefix(audit, []byte("%PDF-")) || simkit.SHA256Hex(audit) != m["auditCertificateHash"] {
		t.Errorf("audit certificate: %d", code)
	}
	if info, err := pdf.Validate(audit); err != nil || info.Pages != 2 || bytes.Equal(audit, signed) {
		t.Errorf("audit certificate: %+v, %v; want the 1-page contract and an audit page, apart from the signed file", info, err)
	}

	// A finished contract: the page says so, a post changes nothing.
	if status, html := e.Open(link); status != http.StatusOK || !strings.Contains(html, "already finished") {
		t.Errorf("page after signing: %d", status)
	}
	if resp := e.Press(link, "decline"); resp.StatusCode != http.StatusConflict {
		t.Errorf("decline after signing: %d, want 409", resp.StatusCode)
	}
	if m := e.pull(id, false); m["contractStatus"] != "COMPLETED" || len(e.Hooks.All()) != 1 {
		t.Errorf("a post to a finished contract changed it: %v, %d callbacks", m["contractStatus"], len(e.Hooks.All()))
	}
}

func TestDecline(t *testing.T) {
	e := newEnv(t)
	id, link := e.initiate()
	resp := e.Press(link, "decline")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://client.example/failed" {
		t.Fatalf("decline: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	m := e.pull(id, false)
	s := signer0(m)
	if s["status"] != "CANCELLED" || s["signerCancelMessage"] != "Signer declined to sign" || m["cancelledSignerCount"] != float64(1) ||
		m["contractStatus"] != "CANCELLED" || m["contractCancelTimestamp"] == "" || m["isCompleted"] != false {
		t.Errorf("after decline: %v", m)
	}
	got := e.Hooks.All()
	if len(got) != 1 || got[0].Body["contractId"] != id || got[0].Header.Get("Authorization") != "cb-secret" {
		t.Errorf("callbacks after decline: %v", got)
	}
}

func TestBadAction(t *testing.T) {
	e := newEnv(t)
	id, link := e.initiate()
	for _, action := range []string{"", "approve"} {
		if resp := e.Press(link, action); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("action %q: %d, want 400", action, resp.StatusCode)
		}
	}
	if m := e.pull(id, false); m["contractStatus"] != "ACTIVE" {
		t.Errorf("a bad action changed the contract: %v", m["contractStatus"])
	}
	if resp := e.Press(e.Srv.URL+"/sandbox/signzy/api/v3/contract/esign/nobody", "sign"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown signer: %d", resp.StatusCode)
	}
}

func TestPageEscapes(t *testing.T) {
	e := newEnv(t)
	b := e.initiateBody()
	b["contractName"] = `<script>alert("x")</script>`
	_, m := e.post("/api/v3/contract/initiate", testToken, b)
	_, html := e.Open(signer0(m)["esignUrl"].(string))
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Error("contract name is not escaped")
	}
}

func TestCallbackRetries(t *testing.T) {
	e := newEnv(t)
	e.Hooks.FailFor(2)
	id, link := e.initiate()
	if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d (a failed callback must not stop the redirect)", resp.StatusCode)
	}
	simtest.WaitFor(t, "callback retried to success", func() bool { return len(e.Hooks.All()) == 3 })
	simtest.WaitFor(t, "callbackStatus SUCCESS", func() bool { return e.pull(id, false)["callbackStatus"] == "SUCCESS" })
}

func TestCloseStopsRetries(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CallbackRetries = []time.Duration{time.Hour} })
	e.Hooks.FailFor(100)
	id, link := e.initiate()
	e.Press(link, "sign")
	if m := e.pull(id, false); m["callbackStatus"] != "FAILED" {
		t.Errorf("callbackStatus = %v, want FAILED", m["callbackStatus"])
	}
	simtest.WantClosed(t, e.Sim.Close, nil)
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	id, _ := e.initiate()

	e.Sim.FailNext(OpPullData, 500)
	e.Sim.FailNextWith(OpPullData, 400, "contractId is invalid")
	status, m := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id})
	if status != 500 || m["statusCode"] != float64(500) || m["name"] != "error" {
		t.Errorf("first: %d %v", status, m)
	}
	status, m = e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id})
	if status != 400 || m["message"] != "contractId is invalid" {
		t.Errorf("second: %d %v", status, m)
	}
	e.pull(id, false) // faults used up

	e.Sim.FailNext(OpInitiate, 503)
	if status, _ := e.post("/api/v3/contract/initiate", testToken, e.initiateBody()); status != 503 {
		t.Errorf("initiate fault: %d", status)
	}

	e.Sim.DelayNext(OpPullData, 300*time.Millisecond)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/sandbox/signzy/api/v3/contract/pullData",
		strings.NewReader(`{"contractId":"`+id+`"}`))
	req.Header.Set("Authorization", testToken)
	if _, err := client.Do(req); err == nil {
		t.Error("a delayed pullData answered within the client's timeout")
	}
	e.pull(id, false) // the delay was used up
}

func TestFailAadhaarAndCancel(t *testing.T) {
	e := newEnv(t)
	id, link := e.initiate()
	if err := e.Sim.FailAadhaar(id, "OTP validation failed", true); err != nil {
		t.Fatal(err)
	}
	s := signer0(e.pull(id, false))
	if s["status"] != "IN_PROGRESS" || s["noOfFailureAttempts"] != float64(1) {
		t.Errorf("after a retryable failure: %v", s)
	}
	if err := e.Sim.FailAadhaar(id, "Aadhaar authentication failed", false); err != nil {
		t.Fatal(err)
	}
	m := e.pull(id, false)
	if signer0(m)["status"] != "FAILED" || m["contractStatus"] != "FAILED" || len(e.Hooks.All()) != 1 {
		t.Errorf("after a final failure: %v, %d callbacks", m, len(e.Hooks.All()))
	}
	if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after a final failure: %d", resp.StatusCode)
	}

	id2, _ := e.initiate()
	if err := e.Sim.CancelContract(id2); err != nil {
		t.Fatal(err)
	}
	m = e.pull(id2, false)
	if m["contractStatus"] != "CANCELLED" || m["contractCancelTimestamp"] == "" || signer0(m)["signerCancelMessage"] != nil {
		t.Errorf("after a dashboard cancel: %v", m)
	}
	if err := e.Sim.CancelContract(id2); err != ErrFinished {
		t.Errorf("second cancel: %v", err)
	}
	if err := e.Sim.CancelContract("nope"); err != ErrUnknownContract {
		t.Errorf("unknown: %v", err)
	}
}

func TestMountWithoutStripPrefix(t *testing.T) {
	e, _ := simtest.ServeUnstripped(t, "/sandbox/signzy", func(base string) (*Server, error) {
		return New(Config{BaseURL: base, Token: testToken})
	})
	status, h, _ := e.Call(http.MethodPost, "/api/v3/contract/pullData", map[string]any{"contractId": "00000000-0000-0000-0000-000000000000"},
		func(r *http.Request) { r.Header.Set("Authorization", testToken) })
	if status != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("status %d %q, want Signzy's JSON 404", status, h.Get("Content-Type"))
	}
}

func TestMultipleSigners(t *testing.T) {
	e := newEnv(t)
	b := e.twoSignerBody()
	_, m := e.post("/api/v3/contract/initiate", testToken, b)
	id := m["contractId"].(string)
	links := []string{}
	for _, s := range m["signerdetail"].([]any) {
		links = append(links, s.(map[string]any)["esignUrl"].(string))
	}
	e.Press(links[0], "sign")
	m = e.pull(id, false)
	if m["isCompleted"] != false || m["signedSignerCount"] != float64(1) || len(e.Hooks.All()) != 0 {
		t.Errorf("after one of two: %v %v, %d callbacks", m["isCompleted"], m["signedSignerCount"], len(e.Hooks.All()))
	}
	if m["finalSignedContract"] != "" || m["auditCertificateUrl"] != "" {
		t.Errorf("after one of two: final contract %q, audit certificate %q", m["finalSignedContract"], m["auditCertificateUrl"])
	}
	_, _, afterFirst := e.Get(signer0(m)["signerSignedContract"].(string))
	e.wantSignedBy(afterFirst, "Asha Verma")
	e.Press(links[1], "sign")
	m = e.pull(id, false)
	if m["isCompleted"] != true || m["signedSignerCount"] != float64(2) || len(e.Hooks.All()) != 1 {
		t.Errorf("after both: %v %v", m["isCompleted"], m["signedSignerCount"])
	}
	_, _, final := e.Get(m["finalSignedContract"].(string))
	e.wantSignedBy(final, "Asha Verma", "Ravi Kumar")
	if !bytes.HasPrefix(final, afterFirst) {
		t.Error("the second signer did not sign the file the first signed (incremental update)")
	}
	last := m["signerdetail"].([]any)[1].(map[string]any)
	if _, _, own := e.Get(last["signerSignedContract"].(string)); !bytes.Equal(own, final) {
		t.Error("the second signer's signed contract is not the final one")
	}
	statuses := []string{}
	for _, s := range m["signerdetail"].([]any) {
		statuses = append(statuses, s.(map[string]any)["status"].(string))
	}
	if !slices.Equal(statuses, []string{"SIGNED", "SIGNED"}) {
		t.Errorf("signer statuses %v", statuses)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{{}, {BaseURL: "http://x"}, {BaseURL: "ftp://x", Token: "t"}, {BaseURL: "/relative", Token: "t"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// TestNewerSpellings: pullData takes filesInBase64 as base64EncodedOutput,
// and the signer callback's secret may come as
// signerCallbackUrlAuthorizationHeader.
func TestNewerSpellings(t *testing.T) {
	e := newEnv(t)
	b := e.twoSignerBody()
	b["signerCallbackUrl"] = e.Srv.URL + "/callbacks/signzy"
	b["signerCallbackUrlAuthorizationHeader"] = "signer-secret"
	_, m := e.post("/api/v3/contract/initiate", testToken, b)
	id := m["contractId"].(string)
	e.Press(m["signerdetail"].([]any)[0].(map[string]any)["esignUrl"].(string), "sign")
	simtest.WaitFor(t, "the signer callback", func() bool { return len(e.Hooks.All()) == 1 })
	if got := e.Hooks.All()[0].Header.Get("Authorization"); got != "signer-secret" {
		t.Errorf("signer callback with Authorization %q", got)
	}
	e.Press(m["signerdetail"].([]any)[1].(map[string]any)["esignUrl"].(string), "sign")
	status, v := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id, "filesInBase64": true})
	if status != http.StatusOK {
		t.Fatalf("pullData with filesInBase64: %d %v", status, v)
	}
	doc, err := base64.StdEncoding.DecodeString(v["finalSignedContract"].(string))
	if err != nil || !bytes.HasPrefix(doc, []byte("%PDF-")) || simkit.SHA256Hex(doc) != v["finalSignedContractHash"] {
		t.Errorf("filesInBase64 did not give the signed PDF in base64 (err %v)", err)
	}
	if status, v := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id, "filesInBase64": "yes"}); status != http.StatusBadRequest {
		t.Errorf("filesInBase64 not a boolean: %d %v", status, v)
	}
}
