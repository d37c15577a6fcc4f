package flexjson

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		`"a"`: "a", ` 1.50 `: "1.50", `true`: "true", `false`: "false",
		`null`: "", `{"x":1}`: "", `[1]`: "", `"\u00e9"`: "é", ``: "", `"bad\q"`: "",
	} {
		if got := Text([]byte(in)); got != want {
			t.Errorf("Text(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestNoneSet(t *testing.T) {
	none := None{"", "na", "null"}
	for _, s := range []string{"", "  ", "NA", " Null "} {
		if none.Set(s) {
			t.Errorf("%q is set", s)
		}
	}
	for _, s := range []string{"x", "0", "none"} {
		if !none.Set(s) {
			t.Errorf("%q is not set", s)
		}
	}
}

func TestFlag(t *testing.T) {
	var v []Flag
	in := `[true,false,"true","False","yes","1",1,0,"no",null,"maybe",{}," YES "]`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	want := []Flag{true, false, true, false, true, true, true, false, false, false, false, false, true}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("flags = %v, want %v", v, want)
	}
}

type item struct {
	A string `json:"a"`
}

func TestLists(t *testing.T) {
	for _, tt := range []struct {
		in           string
		list, quoted []item
	}{
		{`[{"a":"x"},"junk",7,null,{"a":1},{"a":"y"}]`, []item{{"x"}, {"y"}}, []item{{"x"}, {"y"}}},
		{`{"a":"x"}`, []item{{"x"}}, []item{{"x"}}},
		{`"[{\"a\":\"x\"}]"`, nil, []item{{"x"}}},
		{`" {\"a\":\"x\"} "`, nil, []item{{"x"}}},
		{`"\"[]\""`, nil, nil},
		{`null`, nil, nil},
		{`7`, nil, nil},
		{`[]`, nil, nil},
	} {
		var l List[item]
		var q QuotedList[item]
		if err := l.UnmarshalJSON([]byte(tt.in)); err != nil {
			t.Fatal(err)
		}
		if err := q.UnmarshalJSON([]byte(tt.in)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual([]item(l), tt.list) {
			t.Errorf("List(%s) = %#v, want %#v", tt.in, l, tt.list)
		}
		if !reflect.DeepEqual([]item(q), tt.quoted) {
			t.Errorf("QuotedList(%s) = %#v, want %#v", tt.in, q, tt.quoted)
		}
	}
}

func TestObject(t *testing.T) {
	for in, want := range map[string]item{
		`{"a":"x"}`: {"x"}, ` {"a":"y"} `: {"y"}, `{"a":1}`: {}, `null`: {}, `"{\"a\":\"x\"}"`: {}, `[{"a":"x"}]`: {},
	} {
		o := Object[item]{V: item{"stale"}}
		if err := json.Unmarshal([]byte(in), &o); err != nil {
			t.Fatal(err)
		}
		if o.V != want {
			t.Errorf("Object(%s) = %#v, want %#v", in, o.V, want)
		}
		if got := ObjectOf[item]([]byte(in)); got != want {
			t.Errorf("ObjectOf(%s) = %#v, want %#v", in, got, want)
		}
	}
}

func TestItems(t *testing.T) {
	for _, tt := range []struct {
		in, lone string
		want     []string
	}{
		{`[ {"a":1} , "x", 2 ]`, "{", []string{`{"a":1}`, `"x"`, `2`}},
		{` {"a":1} `, "{", []string{`{"a":1}`}},
		{`"x"`, "{", nil},
		{`"x"`, `{"`, []string{`"x"`}},
		{`[1,`, "{", nil},
		{`null`, "{", nil},
		{``, "{", nil},
	} {
		var got []string
		for _, r := range Items([]byte(tt.in), tt.lone) {
			got = append(got, string(r))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Items(%s, %q) = %q, want %q", tt.in, tt.lone, got, tt.want)
		}
	}
}

func TestBase64(t *testing.T) {
	want := "%PDF-1.7 ?>~" // encodes to "JVBERi0xLjcgPz5+", which has a + to make URL-safe
	for _, in := range []string{
		"JVBERi0xLjcgPz5+", "JVBERi0xLjcgPz5-", "JVBERi0x\nLjcg\r\nPz5+", "data:application/pdf;base64,JVBERi0xLjcgPz5+",
	} {
		if got, err := Base64(in); err != nil || string(got) != want {
			t.Errorf("Base64(%q) = %q, %v", in, got, err)
		}
	}
	if got, err := Base64("JVBERi0xLjc="); err != nil || string(got) != "%PDF-1.7" {
		t.Errorf("padded: %q, %v", got, err)
	}
	if _, err := Base64("not base64!"); err == nil {
		t.Error("junk decoded")
	}
}

func TestID(t *testing.T) {
	for s, want := range map[string]bool{
		"3c54deeb-b91d-4893-8ec9-46573e85f45b": true, "DID2211141550101234ABCDEFGHJK": true,
		"": false, " x": false, "a b": false, "a\x00b": false, "a\u2028b": false, "\xff": false, "a\ufffdb": false,
		strings.Repeat("x", MaxID): true, strings.Repeat("x", MaxID+1): false,
	} {
		if ID(s) != want {
			t.Errorf("ID(%q) != %v", s, want)
		}
	}
}
