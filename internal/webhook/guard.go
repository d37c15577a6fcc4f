// Package webhook delivers Signet's events to clients' endpoints per the
// Standard Webhooks specification: signed, retried on a schedule, leased
// from the store so several processes share the work, and guarded against
// server-side request forgery.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// ErrForbiddenAddress is returned for URLs that resolve to loopback,
// private, link-local, metadata or otherwise non-public addresses.
var ErrForbiddenAddress = errors.New("address is not public")

// MaxURLLength bounds a webhook URL.
const MaxURLLength = 2048

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard decides which webhook destinations are allowed. With
// AllowPrivate (sandbox and development) every address is; the URL's
// syntax (scheme, host, port) is checked either way.
type Guard struct {
	AllowPrivate bool
	Resolver     Resolver // net.DefaultResolver if nil
}

// CheckURL validates a webhook URL at registration: absolute http(s), a
// host that is an IP address or an ASCII DNS name, a port from 1 to
// 65535 if any, no credentials, and (unless private addresses are
// allowed) every address the host resolves to is public.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	if len(raw) > MaxURLLength {
		return fmt.Errorf("must be at most %d characters", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		if msg := portProblem(rawPort(raw)); msg != "" {
			return errors.New(msg)
		}
		var ue *url.Error
		if errors.As(err, &ue) { // its Err leaves out the URL, already in the request
			return fmt.Errorf("must be a valid absolute URL: %v", ue.Err)
		}
		return errors.New("must be a valid absolute URL")
	}
	switch {
	case !u.IsAbs():
		return errors.New("must be an absolute URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must use http or https")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("must have a host")
	case u.User != nil:
		return errors.New("must not carry credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("must not have a fragment")
	}
	if port, ok := hostPort(u.Host); ok {
		if msg := portProblem(port, true); msg != "" {
			return errors.New(msg)
		}
	}
	host := u.Hostname()
	literal, isIP, err := parseHost(u.Host, host)
	if err != nil {
		return err
	}
	if g.AllowPrivate {
		return nil
	}
	if isIP {
		return checkAddr(literal)
	}
	var r Resolver = net.DefaultResolver
	if g.Resolver != nil {
		r = g.Resolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %q does not resolve: %v", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("host %q has no addresses", host)
	}
	for _, a := range addrs {
		if err := checkAddr(a); err != nil {
			return fmt.Errorf("host %q resolves to a forbidden address: %w", host, err)
		}
	}
	return nil
}

// Control is a net.Dialer Control function that refuses non-public
// addresses at connect time, after DNS: a name that resolved to a public
// address at registration and to 127.0.0.1 now is still refused.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: unexpected dial address %q", address)
	}
	if ap.Port() == 0 {
		return fmt.Errorf("webhook: refusing to dial port 0 of %s", ap.Addr())
	}
	return checkAddr(ap.Addr())
}

// rawPort finds the port text of an absolute URL that url.Parse refused,
// so that a bad port gets a message of its own rather than "not a URL".
func rawPort(raw string) (port string, ok bool) {
	scheme, rest, found := strings.Cut(raw, "://")
	if !found || scheme == "" || strings.ContainsAny(scheme, "/?#@:[]") {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	return hostPort(rest)
}

// hostPort splits the port off an authority's host[:port]; ok reports
// whether there was a colon introducing one (even with nothing after it).
func hostPort(hostport string) (port string, ok bool) {
	if strings.HasPrefix(hostport, "[") {
		end := strings.LastIndex(hostport, "]")
		if end < 0 {
			return "", false
		}
		return strings.CutPrefix(hostport[end+1:], ":")
	}
	i := strings.Index(hostport, ":") // a name has no colon: the first one starts the port
	if i < 0 {
		return "", false
	}
	return hostport[i+1:], true
}

// portProblem says what is wrong with a URL's port, or "" when nothing is
// (or there is no port).
func portProblem(port string, present bool) string {
	if !present {
		return ""
	}
	if port == "" {
		return "port is empty after ':' (leave out the colon or give a port from 1 to 65535)"
	}
	short := port
	if len(short) > 16 {
		short = short[:16] + "…"
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return fmt.Sprintf("port %q is not a number from 1 to 65535", short)
		}
	}
	if len(port) > 1 && port[0] == '0' {
		return fmt.Sprintf("port %q must be written without leading zeros", short)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %s is out of range: must be from 1 to 65535", short)
	}
	return ""
}

// parseHost checks a URL's host: a bracketed IPv6 address without a
// zone, an IPv4 address in dotted-decimal form, or an ASCII DNS name.
// Anything else (0x7f.1, 2130706433, 127.1, bücher.de) is refused, so that
// no resolver is left to guess what a numeric-looking name means.
func parseHost(authorityHost, host string) (netip.Addr, bool, error) {
	if strings.HasPrefix(authorityHost, "[") {
		ip, err := netip.ParseAddr(host)
		switch {
		case err != nil || !ip.Is6():
			return netip.Addr{}, false, errors.New("host in brackets must be an IPv6 address")
		case ip.Zone() != "":
			return netip.Addr{}, false, errors.New("host must not carry an IPv6 zone")
		}
		return ip, true, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
		return ip, true, nil
	}
	if err := checkHostName(host); err != nil {
		return netip.Addr{}, false, err
	}
	return netip.Addr{}, false, nil
}

