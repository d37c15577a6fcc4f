package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// fakeResolver answers from a map, so that tests need no DNS.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// addrCases lists every address form the guard must judge, each with
// what the refusal message must mention ("" when the address is allowed).
var addrCases = []struct {
	ip   string
	why  string // a substring of the refusal, or "" for allowed
	note string
}{
	// IPv4.
	{"127.0.0.1", "loopback", ""},
	{"127.255.255.254", "loopback", ""},
	{"10.1.2.3", "private", ""},
	{"172.16.0.1", "private", ""},
	{"172.31.255.255", "private", ""},
	{"192.168.1.1", "private", ""},
	{"169.254.169.254", "metadata", "AWS, GCP, Azure"},
	{"169.254.170.2", "link-local", "ECS task metadata"},
	{"168.63.129.16", "Azure", ""},
	{"100.100.100.200", "carrier-grade NAT", "Alibaba metadata"},
	{"100.64.0.1", "carrier-grade NAT", ""},
	{"192.0.0.192", "IETF protocol", "Oracle metadata"},
	{"0.0.0.0", "unspecified", ""},
	{"0.1.2.3", "this network", ""},
	{"192.0.2.1", "documentation", ""},
	{"198.51.100.7", "documentation", ""},
	{"203.0.113.9", "documentation", ""},
	{"198.18.0.1", "benchmarking", ""},
	{"192.88.99.1", "6to4 relay", ""},
	{"224.0.0.1", "multicast", ""},
	{"239.255.255.250", "multicast", ""},
	{"240.0.0.1", "reserved", ""},
	{"255.255.255.255", "broadcast", ""},
	{"8.8.8.8", "", ""},
	{"93.184.216.34", "", ""},
	{"1.1.1.1", "", ""},
	{"172.32.0.1", "", "just past 172.16.0.0/12"},
	{"100.128.0.1", "", "just past 100.64.0.0/10"},

	// Plain IPv6.
	{"::", "unspecified", ""},
	{"::1", "loopback", ""},
	{"fe80::1", "link-local", ""},
	{"febf:ffff::1", "link-local", ""},
	{"fec0::1", "site-local", ""},
	{"feff::1", "site-local", ""},
	{"fc00::1", "unique-local", ""},
	{"fd12:3456:789a::1", "unique-local", ""},
	{"fd00:ec2::254", "AWS", ""},
	{"ff02::1", "multicast", ""},
	{"ff0e::1", "multicast", ""},
	{"100::1", "discard-only", ""},
	{"100::ffff:ffff:ffff:ffff", "discard-only", ""},
	{"100:0:0:1::1", "2000::/3", "past the discard /64"},
	{"2001:db8::1", "documentation", ""},
	{"3fff::1", "documentation", ""},
	{"2001:2::1", "IETF protocol", "benchmarking"},
	{"2001:10::1", "IETF protocol", "ORCHID"},
	{"2001:20::1", "IETF protocol", "ORCHIDv2"},
	{"4000::1", "2000::/3", "unallocated"},
	{"2606:4700:4700::1111", "", ""},
	{"2a00:1450:4001:82b::200e", "", ""},

	// IPv4-compatible ::a.b.c.d: refused always.
	{"::127.0.0.1", "IPv4-compatible", ""},
	{"::7f00:1", "IPv4-compatible", "the same, in hex"},
	{"::10.0.0.1", "IPv4-compatible", ""},
	{"::169.254.169.254", "IPv4-compatible", ""},
	{"::8.8.8.8", "IPv4-compatible", "deprecated even for public IPv4"},

	// IPv4-mapped ::ffff:a.b.c.d: judged by the IPv4 address.
	{"::ffff:127.0.0.1", "IPv4-mapped address of 127.0.0.1, which is loopback", ""},
	{"::ffff:7f00:1", "loopback", "the same, in hex"},
	{"::ffff:10.0.0.1", "private", ""},
	{"::ffff:169.254.169.254", "metadata", ""},
	{"::ffff:0.0.0.0", "unspecified", ""},
	{"::ffff:8.8.8.8", "", ""},

	// IPv4-translated ::ffff:0:a.b.c.d: refused always.
	{"::ffff:0:7f00:1", "IPv4-translated", ""},
	{"::ffff:0:127.0.0.1", "IPv4-translated", ""},
	{"::ffff:0:a00:1", "IPv4-translated", ""},
	{"::ffff:0:808:808", "IPv4-translated", "obsolete even for public IPv4"},

	// 6to4 2002:wwxx:yyzz::/48: judged by wwxx:yyzz.
	{"2002:7f00:1::1", "6to4 address of 127.0.0.1", ""},
	{"2002:7f00:1::", "loopback", ""},
	{"2002:a00:1:1::1", "private", ""},
	{"2002:c0a8:101::1", "private", "192.168.1.1"},
	{"2002:a9fe:a9fe::1", "metadata", ""},
	{"2002:0:0::1", "unspecified", ""},
	{"2002:e000:1::1", "multicast", ""},
	{"2002:808:808::1", "", "6to4 of 8.8.8.8"},

	// NAT64 well-known prefix 64:ff9b::/96: judged by the last 32 bits.
	{"64:ff9b::7f00:1", "NAT64 address of 127.0.0.1", ""},
	{"64:ff9b::127.0.0.1", "loopback", ""},
	{"64:ff9b::a00:1", "private", ""},
	{"64:ff9b::a9fe:a9fe", "metadata", ""},
	{"64:ff9b::c0a8:101", "private", ""},
	{"64:ff9b::808:808", "", "DNS64 synthesis for 8.8.8.8"},
	{"64:ff9b::1:7f00:1", "2000::/3", "64:ff9b::/96 ends here; the rest of 64:ff9b::/32 is not global"},

	// NAT64 local-use 64:ff9b:1::/48: refused always.
	{"64:ff9b:1::7f00:1", "local-use", ""},
	{"64:ff9b:1::808:808", "local-use", "its embedding is the operator's"},
	{"64:ff9b:1:ffff:ffff::1", "local-use", ""},

	// Teredo 2001:0::/32: server in bits 32–63, client XOR-ed in the last 32.
	{"2001:0:4136:e378:8000:63bf:80ff:fffe", "client 127.0.0.1", "server 65.54.227.120"},
	{"2001:0:4136:e378:8000:63bf:f5ff:fffe", "client 10.0.0.1", ""},
	{"2001:0:4136:e378:8000:63bf:5601:5601", "client 169.254.169.254", ""},
	{"2001:0:a00:1:8000:63bf:f7f7:f7f7", "server 10.0.0.1", ""},
	{"2001:0:7f00:1::f7f7:f7f7", "server 127.0.0.1", ""},
	{"2001:0:4136:e378::", "client 255.255.255.255", "an all-zero tail is broadcast once XOR-ed"},
	{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", "", "server 65.54.227.120, client 8.8.8.8"},
}

func TestRefusal(t *testing.T) {
	for _, tt := range addrCases {
		ip := netip.MustParseAddr(tt.ip)
		got := refusal(ip)
		switch {
		case tt.why == "" && got != "":
			t.Errorf("refusal(%s) = %q, want allowed (%s)", tt.ip, got, tt.note)
		case tt.why != "" && !strings.Contains(got, tt.why):
			t.Errorf("refusal(%s) = %q, want a refusal mentioning %q (%s)", tt.ip, got, tt.why, tt.note)
		}
	}
}

// TestFormsAtRegistration checks every address form in a URL (as a
// literal) and behind a host name (as DNS would answer).
func TestFormsAtRegistration(t *testing.T) {
	ctx := context.Background()
	for _, tt := range addrCases {
		ip := netip.MustParseAddr(tt.ip)
		literal := "https://" + net.JoinHostPort(ip.String(), "8443") + "/hook"
		strict := Guard{Resolver: fakeResolver{"receiver.example.com": {ip}, "mixed.example.com": {netip.MustParseAddr("8.8.8.8"), ip}}}
		for _, u := range []string{literal, "https://receiver.example.com/hook", "http://mixed.example.com:8080/"} {
			err := strict.CheckURL(ctx, u)
			if tt.why == "" {
				if err != nil {
					t.Errorf("CheckURL(%s) with %s = %v, want accepted", u, tt.ip, err)
				}
				continue
			}
			if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("CheckURL(%s) with %s = %v, want ErrForbiddenAddress mentioning %q", u, tt.ip, err, tt.why)
			}
		}
		open := Guard{AllowPrivate: true, Resolver: strict.Resolver}
		if err := open.CheckURL(ctx, literal); err != nil {
			t.Errorf("AllowPrivate: CheckURL(%s) = %v, want accepted", literal, err)
		}
	}
}

