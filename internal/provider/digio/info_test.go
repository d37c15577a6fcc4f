package digio

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
	if err := c.AddResource("signet:///digio.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("signet:///digio.json")
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
	if info.Name != "digio" || info.DisplayName != "Digio eSign" {
		t.Errorf("info = %+v", info)
	}
	if !slices.Equal(info.Languages, []string{"en"}) || !slices.Equal(info.RequiredSignerFields, []string{"name", "identifier"}) {
		t.Errorf("languages %v, required %v", info.Languages, info.RequiredSignerFields)
	}
	info.Languages[0] = "xx" // callers may not change the adapter's copy
	info.RequiredSignerFields[0] = "xx"
	if a.Info().Languages[0] == "xx" || a.Info().RequiredSignerFields[0] == "xx" {
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
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || !doc.Additional || !slices.Equal(doc.Required, a.Info().RequiredSignerFields) {
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
		one, _ := json.Marshal(map[string]any{"name": "Asha Verma", "identifier": "9876543210", name: p.Examples[0]})
		if err := validate(t, schema, string(one)); err != nil {
			t.Errorf("example of %s is invalid: %v", name, err)
		}
	}
	for _, want := range []string{"name", "identifier", "signType", "reason"} {
		if _, ok := all[want]; !ok {
			t.Errorf("property %s missing", want)
		}
	}
	every, _ := json.Marshal(all)
	if err := validate(t, schema, string(every)); err != nil {
		t.Errorf("all examples together: %v", err)
	}
	// The examples together make a request the adapter accepts.
	req := testRequest()
	req.SignerDetails = every
	req.ExpiresAt = a.cfg.Now().Add(1e12)
	if _, _, err := a.uploadRequest(req); err != nil {
		t.Errorf("the adapter refuses the schema's examples: %v", err)
	}

	for _, bad := range []string{
		`{}`, `{"name":"A"}`, `{"identifier":"a@b.example"}`, `{"name":"","identifier":"a@b.example"}`, `{"name":"  ","identifier":"a@b.example"}`,
		`{"name":"A","identifier":"nope"}`, `{"name":"A","identifier":"12345"}`, `{"name":"A","identifier":"+919876543210"}`,
		`{"name":"A","identifier":"9876543210","signType":"pen"}`, `{"name":"A","identifier":"9876543210","signType":"AADHAAR"}`,
		`{"name":"A","identifier":7}`,
	} {
		if validate(t, schema, bad) == nil {
			t.Errorf("%s passed the schema", bad)
		}
	}
	for _, good := range []string{
		`{"name":"A","identifier":"a@b.example"}`, `{"name":"A","identifier":"9876543210","signType":"electronic","customerRef":"x-1"}`,
	} {
		if err := validate(t, schema, good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
}
