package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	yaml "github.com/oasdiff/yaml3"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/api/apitest"
)

// contractRoutes is CONTRACT.md §2, one row per method and path, with a
// concrete request path for the router test and what each route must carry.
var contractRoutes = []struct {
	method, path, example string
	public                bool // no API key / bearer (own or no auth)
	idempotent            bool // takes X-Idempotency-Key
	success               string
}{
	{"POST", "/signing", "/signing", false, true, "201"},
	{"GET", "/signing", "/signing", false, false, "200"},
	{"GET", "/signing/{signingSessionId}", "/signing/" + sampleID, false, false, "200"},
	{"DELETE", "/signing/{signingSessionId}", "/signing/" + sampleID, false, true, "200"},
	{"POST", "/signing/{signingSessionId}/refresh", "/signing/" + sampleID + "/refresh", false, true, "200"},
	{"GET", "/signing/{signingSessionId}/document", "/signing/" + sampleID + "/document", false, false, "200"},
	{"GET", "/signing/{signingSessionId}/events", "/signing/" + sampleID + "/events", false, false, "200"},
	{"GET", "/signing/{signingSessionId}/audit-certificate", "/signing/" + sampleID + "/audit-certificate", false, false, "200"},
	{"GET", "/signing/{signingSessionId}/verification", "/signing/" + sampleID + "/verification", false, false, "200"},
	{"GET", "/signing/providers", "/signing/providers", false, false, "200"},
	{"POST", "/webhooks", "/webhooks", false, true, "201"},
	{"GET", "/webhooks", "/webhooks", false, false, "200"},
	{"GET", "/webhooks/{id}", "/webhooks/we_1", false, false, "200"},
	{"DELETE", "/webhooks/{id}", "/webhooks/we_1", false, true, "204"},
	{"GET", "/webhooks/{id}/deliveries", "/webhooks/we_1/deliveries", false, false, "200"},
	{"POST", "/webhooks/{id}/deliveries/{deliveryId}/retry", "/webhooks/we_1/deliveries/7/retry", false, true, "202"},
	{"POST", "/callbacks/{provider}", "/callbacks/signzy", true, false, "200"},
	{"POST", "/auth/token", "/auth/token", false, false, "200"},
	{"POST", "/auth/refresh", "/auth/refresh", true, false, "200"},
	{"GET", "/auth/ping", "/auth/ping", false, false, "200"},
	{"GET", "/healthz", "/healthz", true, false, "200"},
	{"GET", "/readyz", "/readyz", true, false, "200"},
	{"GET", "/metrics", "/metrics", true, false, "200"},
	{"GET", "/openapi.json", "/openapi.json", true, false, "200"},
}