// TestFormsAtDial checks every address form where the dialer's Control
// sees it: after resolution, just before connect.
func TestFormsAtDial(t *testing.T) {
	for _, tt := range addrCases {
		for _, network := range []string{"tcp", "tcp6"} {
			addr := net.JoinHostPort(tt.ip, "443")
			err := Guard{}.Control(network, addr, nil)
			if tt.why == "" {
				if err != nil {
					t.Errorf("Control(%s, %s) = %v, want allowed", network, addr, err)
				}
			} else if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("Control(%s, %s) = %v, want ErrForbiddenAddress mentioning %q", network, addr, err, tt.why)
			}
			if err := (Guard{AllowPrivate: true}).Control(network, addr, nil); err != nil {
				t.Errorf("AllowPrivate: Control(%s) = %v", addr, err)
			}
		}
	}
	for _, addr := range []string{"127.0.0.1", "not-an-address:80", "8.8.8.8:0", "[fe80::1%eth0]:80"} {
		if err := (Guard{}).Control("tcp", addr, nil); err == nil {
			t.Errorf("Control(%q) = nil, want refused", addr)
		}
	}
}

// TestDialRefusedBeforeConnect dials a real loopback listener through
// mapped and plain forms: the guard stops each before a connection is
// made, and AllowPrivate lets it through.
func TestDialRefusedBeforeConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	strict := &net.Dialer{Control: Guard{}.Control}
	open := &net.Dialer{Control: Guard{AllowPrivate: true}.Control}
	for _, host := range []string{"127.0.0.1", "::ffff:127.0.0.1", "localhost"} {
		addr := net.JoinHostPort(host, port)
		if c, err := strict.Dial("tcp", addr); !errors.Is(err, ErrForbiddenAddress) {
			if c != nil {
				c.Close()
			}
			t.Errorf("guarded dial of %s: err = %v, want ErrForbiddenAddress", addr, err)
		}
		c, err := open.Dial("tcp", addr)
		if err != nil {
			t.Errorf("AllowPrivate dial of %s: %v", addr, err)
			continue
		}
		c.Close()
		<-accepted
	}
	select {
	case <-accepted:
		t.Error("a guarded dial reached the listener")
	default:
	}
}

