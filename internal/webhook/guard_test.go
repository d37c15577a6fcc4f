package webhook

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	for _, tt := range []struct {
		ip      string
		private bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"169.254.1.1", true}, {"0.0.0.0", true}, {"100.64.0.1", true},
		{"fe80::1", true}, {"fc00::1", true}, {"::ffff:127.0.0.1", true}, {"224.0.0.1", true},
		{"64:ff9b::7f00:1", true}, {"fd00:ec2::254", true}, {"198.18.0.1", true},
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"2606:4700:4700::1111", false},
	} {
		err := checkAddr(netip.MustParseAddr(tt.ip))
		if got := err != nil; got != tt.private {
			t.Errorf("checkAddr(%s) = %v, want refused=%v", tt.ip, err, tt.private)
		}
	}
}

func TestCheckURL(t *testing.T) {
	strict := Guard{}
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://93.184.216.34/hook", true},
		{"http://8.8.8.8:8080/x?y=1", true},
		{"ftp://8.8.8.8/", false},
		{"/relative", false},
		{"https://user:pass@8.8.8.8/", false},
		{"http://127.0.0.1:9000/hook", false},
		{"http://[::1]/hook", false},
		{"http://169.254.169.254/latest/meta-data", false},
		{"http://localhost/hook", false},
		{"http://10.0.0.5/hook", false},
	} {
		err := strict.CheckURL(context.Background(), tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%s) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
	open := Guard{AllowPrivate: true}
	if err := open.CheckURL(context.Background(), "http://127.0.0.1:9000/hook"); err != nil {
		t.Errorf("AllowPrivate refused loopback: %v", err)
	}
	if err := open.CheckURL(context.Background(), "gopher://127.0.0.1/"); err == nil {
		t.Error("AllowPrivate accepted a non-http scheme")
	}
}

func TestControlRefusesAfterDNS(t *testing.T) {
	if err := (Guard{}).Control("tcp", "127.0.0.1:80", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("dial to loopback allowed: %v", err)
	}
	if err := (Guard{}).Control("tcp", "8.8.8.8:443", nil); err != nil {
		t.Errorf("dial to a public address refused: %v", err)
	}
	if err := (Guard{AllowPrivate: true}).Control("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("AllowPrivate refused: %v", err)
	}
}
