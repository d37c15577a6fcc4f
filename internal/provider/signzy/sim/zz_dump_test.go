package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDumpRecorded(t *testing.T) {
	dir := os.Getenv("DUMP_DIR")
	if dir == "" {
		t.Skip()
	}
	e := newEnv(t)
	raw := func(path string, body any) []byte {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/sandbox/signzy"+path, bytes.NewReader(b))
		req.Header.Set("Authorization", testToken)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return out
	}
	write := func(name string, b []byte) {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(name, err)
		}
		out, _ := json.MarshalIndent(v, "", "  ")
		s := strings.ReplaceAll(string(out), e.srv.URL, "http://127.0.0.1:8080")
		os.WriteFile(filepath.Join(dir, name), []byte(s+"\n"), 0o644)
	}
	b := e.initiateBody()
	b["callbackUrl"] = e.srv.URL + "/callbacks/signzy"
	init := raw("/api/v3/contract/initiate", b)
	// shorten the pdf in the initiate request? response has only URL.
	write("initiate_response.json", init)
	var m map[string]any
	json.Unmarshal(init, &m)
	id := m["contractId"].(string)
	link := signer0(m)["esignUrl"].(string)
	write("pulldata_pending.json", raw("/api/v3/contract/pullData", map[string]any{"contractId": id}))
	e.open(link)
	write("pulldata_in_progress.json", raw("/api/v3/contract/pullData", map[string]any{"contractId": id}))
	e.clock.Advance(90e9)
	e.submit(link, "sign")
	write("pulldata_completed.json", raw("/api/v3/contract/pullData", map[string]any{"contractId": id}))
	cb := e.cb.all()[0].body
	cbb, _ := json.Marshal(cb)
	write("callback_completed.json", cbb)

	id2, link2 := e.initiate()
	e.open(link2)
	e.submit(link2, "decline")
	write("pulldata_declined.json", raw("/api/v3/contract/pullData", map[string]any{"contractId": id2}))
	write("callback_declined.json", mustJSON(e.cb.all()[1].body))

	id3, _ := e.initiate()
	e.sim.FailAadhaar(id3, "OTP validation failed", true)
	e.sim.FailAadhaar(id3, "Aadhaar authentication failed (K-100)", false)
	write("pulldata_aadhaar_failed.json", raw("/api/v3/contract/pullData", map[string]any{"contractId": id3}))
	id4, _ := e.initiate()
	e.sim.CancelContract(id4)
	write("pulldata_cancelled.json", raw("/api/v3/contract/pullData", map[string]any{"contractId": id4}))

	b["callbackUrl"] = ""
	write("error_400.json", raw("/api/v3/contract/initiate", b))
	write("error_404.json", raw("/api/v3/contract/pullData", map[string]any{"contractId": "00000000-0000-0000-0000-000000000000"}))
	write("error_401.json", func() []byte {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/sandbox/signzy/api/v3/contract/pullData", strings.NewReader(`{"contractId":"x"}`))
		resp, _ := e.client.Do(req)
		defer resp.Body.Close()
		o, _ := io.ReadAll(resp.Body)
		return o
	}())
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }
