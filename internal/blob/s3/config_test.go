package s3_test

import (
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/blob/s3"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var keys = env(map[string]string{"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "secret"})

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want s3.Config
	}{
		{"s3://docs?endpoint=http://127.0.0.1:9000&region=us-east-1",
			s3.Config{Bucket: "docs", Endpoint: "http://127.0.0.1:9000", Region: "us-east-1", AccessKey: "AKIA", SecretKey: "secret"}},
		{"s3://docs", s3.Config{Bucket: "docs", AccessKey: "AKIA", SecretKey: "secret"}},
		{"s3://docs/", s3.Config{Bucket: "docs", AccessKey: "AKIA", SecretKey: "secret"}},
		{"s3://my.docs-1/signet/prod/?region=eu-north-1&endpoint=https://s3.example.com/",
			s3.Config{Bucket: "my.docs-1", Prefix: "signet/prod/", Endpoint: "https://s3.example.com", Region: "eu-north-1", AccessKey: "AKIA", SecretKey: "secret"}},
		{"s3://docs?endpoint=https%3A%2F%2Fminio.internal%3A9000",
			s3.Config{Bucket: "docs", Endpoint: "https://minio.internal:9000", AccessKey: "AKIA", SecretKey: "secret"}},
	} {
		got, err := s3.ParseURL(tc.url, keys)
		if err != nil || got.String() != tc.want.String() || got.AccessKey != tc.want.AccessKey || got.SecretKey != tc.want.SecretKey {
			t.Errorf("ParseURL(%q) = %v, %v; want %v", tc.url, got, err, tc.want)
		}
	}
	got, err := s3.ParseURL("s3://docs", env(map[string]string{"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T"}))
	if err != nil || got.SessionToken != "T" {
		t.Errorf("ParseURL with a session token = %+v, %v", got, err)
	}
	if got, err := s3.ParseURL("s3://docs", env(nil)); err != nil || got.AccessKey != "" {
		t.Errorf("ParseURL without keys (IAM role) = %+v, %v", got, err)
	}
}

func TestParseURLRefuses(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"database", "want s3://"},
		{"https://docs", "want s3://"},
		{"s3://", "bucket"},
		{"s3://Docs", "bucket"},
		{"s3://d", "bucket"},
		{"s3://docs:9000", "want s3://"},
		{"s3://key:secret@docs", "credentials do not go in the URL"},
		{"s3://docs#x", "want s3://"},
		{"s3://docs?endpoint=ftp://x", "endpoint"},
		{"s3://docs?endpoint=127.0.0.1:9000", "endpoint"},
		{"s3://docs?endpoint=http://", "endpoint"},
		{"s3://docs?endpoint=http://x/path", "endpoint"},
		{"s3://docs?endpoint=http://u:p@x", "endpoint"},
		{"s3://docs?endpoint=http://x?y=1", "endpoint"},
		{"s3://docs?region=", "region"},
		{"s3://docs?region=a%20b", "region"},
		{"s3://docs?region=a&region=b", "given 2 times"},
		{"s3://docs?bucket=x", `unknown parameter "bucket"`},
		{"s3://docs?%zz", "invalid URL escape"},
		{"s3://docs/a//b", "empty segment"},
	} {
		_, err := s3.ParseURL(tc.url, keys)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURL(%q) = %v, want an error saying %q", tc.url, err, tc.want)
		}
	}
	_, err := s3.ParseURL("s3://docs", env(map[string]string{"AWS_ACCESS_KEY_ID": "A"}))
	if err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("ParseURL with a key and no secret = %v, want an error", err)
	}
}

func TestConfigStringHidesSecrets(t *testing.T) {
	c, err := s3.ParseURL("s3://docs?endpoint=http://x:1", env(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAXYZ", "AWS_SECRET_ACCESS_KEY": "hunter2", "AWS_SESSION_TOKEN": "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.String(), func() string { s, _ := s3.ParseURL("s3://Bad", keys); return s.String() }()} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "AKIAXYZ") || strings.Contains(s, "tok") {
			t.Errorf("%q shows a secret", s)
		}
	}
}

// FuzzParseURL: whatever --documents says, ParseURL does not panic, and
// what it accepts, New accepts, and says back in the same words.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"s3://docs?endpoint=http://127.0.0.1:9000&region=us-east-1",
		"s3://my.docs-1/signet/prod/?region=eu-north-1&endpoint=https://s3.example.com/",
		"s3://docs?endpoint=http://x/path",
		"s3://key:secret@docs",
		"s3://docs?region=a&region=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := s3.ParseURL(raw, keys)
		if err != nil {
			return
		}
		if _, err := s3.New(c); err != nil {
			t.Fatalf("ParseURL(%q) = %v, which New refuses: %v", raw, c, err)
		}
		again, err := s3.ParseURL(c.String(), keys)
		if err != nil || again.String() != c.String() || again.Bucket != c.Bucket || again.Prefix != c.Prefix ||
			again.Endpoint != c.Endpoint || again.Region != c.Region {
			t.Fatalf("ParseURL(%q) = %v; reading that back gives %v, %v", raw, c, again, err)
		}
	})
}
