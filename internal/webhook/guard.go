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
	"syscall"
)

// ErrForbiddenAddress is returned for URLs that resolve to loopback,
// private, link-local, metadata or otherwise non-public addresses.
var ErrForbiddenAddress = errors.New("address is not public")

// Guard decides which webhook destinations are allowed. With
// AllowPrivate (sandbox and development) every address is.
type Guard struct {
	AllowPrivate bool
	Resolver     *net.Resolver // net.DefaultResolver if nil
}

// CheckURL validates a webhook URL at registration: absolute http(s), a
// host, no credentials, and (unless private addresses are allowed) every
// address the host resolves to is public.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return errors.New("must be an absolute URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must use http or https")
	case u.Hostname() == "":
		return errors.New("must have a host")
	case u.User != nil:
		return errors.New("must not carry credentials")
	case u.Fragment != "":
		return errors.New("must not have a fragment")
	case len(raw) > 2048:
		return errors.New("must be at most 2048 characters")
	}
	if g.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkAddr(ip)
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %q does not resolve: %v", host, err)
	}
	for _, a := range addrs {
		if err := checkAddr(a); err != nil {
			return err
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
	return checkAddr(ap.Addr())
}

// metadata is the cloud instance-metadata address (AWS, GCP, Azure, …).
var metadata = netip.MustParseAddr("169.254.169.254")

func checkAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	switch {
	case ip == metadata, ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsMulticast(), ip.IsUnspecified(), ip.IsInterfaceLocalMulticast(), !ip.IsGlobalUnicast():
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
		}
	}
	return nil
}

// reserved are ranges that IsPrivate and friends do not cover but that
// never hold a client's public receiver.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),     // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("0.0.0.0/8"),         // "this network"
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved
	netip.MustParsePrefix("64:ff9b::/96"),      // NAT64, which can reach private IPv4
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS IPv6 metadata
}
