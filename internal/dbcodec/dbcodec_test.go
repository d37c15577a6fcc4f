package dbcodec_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/dbcodec"
)

func TestMapRoundTrip(t *testing.T) {
	for _, m := range []map[string]string{nil, {}, {"a": "1"}, {"k": "v", "": "empty key", "x": ""}} {
		b, err := dbcodec.EncodeMap(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 && b != nil {
			t.Errorf("EncodeMap(%v) = %q, want nil (NULL)", m, b)
		}
		got, err := dbcodec.DecodeMap(b)
		if err != nil {
			t.Fatal(err)
		}
		want := m
		if len(m) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeMap(EncodeMap(%v)) = %#v, want %#v", m, got, want)
		}
	}
}

func TestDecodeMap(t *testing.T) {
	for _, in := range []string{"", "{}", "null"} {
		if m, err := dbcodec.DecodeMap([]byte(in)); m != nil || err != nil {
			t.Errorf("DecodeMap(%q) = %#v, %v; want nil, nil", in, m, err)
		}
	}
	for _, in := range []string{"[1]", `{"a":1}`, "{"} {
		if _, err := dbcodec.DecodeMap([]byte(in)); err == nil {
			t.Errorf("DecodeMap(%q) succeeded, want an error", in)
		}
	}
}

func TestNullJSON(t *testing.T) {
	if dbcodec.NullJSON([]byte{}) != nil || dbcodec.NullJSON(nil) != nil {
		t.Error("NullJSON(empty) is not nil")
	}
	if got := dbcodec.NullJSON([]byte(`{}`)); string(got) != `{}` {
		t.Errorf("NullJSON({}) = %q", got)
	}
	if dbcodec.FromNullJSON([]byte{}) != nil || dbcodec.FromNullJSON(nil) != nil {
		t.Error("FromNullJSON(empty) is not nil")
	}
	if got := dbcodec.FromNullJSON([]byte(`[1]`)); string(got) != `[1]` {
		t.Errorf("FromNullJSON([1]) = %q", got)
	}
}

func TestBlob(t *testing.T) {
	if got := dbcodec.Blob(nil); got == nil || len(got) != 0 {
		t.Errorf("Blob(nil) = %#v, want an empty, non-nil slice", got)
	}
	if got := dbcodec.Blob([]byte("x")); string(got) != "x" {
		t.Errorf("Blob(x) = %q", got)
	}
}

func TestOrDefault(t *testing.T) {
	def := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := dbcodec.OrDefault(time.Time{}, def); !got.Equal(def) {
		t.Errorf("OrDefault(zero) = %v, want %v", got, def)
	}
	at := def.Add(time.Hour)
	if got := dbcodec.OrDefault(at, def); !got.Equal(at) {
		t.Errorf("OrDefault(%v) = %v, want it unchanged", at, got)
	}
}
