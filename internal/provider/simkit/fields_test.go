package simkit

import (
	"testing"
)

var w = &Wording{
	NotObject: "body not object", BadJSON: "body bad",
	Required: " req", NotString: " str", Empty: " empty", NotBool: " bool",
	NotArray: " arr", NoItems: " none", NotItem: " item",
}

func TestParse(t *testing.T) {
	if _, err := Parse([]byte(` [1] `)); err != ErrNotObject {
		t.Errorf("array: %v", err)
	}
	if _, err := Parse([]byte(`{"a":`)); err != ErrBadJSON {
		t.Errorf("bad: %v", err)
	}
	if _, err := w.Parse([]byte(``)); err == nil || err.Error() != "body not object" {
		t.Errorf("worded empty: %v", err)
	}
	if _, err := w.Parse([]byte(`{,}`)); err == nil || err.Error() != "body bad" {
		t.Errorf("worded bad: %v", err)
	}
}

func TestReaders(t *testing.T) {
	f, err := w.Parse([]byte(`{"s":"x","n":null,"i":1,"b":" ","t":"true","l":[{"a":"1"}],"e":[],"o":[{},2]}`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Present("n") || f.Present("zz") || !f.Present("s") || string(f.Raw("i")) != "1" {
		t.Error("Present/Raw")
	}
	if s, ok := f.String("n"); s != "" || !ok {
		t.Errorf("String(n) = %q, %v", s, ok)
	}
	if _, ok := f.String("i"); ok {
		t.Error("String(i) is ok")
	}
	if v, msg := f.Bool("t", false); !v || msg != "" {
		t.Errorf("Bool(t) = %v, %q", v, msg)
	}
	if v, msg := f.Bool("zz", true); !v || msg != "" {
		t.Errorf("Bool(zz) = %v, %q", v, msg)
	}
	l, msg := f.ObjectList("l")
	if msg != "" || len(l) != 1 {
		t.Fatalf("ObjectList(l) = %v, %q", l, msg)
	}
	second := func(_ any, msg string) string { return msg }
	for _, tt := range []struct{ what, got, want string }{
		{"OptionalString(s)", second(f.OptionalString("s")), ""},
		{"OptionalString(i)", second(f.OptionalString("i")), "i str"},
		{"RequiredString(s)", second(f.RequiredString("s")), ""},
		{"RequiredString(n)", second(f.RequiredString("n")), "n req"},
		{"RequiredString(b)", second(f.RequiredString("b")), "b empty"},
		{"RequiredString(i)", second(f.RequiredString("i")), "i str"},
		{"Bool(s)", second(f.Bool("s", false)), "s bool"},
		{"ObjectList(zz)", second(f.ObjectList("zz")), "zz req"},
		{"ObjectList(s)", second(f.ObjectList("s")), "s arr"},
		{"ObjectList(e)", second(f.ObjectList("e")), "e none"},
		{"ObjectList(o)", second(f.ObjectList("o")), "o[1] item"},
		{"item RequiredString(b)", second(l[0].RequiredString("b")), "b req"}, // items keep the wording
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.what, tt.got, tt.want)
		}
	}
}

func TestDigits(t *testing.T) {
	if !Digits("0123", 4) || Digits("012", 4) || Digits("01a3", 4) || Digits("０１２３", 4) {
		t.Error("Digits")
	}
}

func TestReadKeepsTheFirstBrokenRule(t *testing.T) {
	f, err := w.Parse([]byte(`{"s":"x","b":" ","t":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	var b Broken
	var s, missing, blank string
	var flag bool
	Read(&b, &s, f.OptionalString, "s")
	if s != "x" || b != (Broken{}) {
		t.Fatalf("a good field: %q, %+v", s, b)
	}
	Read(&b, &missing, f.RequiredString, "zz")
	Read(&b, &blank, f.RequiredString, "b") // not read: a rule is already broken
	Read(&b, &flag, func(key string) (bool, string) { return f.Bool(key, false) }, "t")
	if b != (Broken{Key: "zz", Msg: "zz req"}) || blank != "" || flag {
		t.Errorf("after a broken rule: %+v, blank %q, flag %v", b, blank, flag)
	}
}
