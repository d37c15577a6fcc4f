// Package apitest loads the OpenAPI document with kin-openapi, for tests
// that validate requests and responses against it. It is kept out of
// package api so that the binary and the Go client do not link the loader.
package apitest

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/signet-dev/signet/api"
)

// Load parses the document with kin-openapi, resolves its references and
// validates it (OpenAPI 3.1, so schemas are JSON Schema 2020-12).
//
// The document also gets validators for the "uuid" and "uri" string formats,
// which kin-openapi does not check on its own. They take effect only where
// the document's options are passed on: with openapi3filter, set
// Options.SchemaValidationOptions to doc.GetSchemaValidationOptions(); with
// Schema.VisitJSON, pass them along with openapi3.EnableJSONSchema2020().
//
// Every call returns a new document, which the caller may change.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.YAML())
	if err != nil {
		return nil, fmt.Errorf("apitest: load openapi.yaml: %w", err)
	}
	doc.SetStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	doc.SetStringFormatValidator("uri", openapi3.NewCallbackValidator(validateURI))
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apitest: openapi.yaml is invalid: %w", err)
	}
	return doc, nil
}

// validateURI accepts an absolute URI (RFC 3986: a scheme, then the rest).
func validateURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URI: %w", err)
	}
	if u.Scheme == "" {
		return errors.New("not an absolute URI: no scheme")
	}
	if u.Opaque == "" && u.Host == "" && u.Path == "" {
		return errors.New("not a URI: nothing after the scheme")
	}
	return nil
}
