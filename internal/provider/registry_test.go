package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

type stub struct{ info signing.ProviderInfo }

func (s stub) Info() signing.ProviderInfo { return s.info }
func (stub) Initiate(context.Context, signing.InitiateRequest) (signing.Initiated, error) {
	return signing.Initiated{}, nil
}
func (stub) Refresh(context.Context, signing.ProviderRef) (signing.Update, error) {
	return signing.Update{}, nil
}
func (stub) Cancel(context.Context, signing.ProviderRef) error                  { return nil }
func (stub) FetchDocument(context.Context, signing.ProviderRef) ([]byte, error) { return nil, nil }
func (stub) ParseCallback(http.Header, []byte) (signing.Callback, error) {
	return signing.Callback{}, nil
}

func named(name, schema string) stub {
	return stub{signing.ProviderInfo{Name: name, SignerDetailsSchema: json.RawMessage(schema)}}
}

const schema = `{"type":"object","required":["name","identity"],
	"properties":{"name":{"type":"string","minLength":1},"email":{"type":"string","format":"email"},
	"identity":{"type":"string","pattern":"^[0-9]{12}$"},"address":{"type":"object","properties":{"zip":{"type":"string","maxLength":6}}}}}`

func TestValidateSignerDetailsNamesFields(t *testing.T) {
	r, err := NewRegistry(named("a", schema))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		details string
		want    []string
	}{
		{`{"name":"A","identity":"199001011234"}`, nil},
		{`{}`, []string{"signerDetails.name", "signerDetails.identity"}},
		{`{"name":"","identity":"1"}`, []string{"signerDetails.name", "signerDetails.identity"}},
		{`{"name":"A","identity":"199001011234","email":"nope"}`, []string{"signerDetails.email"}},
		{`{"name":"A","identity":"199001011234","address":{"zip":"1234567"}}`, []string{"signerDetails.address.zip"}},
		{`[]`, []string{"signerDetails"}},
		{`{`, []string{"signerDetails"}},
	}
	for _, tt := range tests {
		got := r.ValidateSignerDetails("a", json.RawMessage(tt.details))
		var fields []string
		for _, fe := range got {
			fields = append(fields, fe.Field)
		}
		if len(fields) != len(tt.want) {
			t.Errorf("%s: fields %v, want %v", tt.details, fields, tt.want)
			continue
		}
		for _, w := range tt.want {
			found := false
			for _, f := range fields {
				found = found || f == w
			}
			if !found {
				t.Errorf("%s: fields %v lack %s", tt.details, fields, w)
			}
		}
	}
}

func TestRegistryRejectsBadProviders(t *testing.T) {
	if _, err := NewRegistry(named("a", schema), named("a", schema)); err == nil {
		t.Error("duplicate name accepted")
	}
	if _, err := NewRegistry(named("", schema)); err == nil {
		t.Error("empty name accepted")
	}
	if _, err := NewRegistry(named("a", `{"type":"nonsense"}`)); err == nil {
		t.Error("invalid schema accepted")
	}
	r, _ := NewRegistry(named("b", schema), named("a", schema))
	if names := r.Names(); len(names) != 2 || names[0] != "b" {
		t.Errorf("order %v, want registration order", names)
	}
}
