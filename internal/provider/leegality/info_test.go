package leegality

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
	if err := c.AddResource("signet:///leegality.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("signet:///leegality.json")
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
	if info.Name != "leegality" || info.DisplayName != "Leegality (Aadhaar eSign)" {
		t.Errorf("info = %+v", info)
	}
	if !slices.Equal(info.Languages, []string{"en", "hi"}) || !slices.Equal(info.RequiredSignerFields, []string{"name"}) {
		t.Errorf("languages %v, required %v", info.Languages, info.RequiredSignerFields)
	}
	info.Languages[0] = "xx" // callers may not change the adapter's copy
	info.SignerDetailsSchema[0] = 'x'
	if a.Info().Languages[0] == "xx" || a.Info().SignerDetailsSchema[0] == 'x' {
		t.Error("Info shares its slices")
	}

	info = a.Info()
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

	// Every property carries an example valid next to a name and a contact,
	// and all examples together are valid.
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
		one, _ := json.Marshal(map[string]any{"name": "Asha Verma", "email": "a@example.com", name: p.Examples[0]})
		if err := validate(t, schema, string(one)); err != nil {
			t.Errorf("example of %s is invalid: %v", name, err)
		}
	}
	for _, want := range []string{"name", "email", "phone"} {
		if _, ok := all[want]; !ok {
			t.Errorf("property %s missing", want)
		}
	}
	every, _ := json.Marshal(all)
	if err := validate(t, schema, string(every)); err != nil {
		t.Errorf("all examples together: %v", err)
	}

	for _, good := range []string{
		`{"name":"A","email":"a@example.com"}`, `{"name":"A","phone":"9876543210"}`,
		`{"name":"A","email":"a@example.com","phone":"9876543210","customerRef":"x-1"}`,
	} {
		if err := validate(t, schema, good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	for _, bad := range []string{
		`{}`, `{"name":"A"}`, `{"name":"","email":"a@example.com"}`, `{"name":"  ","email":"a@example.com"}`,
		`{"email":"a@example.com"}`, `{"name":"A","email":"nope"}`, `{"name":"A","phone":"12345"}`,
		`{"name":"A","phone":"+919876543210"}`, `{"name":"A","phone":9876543210}`,
	} {
		if validate(t, schema, bad) == nil {
			t.Errorf("%s passed the schema", bad)
		}
	}
}
