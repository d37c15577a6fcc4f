package signzy

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T, raw []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("signet:///signzy.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("signet:///signzy.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, instance string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(instance)))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

func TestInfo(t *testing.T) {
	a := newTestAdapter(t)
	info := a.Info()
	if info.Name != "signzy" || info.DisplayName != "Signzy Contract360 (Aadhaar eSign)" {
		t.Errorf("info = %+v", info)
	}
	if !slices.Contains(info.Languages, "en") || !slices.Equal(info.RequiredSignerFields, []string{"name"}) {
		t.Errorf("languages %v, required %v", info.Languages, info.RequiredSignerFields)
	}
	info.Languages[0] = "xx" // callers may not change the adapter's copy
	if a.Info().Languages[0] == "xx" {
		t.Error("Info shares its slices")
	}

	var doc struct {
		Schema     string                     `json:"$schema"`
		Required   []string                   `json:"required"`
		Additional bool                       `json:"additionalProperties"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(info.SignerDetailsSchema, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || !doc.Additional || !slices.Equal(doc.Required, info.RequiredSignerFields) {
		t.Errorf("schema head: %+v", doc)
	}
	schema := compileSchema(t, info.SignerDetailsSchema)

	// Every property carries an example valid on its own and together.
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
		one, _ := json.Marshal(map[string]any{"name": "Asha Verma", name: p.Examples[0]})
		if err := validate(t, schema, string(one)); err != nil {
			t.Errorf("example of %s is invalid: %v", name, err)
		}
	}
	for _, want := range []string{"name", "email", "mobile", "gender", "yearOfBirth", "uidLastFourDigits", "signatureType"} {
		if _, ok := all[want]; !ok {
			t.Errorf("property %s missing", want)
		}
	}
	every, _ := json.Marshal(all)
	if err := validate(t, schema, string(every)); err != nil {
		t.Errorf("all examples together: %v", err)
	}

	for _, bad := range []string{
		`{}`, `{"name":""}`, `{"name":"A","email":"nope"}`, `{"name":"A","mobile":"12345"}`, `{"name":"A","mobile":"+919876543210"}`,
		`{"name":"A","gender":"other"}`, `{"name":"A","yearOfBirth":"90"}`, `{"name":"A","uidLastFourDigits":"12345"}`,
		`{"name":"A","signatureType":"PEN"}`,
	} {
		if validate(t, schema, bad) == nil {
			t.Errorf("%s passed the schema", bad)
		}
	}
	if err := validate(t, schema, `{"name":"A","customerRef":"x-1"}`); err != nil {
		t.Errorf("extra properties are refused: %v", err)
	}
}
