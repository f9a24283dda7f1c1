package backend

import (
	"context"
	"fmt"
	"net/netip"
	"syscall"
)

// AddrClass names a class of IP address that the address policy refuses.
type AddrClass string

// The classes of refused address. Metadata, link-local, unspecified,
// multicast, broadcast and reserved addresses are refused always; loopback,
// private and shared (CGNAT) addresses unless private networks are allowed.
const (
	ClassMetadata    AddrClass = "cloud metadata"
	ClassLinkLocal   AddrClass = "link-local"
	ClassUnspecified AddrClass = "unspecified"
	ClassMulticast   AddrClass = "multicast"
	ClassBroadcast   AddrClass = "broadcast"
	ClassReserved    AddrClass = "reserved"
	ClassLoopback    AddrClass = "loopback"
	ClassPrivate     AddrClass = "private"
	ClassShared      AddrClass = "shared (CGNAT)"
)

// AddrError is the address policy's refusal to dial Addr. Its message names
// the address; [AddrError.Reason] says the same without it.
type AddrError struct {
	Addr  netip.Addr
	Class AddrClass
}

// Error implements error.
func (e *AddrError) Error() string {
	return fmt.Sprintf("%s is %s", e.Addr, e.Reason())
}

// Reason says which class of address was refused and, when a flag would
// allow it, which one.
func (e *AddrError) Reason() string {
	if e.Overridable() {
		return "a " + string(e.Class) + " address, which Switchboard calls only when " +
			"started with --allow-private-network (SWITCHBOARD_ALLOW_PRIVATE_NETWORK) " +
			"to allow local services"
	}
	return "a " + string(e.Class) + " address, which Switchboard never calls"
}

// Overridable reports whether --allow-private-network would allow the
// address.
func (e *AddrError) Overridable() bool {
	switch e.Class {
	case ClassLoopback, ClassPrivate, ClassShared:
		return true
	}
	return false
}

var (
	// metadataAddrs are the instance metadata services of the big clouds
	// (AWS, GCP and Azure share 169.254.169.254; AWS over IPv6; Alibaba;
	// Oracle).
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"),
		netip.MustParseAddr("fd00:ec2::254"),
		netip.MustParseAddr("100.100.100.200"),
		netip.MustParseAddr("192.0.0.192"),
	}
	sharedPrefix   = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork    = netip.MustParsePrefix("0.0.0.0/8")
	reservedPrefix = netip.MustParsePrefix("240.0.0.0/4")
	siteLocal      = netip.MustParsePrefix("fec0::/10")
	nat64Prefix    = netip.MustParsePrefix("64:ff9b::/96")
	broadcast      = netip.MustParseAddr("255.255.255.255")
)

// CheckAddr returns an *[AddrError] when the address policy refuses to
// dial ip, and nil when it may be dialed. IPv4-mapped and NAT64 (64:ff9b::/96)
// addresses are judged by the IPv4 address they carry. Cloud metadata,
// link-local, unspecified, multicast, broadcast and reserved addresses are
// refused whatever allowPrivate says; loopback, private (RFC 1918, fc00::/7)
// and shared (100.64.0.0/10) addresses are refused unless allowPrivate.
func CheckAddr(ip netip.Addr, allowPrivate bool) error {
	ip = unwrap(ip)
	class, ok := classify(ip)
	if !ok {
		return nil
	}
	e := &AddrError{Addr: ip, Class: class}
	if allowPrivate && e.Overridable() {
		return nil
	}
	return e
}

// unwrap returns the IPv4 address inside an IPv4-mapped or NAT64 address,
// and ip itself otherwise, without any zone.
func unwrap(ip netip.Addr) netip.Addr {
	ip = ip.WithZone("").Unmap()
	if ip.Is6() && nat64Prefix.Contains(ip) {
		b := ip.As16()
		return netip.AddrFrom4([4]byte(b[12:]))
	}
	return ip
}

// classify returns the class of a refused address, or false for a public
// unicast address.
func classify(ip netip.Addr) (AddrClass, bool) {
	switch {
	case !ip.IsValid():
		return ClassUnspecified, true
	case isMetadata(ip):
		return ClassMetadata, true
	case ip.IsLinkLocalUnicast():
		return ClassLinkLocal, true
	case ip.IsUnspecified(), thisNetwork.Contains(ip):
		return ClassUnspecified, true
	case ip.IsMulticast():
		return ClassMulticast, true
	case ip == broadcast:
		return ClassBroadcast, true
	case reservedPrefix.Contains(ip):
		return ClassReserved, true
	case ip.IsLoopback():
		return ClassLoopback, true
	case ip.IsPrivate(), siteLocal.Contains(ip):
		return ClassPrivate, true
	case sharedPrefix.Contains(ip):
		return ClassShared, true
	}
	return "", false
}

func isMetadata(ip netip.Addr) bool {
	for _, m := range metadataAddrs {
		if ip == m {
			return true
		}
	}
	return false
}

// dialGuard returns a dialer hook that applies [CheckAddr] to the address
// actually dialed, after name resolution, so that a name which resolves (or
// is rebound) to a refused address is refused too.
func dialGuard(allowPrivate bool) func(context.Context, string, string, syscall.RawConn) error {
	return func(_ context.Context, _, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %q: not an IP address and port", address)
		}
		return CheckAddr(ap.Addr(), allowPrivate)
	}
}
