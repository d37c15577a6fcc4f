package providertest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/signet-dev/signet/internal/signing"
)

// Schema is a provider's signer-details schema, compiled the way
// Signet's registry compiles it.
type Schema struct {
	t *testing.T
	s *jsonschema.Schema
}

// CompileSchema compiles raw, a JSON Schema (draft 2020-12), failing the
// test if it does not compile.
func CompileSchema(t *testing.T, raw []byte) *Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("signet:///signer-details.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("signet:///signer-details.json")
	if err != nil {
		t.Fatal(err)
	}
	return &Schema{t: t, s: s}
}

// Validate checks instance, a JSON text, against the schema.
func (s *Schema) Validate(instance string) error {
	s.t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(instance)))
	if err != nil {
		s.t.Fatal(err)
	}
	return s.s.Validate(v)
}

// SchemaCase is what a provider's signer-details schema must be like.
type SchemaCase struct {
	// Base is what each property's example is tried next to: the
	// required fields.
	Base map[string]any
	// Properties must all be there.
	Properties []string
	// Good instances the schema takes, Bad ones it refuses.
	Good, Bad []string
	// Closed says the schema refuses properties it does not name (a
	// provider that keeps nothing of the client's, such as local).
	Closed bool
}

// CheckSignerSchema checks the signer-details schema of info: draft
// 2020-12, extra properties allowed (clients keep their own data there)
// unless c is Closed,
// info's required fields required, every property with an example that
// is valid next to c.Base and all of them together, c's properties there,
// c's good and bad instances. It returns the examples together.
func CheckSignerSchema(t *testing.T, info signing.ProviderInfo, c SchemaCase) json.RawMessage {
	t.Helper()
	var doc struct {
		Schema     string                     `json:"$schema"`
		Required   []string                   `json:"required"`
		Additional *bool                      `json:"additionalProperties"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(info.SignerDetailsSchema, &doc); err != nil {
		t.Fatal(err)
	}
	open := doc.Additional == nil || *doc.Additional
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || open == c.Closed || !slices.Equal(doc.Required, info.RequiredSignerFields) {
		t.Errorf("schema head: %+v", doc)
	}
	schema := CompileSchema(t, info.SignerDetailsSchema)
	all := map[string]any{}
	for name, raw := range doc.Properties {
		var p struct {
			Examples []any `json:"examples"`
		}
		if err := json.Unmarshal(raw, &p); err != nil || len(p.Examples) == 0 {
			t.Errorf("property %s has no examples", name)
			continue
		}
		all[name] = p.Examples[0]
		one := map[string]any{name: p.Examples[0]}
		for k, v := range c.Base {
			if k != name {
				one[k] = v
			}
		}
		b, _ := json.Marshal(one)
		if err := schema.Validate(string(b)); err != nil {
			t.Errorf("example of %s is invalid: %v", name, err)
		}
	}
	for _, want := range c.Properties {
		if _, ok := all[want]; !ok {
			t.Errorf("property %s missing", want)
		}
	}
	every, _ := json.Marshal(all)
	if err := schema.Validate(string(every)); err != nil {
		t.Errorf("all examples together: %v", err)
	}
	for _, good := range c.Good {
		if err := schema.Validate(good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	for _, bad := range c.Bad {
		if schema.Validate(bad) == nil {
			t.Errorf("%s passed the schema", bad)
		}
	}
	return every
}

// CheckInfo checks that p describes itself as want, but for the signer
// details schema (CheckSignerSchema's), which it only requires, and that
// the description is a copy (CheckInfoIsACopy).
func CheckInfo(t *testing.T, p signing.Provider, want signing.ProviderInfo) {
	t.Helper()
	got := p.Info()
	if len(got.SignerDetailsSchema) == 0 {
		t.Error("Info has no signer details schema")
	}
	got.SignerDetailsSchema, want.SignerDetailsSchema = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Info:\n got %+v\nwant %+v", got, want)
	}
	CheckInfoIsACopy(t, p)
}

// CheckInfoIsACopy checks that changing the description Info returns
// does not change the provider's.
func CheckInfoIsACopy(t *testing.T, p signing.Provider) {
	t.Helper()
	info := p.Info()
	for _, s := range [][]string{info.Languages, info.RequiredSignerFields} {
		if len(s) > 0 {
			s[0] = "xx"
		}
	}
	if len(info.SigningOrders) > 0 {
		info.SigningOrders[0] = "xx"
	}
	info.SignerDetailsSchema[0] = 'x'
	again := p.Info()
	if slices.Contains(again.Languages, "xx") || slices.Contains(again.RequiredSignerFields, "xx") ||
		slices.Contains(again.SigningOrders, "xx") || again.SignerDetailsSchema[0] == 'x' {
		t.Error("Info shares its slices")
	}
}

// SchemaChoices returns the values a signer-details schema allows for
// property (its enum) and the one it defaults to.
func SchemaChoices(t *testing.T, info signing.ProviderInfo, property string) (enum []string, def string) {
	t.Helper()
	var schema struct {
		Properties map[string]struct {
			Enum    []string `json:"enum"`
			Default string   `json:"default"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(info.SignerDetailsSchema, &schema); err != nil {
		t.Fatal(err)
	}
	p := schema.Properties[property]
	return p.Enum, p.Default
}