func TestCheckURL(t *testing.T) {
	strict := Guard{Resolver: fakeResolver{
		"example.com":                    {netip.MustParseAddr("93.184.216.34")},
		"example.com.":                   {netip.MustParseAddr("93.184.216.34")},
		"xn--bcher-kva.example":          {netip.MustParseAddr("93.184.216.34")},
		"exa_mple.com":                   {netip.MustParseAddr("93.184.216.34")},
		"under_score.example.com":        {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2606:4700::1")},
		"empty.example.com":              {},
		"localhost":                      {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
		"metadata.google.internal":       {netip.MustParseAddr("169.254.169.254")},
		strings.Repeat("a", 63) + ".com": {netip.MustParseAddr("93.184.216.34")},
	}}
	for _, tt := range []struct {
		url  string
		want string // a substring of the error, or "" for accepted
	}{
		{"https://93.184.216.34/hook", ""},
		{"http://8.8.8.8:8080/x?y=1", ""},
		{"https://example.com/hook", ""},
		{"https://example.com./hook", ""},
		{"https://example.com:1/hook", ""},
		{"https://example.com:65535/hook", ""},
		{"https://[2606:4700::1]:443/hook", ""},
		{"https://xn--bcher-kva.example/", ""},
		{"https://under_score.example.com/", ""},
		{"https://" + strings.Repeat("a", 63) + ".com/", ""},

		// Shape.
		{"ftp://8.8.8.8/", "http or https"},
		{"gopher://example.com/", "http or https"},
		{"/relative", "absolute"},
		{"http://exa mple.com/", "valid absolute URL"},
		{"http://8.8.8.8/%zz", "valid absolute URL"},
		{"example.com/hook", "absolute"},
		{"http:example.com", "host"},
		{"http:///path", "host"},
		{"http://:80/", "host"},
		{"https://user:pass@8.8.8.8/", "credentials"},
		{"https://user@8.8.8.8/", "credentials"},
		{"https://8.8.8.8/#frag", "fragment"},
		{"https://8.8.8.8/#", "fragment"},
		{"https://8.8.8.8/" + strings.Repeat("a", MaxURLLength), "at most"},

		// Ports.
		{"http://8.8.8.8:0/", "out of range"},
		{"http://example.com:0/", "out of range"},
		{"http://8.8.8.8:65536/", "out of range"},
		{"http://8.8.8.8:99999/", "out of range"},
		{"http://8.8.8.8:99999999999999999999999/", "out of range"},
		{"http://8.8.8.8:/", "empty after ':'"},
		{"http://example.com:", "empty after ':'"},
		{"http://[2606:4700::1]:/", "empty after ':'"},
		{"http://[2606:4700::1]:0/", "out of range"},
		{"http://[2606:4700::1]:70000/", "out of range"},
		{"http://8.8.8.8:abc/", "not a number"},
		{"http://example.com:8o8o/", "not a number"},
		{"http://[2606:4700::1]:https/", "not a number"},
		{"http://8.8.8.8:-1/", "not a number"},
		{"http://8.8.8.8:+80/", "not a number"},
		{"http://8.8.8.8:80:80/", "not a number"},
		{"http://user@8.8.8.8:x/", "not a number"},
		{"http://8.8.8.8:080/", "leading zeros"},
		{"http://8.8.8.8:00/", "leading zeros"},

		// Hosts.
		{"http://0x7f000001/", "non-standard form"},
		{"http://2130706433/", "non-standard form"},
		{"http://017700000001/", "non-standard form"},
		{"http://127.1/", "non-standard form"},
		{"http://0177.0.0.1/", "non-standard form"},
		{"http://0x7f.0.0.1/", "non-standard form"},
		{"http://127.000.000.001/", "non-standard form"},
		{"http://b%C3%BCcher.example/", "xn--"},
		{"http://exa%20mple.com/", "valid absolute URL"},
		{"http://exa_mple.com/", ""},
		{"http://-bad.example.com/", "DNS name"},
		{"http://a..b/", "DNS name"},
		{"http://" + strings.Repeat("a", 64) + ".com/", "DNS name"},
		{"http://[1.2.3.4]/", "valid absolute URL"},
		{"http://[example.com]/", "valid absolute URL"},
		{"http://[::ffff:1.2.3.4]:x/", "not a number"},
		{"http://[fe80::1%25eth0]/", "zone"},
		{"http://[2606:4700::1%25eth0]/", "zone"},

		// Addresses, literal and resolved.
		{"http://127.0.0.1:9000/hook", "loopback"},
		{"http://[::1]/hook", "loopback"},
		{"http://169.254.169.254/latest/meta-data", "metadata"},
		{"http://localhost/hook", "loopback"},
		{"http://metadata.google.internal/computeMetadata/v1/", "metadata"},
		{"http://10.0.0.5/hook", "private"},
		{"http://[::127.0.0.1]/", "IPv4-compatible"},
		{"http://[::ffff:127.0.0.1]/", "loopback"},
		{"http://[::ffff:0:7f00:1]/", "IPv4-translated"},
		{"http://[2002:7f00:1::1]/", "6to4"},
		{"http://[64:ff9b::7f00:1]/", "NAT64"},
		{"http://[64:ff9b:1::a00:1]/", "local-use"},
		{"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "Teredo"},
		{"http://[fec0::1]/", "site-local"},
		{"http://[100::1]/", "discard-only"},
		{"http://nowhere.example.com/", "does not resolve"},
		{"http://empty.example.com/", "no addresses"},
	} {
		err := strict.CheckURL(context.Background(), tt.url)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckURL(%s) = %v, want accepted", tt.url, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckURL(%s) = %v, want an error mentioning %q", tt.url, err, tt.want)
		}
	}
}

func TestCheckURLAllowPrivate(t *testing.T) {
	open := Guard{AllowPrivate: true, Resolver: fakeResolver{}}
	for _, u := range []string{"http://127.0.0.1:9000/hook", "http://localhost:8080/", "http://[::1]/", "http://receiver/hook", "http://my_service:8080/x"} {
		if err := open.CheckURL(context.Background(), u); err != nil {
			t.Errorf("AllowPrivate: CheckURL(%s) = %v, want accepted", u, err)
		}
	}
	// Syntax is checked all the same.
	for _, u := range []string{"gopher://127.0.0.1/", "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http://localhost:/", "http://localhost:abc/", "http://2130706433/"} {
		if err := open.CheckURL(context.Background(), u); err == nil {
			t.Errorf("AllowPrivate: CheckURL(%s) accepted, want refused", u)
		}
	}
}

// TestCreateNamesURL checks that a refused URL is reported on the "url"
// field of the API's validation error.
func TestCreateNamesURL(t *testing.T) {
	e := &Endpoints{Guard: Guard{Resolver: fakeResolver{}}}
	for _, u := range []string{"http://8.8.8.8:0/", "http://8.8.8.8:x/", "http://[::127.0.0.1]/", "http://[2002:7f00:1::1]:8080/"} {
		_, err := e.Create(context.Background(), "t", u, nil)
		var v *signing.ValidationError
		if !errors.As(err, &v) || len(v.Errors) != 1 || v.Errors[0].Field != "url" {
			t.Errorf("Create(%s) = %v, want one error on field url", u, err)
		}
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://93.184.216.34/hook", "http://8.8.8.8:8080/x?y=1", "https://example.com/hook", "http://[::ffff:127.0.0.1]:80/",
		"http://[2002:7f00:1::1]/", "http://8.8.8.8:0/", "http://8.8.8.8:/", "http://h:99999/", "http://0x7f000001/",
		"http://[fe80::1%25eth0]/", "http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]:443/", "http://u@[::1]:x/",
	} {
		f.Add(s)
	}
	public := netip.MustParseAddr("93.184.216.34")
	strict := Guard{Resolver: resolveAllTo(public)}
	open := Guard{AllowPrivate: true, Resolver: strict.Resolver}
	f.Fuzz(func(t *testing.T, raw string) {
		errStrict := strict.CheckURL(context.Background(), raw)
		errOpen := open.CheckURL(context.Background(), raw)
		if errStrict == nil && errOpen != nil {
			t.Fatalf("%q: accepted by the strict guard, refused with AllowPrivate: %v", raw, errOpen)
		}
		if errOpen != nil {
			return
		}
		// Whatever passes must be a URL the sender can use as it is.
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || len(raw) > MaxURLLength {
			t.Fatalf("%q accepted: parse %v, %+v", raw, err, u)
		}
		port := u.Port()
		if port == "" {
			port = "443"
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			t.Fatalf("%q accepted with port %q", raw, u.Port())
		}
		if _, err := http.NewRequest(http.MethodPost, raw, nil); err != nil {
			t.Fatalf("%q accepted but unusable: %v", raw, err)
		}
		// Registration and dial agree on literal addresses.
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && errStrict == nil {
			if err := (Guard{}).Control("tcp", net.JoinHostPort(ip.String(), port), nil); err != nil {
				t.Fatalf("%q accepted at registration, refused at dial: %v", raw, err)
			}
		}
	})
}

// FuzzRefusal checks, for any 16 bytes as an IPv6 address and their last
// four as an IPv4 one, that everything the standard library calls
// non-public is refused, and that each embedding of a refused IPv4
// address is refused too.
func FuzzRefusal(f *testing.F) {
	for _, s := range []string{"::1", "::ffff:127.0.0.1", "2002:7f00:1::1", "64:ff9b::a00:1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "2606:4700::1"} {
		b := netip.MustParseAddr(s).As16()
		f.Add(b[:])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) < 16 {
			return
		}
		six := netip.AddrFrom16([16]byte(raw[:16]))
		four := netip.AddrFrom4([4]byte(raw[12:16]))
		for _, ip := range []netip.Addr{six, four} {
			nonPublic := ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
				ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsGlobalUnicast()
			if nonPublic && refusal(ip) == "" {
				t.Fatalf("%s is not public but was allowed", ip)
			}
			if err := checkAddr(ip); (err == nil) != (refusal(ip) == "") {
				t.Fatalf("checkAddr(%s) = %v disagrees with refusal", ip, err)
			}
		}
		if refusal(four) == "" {
			return
		}
		v4 := four.As4()
		for _, form := range []string{
			"::ffff:" + four.String(),
			"::" + four.String(),
			"::ffff:0:" + four.String(),
			"64:ff9b::" + four.String(),
			netip.AddrFrom16([16]byte{0x20, 0x02, v4[0], v4[1], v4[2], v4[3], 15: 1}).String(),
			netip.AddrFrom16([16]byte{0x20, 0x01, 0, 0, 8, 8, 8, 8, 12: ^v4[0], 13: ^v4[1], 14: ^v4[2], 15: ^v4[3]}).String(),
			netip.AddrFrom16([16]byte{0x20, 0x01, 0, 0, v4[0], v4[1], v4[2], v4[3], 12: 0xf7, 13: 0xf7, 14: 0xf7, 15: 0xf7}).String(),
		} {
			if refusal(netip.MustParseAddr(form)) == "" {
				t.Fatalf("%s embeds refused %s but was allowed", form, four)
			}
		}
	})
}

// resolveAllTo answers every name with ip.
type resolveAllTo netip.Addr

func (r resolveAllTo) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.Addr(r)}, nil
}