const sampleID = "f7d2295f-0dd4-4ebe-8ec5-de2d0f41be7e"

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := apitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestLoadValidates(t *testing.T) {
	doc := load(t)
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	// Load validates already; validate again the way a caller would, with
	// every finding reported.
	if err := doc.Validate(context.Background(), openapi3.EnableMultiError()); err != nil {
		t.Fatal(err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	j, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(j) {
		t.Fatal("JSON() is not valid JSON")
	}
	again, _ := api.JSON()
	if !bytes.Equal(j, again) {
		t.Fatal("JSON() differs between calls")
	}

	// The same data as the YAML.
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(api.YAML(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	normal, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(normal, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		t.Fatal("JSON() does not hold the same data as api.YAML()")
	}

	// The same document for kin-openapi.
	loader := openapi3.NewLoader()
	docJSON, err := loader.LoadFromData(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := docJSON.Validate(loader.Context); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(load(t))
	b, _ := json.Marshal(docJSON)
	if !bytes.Equal(a, b) {
		t.Fatal("the JSON document loads differently from the YAML one")
	}

	// Keys keep the YAML's order.
	if !bytes.HasPrefix(j, []byte("{\n  \"openapi\": \"3.1.0\",\n  \"info\": {")) {
		t.Fatalf("JSON() starts with %q", j[:40])
	}
}

// Schema-level `examples` (OpenAPI 3.1) are not checked by doc.Validate,
// unlike media-type examples; check every one against its schema here.
func TestSchemaExamples(t *testing.T) {
	doc := load(t)
	opts := append(doc.GetSchemaValidationOptions(), openapi3.EnableJSONSchema2020())
	n := 0
	err := doc.WalkSchemas(func(ptr string, ref *openapi3.SchemaRef) error {
		for i, ex := range ref.Value.Examples {
			n++
			if err := ref.Value.VisitJSON(ex, opts...); err != nil {
				t.Errorf("%s examples[%d]: %v", ptr, i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("only %d schema examples checked", n)
	}
}

func TestYAMLIsACopy(t *testing.T) {
	y := api.YAML()
	y[0] = 'X'
	if api.YAML()[0] == 'X' {
		t.Fatal("YAML() hands out the embedded bytes")
	}
}

func TestContractRoutes(t *testing.T) {
	doc := load(t)
	want := map[string]bool{}
	for _, r := range contractRoutes {
		want[r.method+" "+r.path] = true
		item := doc.Paths.Value(r.path)
		if item == nil {
			t.Errorf("path %s missing", r.path)
			continue
		}
		op := item.GetOperation(r.method)
		if op == nil {
			t.Errorf("%s %s missing", r.method, r.path)
			continue
		}
		if op.OperationID == "" {
			t.Errorf("%s %s has no operationId", r.method, r.path)
		}
		if op.Responses.Value(r.success) == nil {
			t.Errorf("%s %s: no %s response", r.method, r.path, r.success)
		}
		if op.Responses.Default() == nil {
			t.Errorf("%s %s: no default (problem) response", r.method, r.path)
		}

		// Security: public routes say so; the others take the document's
		// default (API key or bearer), or the API key alone (/auth/token).
		switch {
		case r.public:
			if op.Security == nil || len(*op.Security) != 0 {
				t.Errorf("%s %s should be public (security: [])", r.method, r.path)
			}
		case op.Security == nil:
			if !reflect.DeepEqual(doc.Security, openapi3.SecurityRequirements{{"apiKey": {}}, {"bearer": {}}}) {
				t.Errorf("document security = %v", doc.Security)
			}
		default:
			if r.path != "/auth/token" {
				t.Errorf("%s %s overrides security", r.method, r.path)
			}
		}
		if !r.public {
			if op.Responses.Value("401") == nil {
				t.Errorf("%s %s: no 401", r.method, r.path)
			}
			if res := op.Responses.Value("429"); res == nil || res.Value.Headers["Retry-After"] == nil {
				t.Errorf("%s %s: no 429 with Retry-After", r.method, r.path)
			}
		}

		hasKey := false
		for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
			if p.Value.In == openapi3.ParameterInHeader && p.Value.Name == "X-Idempotency-Key" {
				hasKey = true
			}
		}
		if hasKey != r.idempotent {
			t.Errorf("%s %s: X-Idempotency-Key present = %v, want %v", r.method, r.path, hasKey, r.idempotent)
		}
		if r.idempotent {
			if res := op.Responses.Value(r.success); res == nil || res.Value.Headers["Idempotent-Replayed"] == nil {
				t.Errorf("%s %s: success response lacks Idempotent-Replayed", r.method, r.path)
			}
			if op.Responses.Value("409") == nil || op.Responses.Value("400") == nil {
				t.Errorf("%s %s: idempotent route lacks 400/409", r.method, r.path)
			}
		}

		// Every error answer is a problem document.
		for code, res := range op.Responses.Map() {
			if code != "default" && code[0] != '4' && code[0] != '5' {
				continue
			}
			ct := slices.Collect(func(yield func(string) bool) {
				for k := range res.Value.Content {
					if !yield(k) {
						return
					}
				}
			})
			if len(ct) != 1 || ct[0] != "application/problem+json" {
				t.Errorf("%s %s %s: content %v, want application/problem+json only", r.method, r.path, code, ct)
			}
		}
	}

	// Nothing beyond the contract.
	var extra []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !want[method+" "+path] {
				extra = append(extra, method+" "+path)
			}
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("operations not in CONTRACT.md §2 and §7: %v", extra)
	}

	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s %s", op.OperationID, prev, method, path)
			}
			ids[op.OperationID] = method + " " + path
		}
	}
}

func TestWebhooksSection(t *testing.T) {
	doc := load(t)
	for _, typ := range []string{"signing.created", "signing.in_progress", "signing.completed", "signing.failed", "signing.expired", "signing.cancelled"} {
		item := doc.Webhooks[typ]
		if item == nil || item.Post == nil {
			t.Errorf("webhook %s missing", typ)
			continue
		}
		headers := map[string]bool{}
		for _, p := range item.Post.Parameters {
			if p.Value.In == openapi3.ParameterInHeader && p.Value.Required {
				headers[p.Value.Name] = true
			}
		}
		for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			if !headers[h] {
				t.Errorf("webhook %s: no required header %s", typ, h)
			}
		}
		// Signet signs webhooks; it sends no API key (ogen generated a
		// webhook client that needed one).
		if item.Post.Security == nil || len(*item.Post.Security) != 0 {
			t.Errorf("webhook %s: want security: []", typ)
		}
	}
	// POST /webhooks describes the same delivery as a callback: it keeps
	// the components webhooks use for generators that read only paths
	// (oapi-codegen prunes the rest and then refers to them).
	cb := doc.Paths.Value("/webhooks").Post.Callbacks["event"]
	if cb == nil || cb.Value.Value("{$request.body#/url}") == nil || cb.Value.Value("{$request.body#/url}").Post.RequestBody.Ref != "#/components/requestBodies/WebhookEvent" {
		t.Error("POST /webhooks has no callback that sends a WebhookEvent to the endpoint's url")
	}
	for name, p := range doc.Components.Parameters {
		if strings.HasPrefix(p.Value.Name, "webhook-") {
			t.Errorf("component parameter %s: a parameter used only by webhooks breaks oapi-codegen; write it in place", name)
		}
	}
	schema := doc.Components.Schemas["WebhookEvent"].Value
	opts := append(doc.GetSchemaValidationOptions(), openapi3.EnableJSONSchema2020())
	good := map[string]any{"type": "signing.completed", "timestamp": "2024-01-15T14:30:00Z", "data": mustJSON(t, completedSession)}
	if err := schema.VisitJSON(good, opts...); err != nil {
		t.Errorf("valid event rejected: %v", err)
	}
	bad := map[string]any{"type": "signing.signed", "timestamp": "2024-01-15T14:30:00Z", "data": mustJSON(t, completedSession)}
	if err := schema.VisitJSON(bad, opts...); err == nil {
		t.Error("event with unknown type accepted")
	}
}

const completedSession = `{
  "signingSessionId": "f7d2295f-0dd4-4ebe-8ec5-de2d0f41be7e",
  "orderId": "44567801-a504-4f09-8089-31ea78bc239b",
  "status": "COMPLETED",
  "signerDetails": {"name": "John Doe", "email": "john.doe@example.com", "identity": "199001011234"},
  "createdAt": "2024-01-15T10:00:00Z",
  "updatedAt": "2024-01-15T14:30:00.123456Z",
  "provider": "bankid",
  "language": "en",
  "redirectUrl": "https://sign.provider.com/session/abc123",
  "returnUrl": "https://yourapp.com/orders/123/complete",
  "documentUrl": "http://127.0.0.1:8080/signing/f7d2295f-0dd4-4ebe-8ec5-de2d0f41be7e/document",
  "completedAt": "2024-01-15T14:30:00Z",
  "expiresAt": "2024-01-15T23:59:59Z",
  "metadata": {"contract_type": "postpaid_subscription"}
}`

const pendingSession = `{
  "signingSessionId": "f7d2295f-0dd4-4ebe-8ec5-de2d0f41be7e",
  "orderId": "o-1",
  "status": "PENDING",
  "signerDetails": {"name": "John Doe"},
  "createdAt": "2024-01-15T10:00:00Z",
  "updatedAt": "2024-01-15T10:00:00Z",
  "provider": "signzy",
  "language": "en",
  "expiresAt": "2024-01-16T10:00:00Z"
}`

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// edit returns the session JSON s with fields set (nil deletes).
func edit(t *testing.T, s string, fields map[string]any) string {
	t.Helper()
	m := mustJSON(t, s).(map[string]any)
	for k, v := range fields {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// validateResponse checks one response against the document, the way a
// server-side contract test would: gorillamux router, openapi3filter, and
// the document's format validators.
func validateResponse(t *testing.T, doc *openapi3.T, router routers.Router, method, path string, status int, contentType, body string) error {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus:   true,
		SchemaValidationOptions: doc.GetSchemaValidationOptions(),
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 http.Header{"Content-Type": {contentType}},
		Options:                opts,
	}
	in.SetBodyBytes([]byte(body))
	return openapi3filter.ValidateResponse(context.Background(), in)
}

func TestRouter(t *testing.T) {
	doc := load(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range contractRoutes {
		req := httptest.NewRequest(r.method, "http://127.0.0.1:43210"+r.example, nil)
		route, _, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: %v", r.method, r.example, err)
			continue
		}
		if route.Path != r.path {
			t.Errorf("%s %s routed to %s, want %s", r.method, r.example, route.Path, r.path)
		}
	}
}

func TestSigningSessionSchema(t *testing.T) {
	doc := load(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	const path = "/signing/" + sampleID
	cases := []struct {
		name string
		body string
		ok   bool
	}{
		{"completed", completedSession, true},
		{"pending", pendingSession, true},
		{"failed", edit(t, pendingSession, map[string]any{"status": "FAILED", "failureReason": "declined"}), true},
		{"cancelled", edit(t, pendingSession, map[string]any{"status": "CANCELLED"}), true},
		{"expired with redirect", edit(t, pendingSession, map[string]any{"status": "EXPIRED", "redirectUrl": "https://x.example/s/1"}), true},
		{"completedAt null", edit(t, completedSession, map[string]any{"completedAt": json.RawMessage("null")}), false},
		{"metadata null", edit(t, pendingSession, map[string]any{"metadata": json.RawMessage("null")}), false},
		{"unknown status", edit(t, pendingSession, map[string]any{"status": "SIGNED"}), false},
		{"unknown field", edit(t, pendingSession, map[string]any{"tenantId": "t1"}), false},
		{"missing updatedAt", edit(t, pendingSession, map[string]any{"updatedAt": nil}), false},
		{"missing expiresAt", edit(t, pendingSession, map[string]any{"expiresAt": nil}), false},
		{"completed without completedAt", edit(t, completedSession, map[string]any{"completedAt": nil}), false},
		{"completed without documentUrl", edit(t, completedSession, map[string]any{"documentUrl": nil}), false},
		{"pending with completedAt", edit(t, pendingSession, map[string]any{"completedAt": "2024-01-15T14:30:00Z"}), false},
		{"pending with documentUrl", edit(t, pendingSession, map[string]any{"documentUrl": "https://x.example/d"}), false},
		{"failed without reason", edit(t, pendingSession, map[string]any{"status": "FAILED"}), false},
		{"pending with failureReason", edit(t, pendingSession, map[string]any{"failureReason": "x"}), false},
		{"bad createdAt", edit(t, pendingSession, map[string]any{"createdAt": "2024-01-15 10:00:00"}), false},
		{"id not a uuid", edit(t, pendingSession, map[string]any{"signingSessionId": "abc"}), false},
		{"relative redirectUrl", edit(t, pendingSession, map[string]any{"redirectUrl": "/sign/1"}), false},
		{"empty orderId", edit(t, pendingSession, map[string]any{"orderId": ""}), false},
		{"metadata value not a string", edit(t, pendingSession, map[string]any{"metadata": map[string]any{"a": 1}}), false},
		{"metadata key too long", edit(t, pendingSession, map[string]any{"metadata": map[string]any{strings.Repeat("k", 41): "v"}}), false},
		{"metadata value too long", edit(t, pendingSession, map[string]any{"metadata": map[string]any{"k": strings.Repeat("v", 501)}}), false},
		{"signerDetails not an object", edit(t, pendingSession, map[string]any{"signerDetails": "John"}), false},
	}
	for _, c := range cases {
		err := validateResponse(t, doc, router, "GET", path, 200, "application/json", c.body)
		if c.ok && err != nil {
			t.Errorf("%s: rejected: %v", c.name, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}

	// The same schema through VisitJSON, for callers without a router.
	schema := doc.Components.Schemas["SigningSession"].Value
	opts := append(doc.GetSchemaValidationOptions(), openapi3.EnableJSONSchema2020())
	if err := schema.VisitJSON(mustJSON(t, completedSession), opts...); err != nil {
		t.Errorf("VisitJSON rejected a valid session: %v", err)
	}
	if err := schema.VisitJSON(mustJSON(t, edit(t, completedSession, map[string]any{"completedAt": json.RawMessage("null")})), opts...); err == nil {
		t.Error("VisitJSON accepted completedAt: null")
	}
}

func TestOtherResponses(t *testing.T) {
	doc := load(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	problem := `{"type":"about:blank","title":"Not Found","status":404,"detail":"no such session"}`
	validation := `{"type":"about:blank","title":"Bad Request","status":400,"detail":"invalid","errors":[{"field":"signerDetails.identity","message":"must be 12 digits"}]}`
	cases := []struct {
		name              string
		method, path      string
		status            int
		contentType, body string
		ok                bool
	}{
		{"problem", "GET", "/signing/" + sampleID, 404, "application/problem+json", problem, true},
		{"problem as json", "GET", "/signing/" + sampleID, 404, "application/json", problem, false},
		{"problem without detail", "GET", "/signing/" + sampleID, 404, "application/problem+json", `{"type":"about:blank","title":"Not Found","status":404}`, false},
		{"validation problem", "POST", "/signing", 400, "application/problem+json", validation, true},
		{"undocumented status falls to default", "GET", "/signing", 503, "application/problem+json", `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"db down"}`, true},
		{"list", "GET", "/signing", 200, "application/json", `{"data":[` + pendingSession + `],"nextCursor":"abc"}`, true},
		{"last page", "GET", "/signing", 200, "application/json", `{"data":[]}`, true},
		{"nextCursor null", "GET", "/signing", 200, "application/json", `{"data":[],"nextCursor":null}`, false},
		{"pdf", "GET", "/signing/" + sampleID + "/document", 200, "application/pdf", "%PDF-1.7\n", true},
		{"pdf range", "GET", "/signing/" + sampleID + "/document", 206, "application/pdf", "%PDF", true},
		{"pdf not modified", "GET", "/signing/" + sampleID + "/document", 304, "", "", true},
		{"pdf range past the end", "GET", "/signing/" + sampleID + "/document", 416, "application/problem+json",
			`{"type":"urn:signet:problem:range-not-satisfiable","title":"Range not satisfiable","status":416,"detail":"the document has 9 bytes; the range starts past its end"}`, true},
		{"pdf range past the end without a problem", "GET", "/signing/" + sampleID + "/document", 416, "application/pdf", "", false},
		{"events", "GET", "/signing/" + sampleID + "/events", 200, "application/json",
			`{"data":[{"id":1,"type":"signing.created","status":"PENDING","createdAt":"2024-01-15T10:00:00Z"},{"id":2,"type":"provider.accepted","data":{"ref":"x"},"createdAt":"2024-01-15T10:00:01Z"}]}`, true},
		{"providers", "GET", "/signing/providers", 200, "application/json",
			`{"providers":[{"name":"bankid","displayName":"BankID","languages":["en","sv"],"requiredSignerFields":["identity"],"signerDetailsSchema":{"type":"object"},"signingOrders":["sequential"],"maxSigners":1}]}`, true},
		{"webhook created", "POST", "/webhooks", 201, "application/json",
			`{"id":"we_1","url":"https://x.example/hook","events":["signing.completed"],"createdAt":"2024-01-15T10:00:00Z","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, true},
		{"webhook created without secret", "POST", "/webhooks", 201, "application/json",
			`{"id":"we_1","url":"https://x.example/hook","events":["signing.completed"],"createdAt":"2024-01-15T10:00:00Z"}`, false},
		{"webhook read with secret", "GET", "/webhooks/we_1", 200, "application/json",
			`{"id":"we_1","url":"https://x.example/hook","events":["signing.completed"],"createdAt":"2024-01-15T10:00:00Z","secret":"whsec_abc"}`, false},
		{"webhooks", "GET", "/webhooks", 200, "application/json",
			`{"data":[{"id":"we_1","url":"https://x.example/hook","events":["signing.completed","signing.failed"],"createdAt":"2024-01-15T10:00:00Z"}]}`, true},
		{"deliveries", "GET", "/webhooks/we_1/deliveries", 200, "application/json",
			`{"data":[{"id":"2","webhookId":"msg_1","eventType":"signing.completed","attempt":2,"attemptedAt":"2024-01-15T10:00:05Z","succeeded":true,"responseStatus":200,"durationMs":12},` +
				`{"id":"1","webhookId":"msg_1","eventType":"signing.completed","attempt":1,"attemptedAt":"2024-01-15T10:00:00Z","succeeded":false,"error":"timeout","durationMs":10000}]}`, true},
		{"delivery with null status", "GET", "/webhooks/we_1/deliveries", 200, "application/json",
			`{"data":[{"id":"1","webhookId":"msg_1","eventType":"signing.completed","attempt":1,"attemptedAt":"2024-01-15T10:00:00Z","succeeded":false,"responseStatus":null,"error":"timeout","durationMs":10000}]}`, false},
		{"retry", "POST", "/webhooks/we_1/deliveries/7/retry", 202, "", "", true},
		{"token", "POST", "/auth/token", 200, "application/json", `{"accessToken":"a","refreshToken":"r","tokenType":"Bearer","expiresIn":900}`, true},
		{"token type", "POST", "/auth/token", 200, "application/json", `{"accessToken":"a","refreshToken":"r","tokenType":"bearer","expiresIn":900}`, false},
		{"ping", "GET", "/auth/ping", 200, "application/json", `{"tenant":"default","tenantId":"t_1"}`, true},
		{"healthz", "GET", "/healthz", 200, "application/json", `{"status":"ok"}`, true},
		{"readyz down", "GET", "/readyz", 503, "application/problem+json", `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"database: connection refused"}`, true},
		{"metrics", "GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8", "# HELP x y\nx 1\n", true},
		{"callback", "POST", "/callbacks/signzy", 200, "application/json", `{}`, true},
	}
	for _, c := range cases {
		err := validateResponse(t, doc, router, c.method, c.path, c.status, c.contentType, c.body)
		if c.ok && err != nil {
			t.Errorf("%s: rejected: %v", c.name, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	doc := load(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/signing", nil)
	route, params, _ := router.FindRoute(req)
	body := `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"rate limit"}`
	for _, c := range []struct {
		value string
		ok    bool
	}{{"1", true}, {"soon", false}} {
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 429,
			Header:                 http.Header{"Content-Type": {"application/problem+json"}, "Retry-After": {c.value}},
		}
		in.SetBodyBytes([]byte(body))
		err := openapi3filter.ValidateResponse(context.Background(), in)
		if (err == nil) != c.ok {
			t.Errorf("Retry-After %q: err = %v", c.value, err)
		}
	}
}

func TestCreateSigningRequestSchema(t *testing.T) {
	doc := load(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	valid := `{"orderId":"o-1","signerDetails":{"name":"John Doe","identity":"199001011234"},` +
		`"document":{"filename":"c.pdf","content":"JVBERi0xLjcK"},"provider":"bankid","language":"en",` +
		`"returnUrl":"https://yourapp.com/done","expiresAt":"2024-01-15T23:59:59.5+01:00","metadata":{"k":"v"}}`
	many := map[string]any{}
	for i := range 51 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	cases := []struct {
		name, body, key string
		ok              bool
	}{
		{"valid", valid, "", true},
		{"valid with key", valid, "5f0c2d1e-8a47-4f5e-9a51-3c1b2a9d7e60", true},
		{"key too long", valid, strings.Repeat("k", 257), false},
		{"no document", edit(t, valid, map[string]any{"document": nil}), "", false},
		{"signers instead", edit(t, valid, map[string]any{"signerDetails": nil, "signingOrder": "parallel",
			"signers": []any{map[string]any{"signerDetails": map[string]any{"name": "A"}}, map[string]any{"signerDetails": map[string]any{"name": "B"}}}}), "", true},
		{"eleven signers", edit(t, valid, map[string]any{"signerDetails": nil, "signers": elevenSigners()}), "", false},
		{"bad signing order", edit(t, valid, map[string]any{"signingOrder": "random"}), "", false},
		{"document without content", edit(t, valid, map[string]any{"document": map[string]any{"filename": "c.pdf"}}), "", false},
		{"orderId too long", edit(t, valid, map[string]any{"orderId": strings.Repeat("o", 256)}), "", false},
		{"expiresAt not a date-time", edit(t, valid, map[string]any{"expiresAt": "tomorrow"}), "", false},
		{"returnUrl relative", edit(t, valid, map[string]any{"returnUrl": "done"}), "", false},
		{"51 metadata keys", edit(t, valid, map[string]any{"metadata": many}), "", false},
	}
	for _, c := range cases {
		req := httptest.NewRequest("POST", "/signing", strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", "sk_test")
		if c.key != "" {
			req.Header.Set("X-Idempotency-Key", c.key)
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{
				AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
				SchemaValidationOptions: doc.GetSchemaValidationOptions(),
			},
		})
		if c.ok && err != nil {
			t.Errorf("%s: rejected: %v", c.name, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func elevenSigners() []any {
	out := make([]any, 11)
	for i := range out {
		out[i] = map[string]any{"signerDetails": map[string]any{"name": "S" + strconv.Itoa(i)}}
	}
	return out
}