func checkHostName(host string) error {
	name := strings.TrimSuffix(host, ".")
	if name == "" || len(name) > 253 {
		return errors.New("host must be an IP address or a DNS name of at most 253 characters")
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("host must be an IP address or a DNS name (labels of 1 to 63 characters, not starting or ending with '-')")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return errors.New("host must be an IP address or an ASCII DNS name (write international names in their xn-- form)")
			}
		}
	}
	// A last label that is a number is no top-level domain but an IPv4
	// address in a form (127.1, 0x7f000001, 017700000001) that some
	// resolvers accept and netip rightly does not.
	last := strings.ToLower(labels[len(labels)-1])
	if strings.Trim(last, "0123456789") == "" ||
		strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == "" {
		return errors.New("host looks like an IPv4 address in a non-standard form: write it as four decimal numbers (a.b.c.d)")
	}
	return nil
}

// checkAddr refuses every address that can't be a client's public
// receiver: see refusal.
func checkAddr(ip netip.Addr) error {
	if why := refusal(ip.WithZone("")); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, ip, why)
	}
	return nil
}

// refusal names why ip is not an acceptable webhook destination, or
// returns "" when it is.
//
// IPv6 is allowed only inside 2000::/3, the one block IANA hands out as
// global unicast, so everything outside it is refused whatever it
// embeds: IPv4-compatible ::a.b.c.d (deprecated by RFC 4291; some stacks
// still tunnel it to the IPv4 address), IPv4-translated ::ffff:0:a.b.c.d
// (RFC 2765's SIIT, obsolete), the local-use translation prefix
// 64:ff9b:1::/48 (RFC 8215: the operator's own, with an embedding we
// can't know), discard-only 100::/64, site-local fec0::/10, unique-local,
// link-local, multicast, loopback and unspecified. No public receiver
// lives in any of them.
//
// Four forms embed an IPv4 address that is where the packets really go,
// and they are judged by it, refused exactly when that address is:
//   - IPv4-mapped ::ffff:a.b.c.d is the IPv4 address itself (the kernel
//     sends IPv4);
//   - NAT64 64:ff9b::/96 is what DNS64 networks synthesize for every
//     IPv4-only host, so refusing it outright would break all IPv4-only
//     receivers on IPv6-only deployments; RFC 6052 forbids it for
//     non-global IPv4, and we enforce that rather than trust the gateway;
//   - 6to4 2002:wwxx:yyzz::/48 is tunnelled to wwxx:yyzz by a local 6to4
//     interface or relay;
//   - Teredo 2001:0::/32 reaches its server (bits 32–63) and its client
//     (the last 32 bits, XOR-ed with 0xffffffff): both must be public.
//
// Inside 2000::/3, IETF protocol assignments (2001::/23 beyond Teredo:
// benchmarking, ORCHID, anycast services) and the documentation ranges
// are refused.
func refusal(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "not an IP address"
	case ip.Is4():
		return match(ip, reserved4)
	case ip.Is4In6():
		return embedded("an IPv4-mapped address of", ip.Unmap())
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return embedded("a NAT64 address of", netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		return embedded("a 6to4 address of", netip.AddrFrom4([4]byte(b[2:6])))
	case teredo.Contains(ip):
		server := netip.AddrFrom4([4]byte(b[4:8]))
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		if why := embedded("a Teredo address with server", server); why != "" {
			return why
		}
		return embedded("a Teredo address with client", client)
	case !globalUnicast6.Contains(ip):
		if why := match(ip, nonGlobal6); why != "" {
			return why
		}
		return "outside the IPv6 global unicast block 2000::/3"
	}
	return match(ip, reserved6)
}

// embedded refuses an IPv6 form when the IPv4 address it carries is
// refused, and says both.
func embedded(form string, v4 netip.Addr) string {
	if why := match(v4, reserved4); why != "" {
		return form + " " + v4.String() + ", which is " + why
	}
	return ""
}

type namedPrefix struct {
	netip.Prefix
	name string
}

func match(ip netip.Addr, ranges []namedPrefix) string {
	for _, p := range ranges {
		if p.Contains(ip) {
			return p.name + " (" + p.Prefix.String() + ")"
		}
	}
	return ""
}

func prefixes(pairs ...string) []namedPrefix {
	out := make([]namedPrefix, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, namedPrefix{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	teredo         = netip.MustParsePrefix("2001::/32")
)

// reserved4 is every IPv4 range that never holds a client's public
// receiver (IANA's special-purpose registry, plus cloud metadata).
// More specific entries come first so that the message names them.
var reserved4 = prefixes(
	"0.0.0.0/8", "unspecified or \"this network\"",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "carrier-grade NAT shared space (holds Alibaba Cloud's metadata)",
	"127.0.0.0/8", "loopback",
	"169.254.169.254/32", "the cloud instance-metadata address",
	"169.254.0.0/16", "link-local",
	"168.63.129.16/32", "Azure's platform (WireServer) address",
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "IETF protocol assignments (holds Oracle Cloud's metadata)",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "the deprecated 6to4 relay anycast",
	"192.168.0.0/16", "private",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved or broadcast",
)

// nonGlobal6 names the ranges outside 2000::/3 for the error message;
// everything outside 2000::/3 is refused whether listed or not.
var nonGlobal6 = prefixes(
	"::/128", "unspecified",
	"::1/128", "loopback",
	"::/96", "an IPv4-compatible address (deprecated)",
	"::ffff:0:0:0/96", "an IPv4-translated address",
	"64:ff9b:1::/48", "local-use IPv4/IPv6 translation",
	"100::/64", "discard-only",
	"fd00:ec2::254/128", "the AWS instance-metadata address",
	"fc00::/7", "unique-local",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local (deprecated)",
	"ff00::/8", "multicast",
)

// reserved6 are the ranges inside 2000::/3 that hold no public receiver.
var reserved6 = prefixes(
	"2001::/23", "IETF protocol assignments",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
)
