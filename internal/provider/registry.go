// Package provider holds the registry of configured signing providers and
// validates signer details against each provider's JSON Schema.
package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/signet-dev/signet/internal/signing"
)

// Registry is the set of configured providers, in a stable order.
type Registry struct {
	byName  map[string]signing.Provider
	order   []string
	schemas map[string]*jsonschema.Schema
}

var _ signing.Providers = (*Registry)(nil)

// NewRegistry compiles each provider's signer-details schema and checks
// that every property's examples are valid against it.
func NewRegistry(providers ...signing.Provider) (*Registry, error) {
	r := &Registry{byName: map[string]signing.Provider{}, schemas: map[string]*jsonschema.Schema{}}
	for _, p := range providers {
		info := p.Info()
		if info.Name == "" {
			return nil, errors.New("provider: a provider has no name")
		}
		if _, dup := r.byName[info.Name]; dup {
			return nil, fmt.Errorf("provider: %q registered twice", info.Name)
		}
		sch, err := compile(info)
		if err != nil {
			return nil, err
		}
		r.byName[info.Name] = p
		r.order = append(r.order, info.Name)
		r.schemas[info.Name] = sch
	}
	return r, nil
}

func compile(info signing.ProviderInfo) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(info.SignerDetailsSchema))
	if err != nil {
		return nil, fmt.Errorf("provider %s: signer details schema: %w", info.Name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	url := "signet:///providers/" + info.Name + "/signer-details.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("provider %s: signer details schema: %w", info.Name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("provider %s: signer details schema: %w", info.Name, err)
	}
	return sch, nil
}

// Provider returns the named provider.
func (r *Registry) Provider(name string) (signing.Provider, bool) {
	p, ok := r.byName[name]
	return p, ok
}

// All returns the providers in registration order.
func (r *Registry) All() []signing.Provider {
	all := make([]signing.Provider, len(r.order))
	for i, n := range r.order {
		all[i] = r.byName[n]
	}
	return all
}

// Names returns the provider names in registration order.
func (r *Registry) Names() []string { return slices.Clone(r.order) }

var printer = message.NewPrinter(language.English)

// ValidateSignerDetails checks details against the provider's schema and
// names each offending field as "signerDetails.<path>".
func (r *Registry) ValidateSignerDetails(provider string, details json.RawMessage) []signing.FieldError {
	sch, ok := r.schemas[provider]
	if !ok {
		return []signing.FieldError{{Field: "provider", Message: "unknown provider " + provider}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(details))
	if err != nil {
		return []signing.FieldError{{Field: "signerDetails", Message: "is not valid JSON"}}
	}
	if _, isObject := inst.(map[string]any); !isObject {
		return []signing.FieldError{{Field: "signerDetails", Message: "must be a JSON object"}}
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if err == nil {
		return r.checkMore(provider, details)
	}
	if !errors.As(err, &ve) {
		return []signing.FieldError{{Field: "signerDetails", Message: err.Error()}}
	}
	var out []signing.FieldError
	collect(ve, &out)
	if len(out) == 0 {
		out = append(out, signing.FieldError{Field: "signerDetails", Message: ve.ErrorKind.LocalizedString(printer)})
	}
	return out
}

// checkMore runs a provider's own checks on details the schema accepted.
func (r *Registry) checkMore(provider string, details json.RawMessage) []signing.FieldError {
	if c, ok := r.byName[provider].(signing.SignerChecker); ok {
		return c.CheckSignerDetails(details)
	}
	return nil
}

// collect flattens the error tree into one FieldError per leaf.
func collect(e *jsonschema.ValidationError, out *[]signing.FieldError) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	path := append([]string{"signerDetails"}, e.InstanceLocation...)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, signing.FieldError{Field: strings.Join(append(path, m), "."), Message: "is required"})
		}
		return
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, signing.FieldError{Field: strings.Join(append(path, p), "."), Message: "is not allowed"})
		}
		return
	}
	*out = append(*out, signing.FieldError{Field: strings.Join(path, "."), Message: e.ErrorKind.LocalizedString(printer)})
}
