package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/signet-dev/signet/api/apitest"
)

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

// specValidator is the test client's transport: every API response the
// end-to-end tests receive is validated against api/openapi.yaml, so the
// spec cannot drift from what the server really answers.
type specValidator struct {
	t    *testing.T
	next http.RoundTripper
}

func newSpecValidator(t *testing.T, next http.RoundTripper) http.RoundTripper {
	specOnce.Do(func() {
		if specDoc, specErr = apitest.Load(); specErr == nil {
			specRouter, specErr = gorillamux.NewRouter(specDoc)
		}
	})
	if specErr != nil {
		t.Fatalf("loading the OpenAPI document: %v", specErr)
	}
	return &specValidator{t: t, next: next}
}

func (v *specValidator) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil || isPage(req.URL.Path) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	v.validate(req, resp, body)
	return resp, nil
}

func (v *specValidator) validate(req *http.Request, resp *http.Response, body []byte) {
	probe := httptest.NewRequest(req.Method, req.URL.RequestURI(), nil)
	route, params, err := specRouter.FindRoute(probe)
	if err != nil {
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			v.t.Errorf("%s %s is not in the OpenAPI document (answered %d): %v", req.Method, req.URL.Path, resp.StatusCode, err)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, SchemaValidationOptions: specDoc.GetSchemaValidationOptions()}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		v.t.Errorf("%s %s answered %d, which the OpenAPI document does not allow: %v\nbody: %.500s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

// isPage tells Signet's HTML pages (and the sandboxes) from the JSON API
// the spec describes.
func isPage(path string) bool {
	for _, prefix := range []string{"/sandbox/", "/s/", "/bankid/", "/console/", "/assets/", "/signing-finished"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}
